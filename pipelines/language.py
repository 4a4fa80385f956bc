"""The article's language: what its text is written in, else what the page declares.

Pages declare their content system's default as often as their own language:
of the 1,203 pages of make eval's sets, 23 articles declare one language and
are written in another (German, French, Spanish, Bengali articles declaring
'en'; English ones declaring 'de' or 'fr'), and 131 pages declare none. CLD2
(Chromium's detector, the one Common Crawl annotates its pages with; about
6 MB a process, no model to load) reads the body's text.
"""

from __future__ import annotations

import re

import pycld2
from lxml import html as lxml_html

from pipelines.metadata import meta_content

# The body's first characters are enough for a reliable answer, and the cost
# stays flat on long articles.
DETECT_CHARS = 2000
# Below this share of the text, the page is mixed ('Was ist Innovation?' with
# English quotations): the declaration decides.
DETECT_MIN_PERCENT = 80
# CLD2's older codes for the ISO 639-1 ones.
_CLD2_CODES = {"iw": "he", "jw": "jv", "in": "id"}
_CODE_RE = re.compile(r"[a-z]{2,3}")


def declared_language(tree: lxml_html.HtmlElement) -> str | None:
    """ISO 639-1 code from <html lang> or og:locale ('en-US' -> 'en')."""
    value = tree.get("lang") or tree.get("xml:lang") or meta_content(tree, "og:locale", "language")
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if _CODE_RE.fullmatch(code) else None


def text_language(text: str) -> str | None:
    """ISO 639-1 code of the language CLD2 reads in `text`, when it calls the
    answer reliable and that language holds at least DETECT_MIN_PERCENT of
    the text; None when the text is too short, mixed or unknown."""
    try:
        reliable, _, details = pycld2.detect(text[:DETECT_CHARS], isPlainText=True)
    except (pycld2.error, UnicodeEncodeError):   # lone surrogates
        return None
    _, code, percent, _ = details[0]
    if not reliable or percent < DETECT_MIN_PERCENT:
        return None
    code = _CLD2_CODES.get(code, code.split("-")[0])   # 'zh-Hant' -> 'zh'
    return code if _CODE_RE.fullmatch(code) and code != "un" else None


def page_language(declared: str | None, body: str) -> str | None:
    """The article's language: its text's (text_language), else the page's
    declaration."""
    return text_language(body) or declared

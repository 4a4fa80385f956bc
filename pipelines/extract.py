"""Extraction: one HTML page in, one schema-v1 article record (or a rejection) out.

The page is parsed once; metadata functions (pipelines/metadata.py) and
trafilatura read the same tree; the cleanup rules (pipelines/cleanup.py) then
remove what is not the article from trafilatura's paragraphs.

Command line, for debugging and re-processing saved pages:

    .venv/bin/python -m pipelines.extract PATH [PATH ...]

prints one JSON object per input (plain or .gz HTML), in input order, with the
schema's field names.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from array import array
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import htmldate.extractors
import justext.core
import trafilatura
import trafilatura.external
import trafilatura.utils
from htmldate import find_date
from trafilatura.json_metadata import normalize_authors
from lxml import etree, html as lxml_html
from lxml.etree import ParserError
from w3lib.encoding import html_to_unicode

from pipelines import EXTRACTOR_VERSION
from pipelines.cleanup import clean_paragraphs
from pipelines.dates import parse_datetime
from pipelines.ids import article_id
from pipelines.language import declared_language, page_language
from pipelines.metadata import (
    extract_authors,
    extract_canonical_url,
    extract_description,
    extract_image_caption_and_credit,
    extract_image_url,
    extract_modified_at,
    extract_published_at,
    is_login,
    labelled_published_date,
    printed_bylines,
    dateline_date,
    restore_dotted_names,
    split_caption_text,
    extract_rights,
    extract_section,
    extract_tags,
    extract_title,
    json_ld_articles,
    lead_figure_text,
    states_day,
)
from pipelines.simhash import body_fingerprint
from schemas import SCHEMA_VERSION

if TYPE_CHECKING:
    from crawler.items import FetchedPage

# Fewer words than this after cleanup is a teaser, a video page or an index,
# not an article (calibrated on the fixture site's non-article pages; news
# briefs of wire services run 80 words and more).
MIN_BODY_WORDS = 40

# trafilatura's options, chosen by measurement on trafilatura-eval (990 pages,
# evaluation/RESULTS.md): tables on (+0.005 F1: tables hold article text);
# favor_recall (-0.007) and include_comments (-0.003) lower F1. with_metadata
# is off: our metadata functions read the same tree, and trafilatura's
# (htmldate on every page) took half the extraction time. deduplicate stays
# False: its cache is process-global (trafilatura#778).
TRAFILATURA_OPTIONS: dict[str, Any] = dict(
    with_metadata=False, include_comments=False, include_tables=True, deduplicate=False)


class Rejected(Exception):
    """The page is not an archivable article; `reason` is machine-readable."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PageContext:
    """What the crawler knows about a page besides its HTML."""
    url: str
    source: str = "unknown"
    http_status: int = 200
    fetched_at: datetime | None = None
    default_tz: tzinfo = timezone.utc
    stop_lines: tuple[str, ...] = ()
    # The source's languages (ISO 639-1); empty: any.
    languages: tuple[str, ...] = ()
    # Pages with fewer words are rejected as too_short; the evaluation passes 0.
    min_body_words: int = MIN_BODY_WORDS
    # The charset the crawler read the page's bytes in; None: detected (decode_page).
    encoding: str | None = None
    # The source's <meta> names holding the lead image's caption (Source.caption_meta).
    caption_meta: tuple[str, ...] = ()


def decode_page(page: bytes | str, encoding: str | None = None) -> str:
    """Bytes to text. In the `encoding` the crawler read the page in
    (Scrapy's TextResponse.encoding), as Scrapy's TextResponse.text decodes
    it; without one (a file), valid UTF-8 first, then the declared or
    detected charset.

    lxml alone reads undeclared UTF-8 as Latin-1 ("Hereâ\x80\x99s"), which
    garbles titles and every non-ASCII word of the body; trafilatura's
    decoder tries UTF-8, then <meta charset> / detection."""
    if not isinstance(page, bytes):
        return page
    if encoding:
        return html_to_unicode(f"charset={encoding}", page)[1]
    return trafilatura.utils.decode_file(page)


_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# The parser trafilatura uses for its own loading: comments and processing
# instructions dropped. Kept, a comment inside a paragraph (React pages print
# "<!-- -->" between text runs) cut trafilatura's paragraph at the comment:
# APNews lost the second half of every such paragraph. Ids are not indexed
# (nothing looks them up), which also saves parsing time.
HTML_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
# lxml.html picks each element's Python class in Python (HtmlElementClassLookup:
# <form> and <input> get their own classes), called every time an element is
# touched from Python: 5,000 calls a page, 7 % of the extraction time on the
# evaluation pages. Neither we nor trafilatura use the form classes; this
# lookup is lxml's C one, with the same HtmlElement for every tag.
HTML_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
    pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))


# Characters XML forbids (C0 controls but tab and newlines, U+FFFE/U+FFFF).
# lxml's HTML parser keeps them in text; trafilatura builds an XML tree from
# ours and gave up on the whole page at the first one (careelite.de: 25
# stray control characters, no text at all). trafilatura's own loader
# removes them the same way.
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same C0 controls as UTF-8 bytes (each is its own byte there).
_INVALID_XML_BYTES = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20)])


def strip_invalid_xml_chars(text: str) -> str:
    """`text` without the characters an XML tree cannot hold.

    Almost no page has one. The test for them runs in C on the page's UTF-8
    bytes (bytes.translate), in half the time of the regex's search over the
    text (0.6 against 1.1 ms for make eval's average page of 240,000
    characters); the regex removes them from the few pages that have some."""
    if "\ufffe" not in text and "\uffff" not in text:
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded.translate(None, _INVALID_XML_BYTES)) == len(encoded):
            return text
    return _INVALID_XML_CHARS_RE.sub("", text)


def parse_html(page: bytes | str, encoding: str | None = None) -> lxml_html.HtmlElement:
    """Decode (decode_page), then parse once."""
    if not page or not page.strip():
        raise Rejected("empty_page", "the page has no content")
    text = strip_invalid_xml_chars(_XML_DECLARATION_RE.sub("", decode_page(page, encoding), count=1))
    try:
        tree = lxml_html.document_fromstring(text, parser=HTML_PARSER)
    except (ParserError, ValueError) as exc:
        raise Rejected("unparseable_html", str(exc) or "empty document") from exc
    return tree


# Chinese, Japanese and Korean text runs without spaces; about two characters
# make a word (the usual estimate for reading-time counts).
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
CJK_CHARS_PER_WORD = 2


# Elements styled invisible inline (display:none, visibility:hidden):
# templates, collapsed duplicates, spam traps. trafilatura drops such divs and
# sections but keeps such paragraphs. The `hidden` attribute is left alone:
# streamed server rendering (React's <div hidden id="S:0">) parks the whole
# article in hidden divs that a script moves into place (fundus AnadoluAjansi
# lost its body when they were dropped).
# libxml2 preselects (plain contains() is cheap, translate() is not), the
# regex decides.
_HIDDEN_XPATH = etree.XPath(
    "//body//*[@style and (contains(@style, 'none') or contains(@style, 'hidden'))]")
_HIDDEN_STYLE_RE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)


def drop_hidden_nodes(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """Remove what is styled invisible, keeping the text that follows it."""
    for el in _HIDDEN_XPATH(tree):
        if not _HIDDEN_STYLE_RE.search(el.get("style", "")):
            continue
        if el.getparent() is not None:
            el.drop_tree()
    return tree


def count_words(text: str) -> int:
    """Words of `text`, counting CJK scripts by characters."""
    return max(len(text.split()), len(_CJK_RE.findall(text)) // CJK_CHARS_PER_WORD)


# Titles and headings of "not found" pages served with 200 (soft 404s).
_ERROR_PAGE_RE = re.compile(
    r"^\W*(?:error\W*)?(?:404|410)\b|\bpage (?:was )?not found\b|\b(?:page|article|story|content) "
    r"(?:you (?:are|were) looking for )?(?:is no longer available|does not exist|cannot be found|"
    r"could not be found|has been removed)\b|^\W*not found\W*$", re.I)


def looks_like_error_page(tree: lxml_html.HtmlElement, title: str | None) -> bool:
    """A "page not found" page served with status 200."""
    headings = [title or ""] + [h.text_content() for h in tree.iter("h1")][:2]
    title_el = tree.find(".//title")
    if title_el is not None:
        headings.append(title_el.text_content())
    return any(_ERROR_PAGE_RE.search(h.strip()) for h in headings if h and len(h) < 150)


def extract_article(page: bytes | str, context: PageContext) -> dict[str, Any]:
    """Return the article record for `page`, or raise `Rejected`."""
    tree = parse_html(page, context.encoding)
    fetched_at = context.fetched_at or datetime.now(timezone.utc)
    ld = json_ld_articles(tree)
    title = extract_title(tree, context.url, ld=ld)
    if looks_like_error_page(tree, title):
        raise Rejected("soft_404", f"an error page answered with HTTP {context.http_status}: {title!r}")
    description = extract_description(tree)
    figure_text = lead_figure_text(tree)
    declared = declared_language(tree)
    # Metadata first, on the untouched tree; trafilatura only for the text;
    # htmldate's text search (fallback_published_at) last, once the text's
    # language is known, and only for articles.
    published_at = extract_published_at(tree, context.default_tz, now=fetched_at, ld=ld,
                                        url=context.url)
    modified_at = extract_modified_at(tree, context.default_tz, now=fetched_at, ld=ld)
    authors = extract_authors(tree, fallback=lambda: _byline_author(tree), ld=ld,
                              url=context.url)
    section, tags = extract_section(tree, ld=ld), extract_tags(tree, ld=ld)
    image_url = extract_image_url(tree, context.url, ld=ld)
    image_caption, image_credit = extract_image_caption_and_credit(
        tree, ld=ld, caption_meta=context.caption_meta)
    document = trafilatura.bare_extraction(drop_hidden_nodes(tree), url=context.url,
                                           **TRAFILATURA_OPTIONS)
    if document is None or not (document.text or "").strip():
        raise Rejected("not_article", "no article text found")
    cleaned = clean_paragraphs(
        document.text.split("\n"), title=title, description=description,
        figure_text=figure_text, stop_lines=context.stop_lines)
    body = "\n\n".join(cleaned.paragraphs)
    words = count_words(body)
    if words < context.min_body_words:
        raise Rejected("too_short",
                       f"{words} words of text after cleanup (minimum {context.min_body_words})")
    language = page_language(declared, body)
    if context.languages and language and language not in context.languages:
        # Before the slowest step (htmldate's text search): the page is not kept.
        raise Rejected("wrong_language", f"language {language!r}, source takes {', '.join(context.languages)}")
    if published_at is None:
        # The text search reads dates in words in the language the article is
        # written in ("31. Januar 2020" under an <html lang="en">).
        published_at = fallback_published_at(tree, context.url, fetched_at,
                                             date_languages(language, context.languages))
    canonical = extract_canonical_url(tree, context.url)
    return {
        "article_id": article_id(canonical),
        "source": context.source,
        "url": context.url,
        "canonical_url": canonical,
        "title": title,
        "body": body,
        "authors": authors,
        "published_at": published_at,
        "modified_at": modified_at,
        "dateline": cleaned.dateline,
        "rights": cleaned.rights or extract_rights(tree, ld=ld),
        # The lead image's credit, else one glued to the dateline, else the
        # first caption-classed text when it reads as a credit (a wire page's
        # <span class="image-caption"> with no image beside it).
        "image_credit": image_credit or cleaned.image_credit
        or (split_caption_text(figure_text)[1] if figure_text else None),
        "language": language,
        "description": description,
        "section": section,
        "tags": tags,
        "image_url": image_url,
        "image_caption": image_caption,
        "fetched_at": fetched_at,
        "http_status": context.http_status,
        "content_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "simhash": body_fingerprint(body),
        "extractor_version": EXTRACTOR_VERSION,
        "schema_version": SCHEMA_VERSION,
    }


def fallback_published_at(tree: lxml_html.HtmlElement, url: str, now: datetime,
                          languages: tuple[str, ...] = ()) -> datetime | None:
    """htmldate's search (URL, scripts, text patterns in many languages) for
    pages that state no date where extract_published_at looks: +0.09 of
    correct days on trafilatura-eval. Run only for those pages (about a third):
    it is the slowest part of trafilatura's metadata. Dates in words are read
    in `languages` (see date_languages; empty: every language)."""
    labelled = labelled_published_date(tree) or dateline_date(tree)
    if labelled:
        parsed = parse_datetime(labelled, timezone.utc, now)
        if parsed:
            return parsed
    reading_in = _read_dates_in(languages)
    try:
        value = find_date(tree, url=url, original_date=True, extensive_search=True,
                          max_date=now.strftime("%Y-%m-%d"))
    except (ValueError, TypeError):
        return None
    finally:
        _date_languages.reset(reading_in)
    found = parse_datetime(value, timezone.utc, now) if value else None
    if found is not None and (found.month, found.day) == (1, 1) \
            and not states_day(tree, url, found, now):
        return None   # htmldate's answer when all it found is a year ("© 2016")
    return found


def date_languages(language: str | None, source_languages: tuple[str, ...] = ()
                   ) -> tuple[str, ...]:
    """The languages a page's dates in words are read in: the article's
    (pipelines.language.page_language), else its source's; only those
    dateparser knows. Empty (neither known): every language."""
    from dateparser.data.languages_info import language_order
    if language in language_order:
        return (language,)
    return tuple(code for code in source_languages if code in language_order)


# htmldate's last resort for a date in running text is dateparser, trying
# every language it knows (htmldate.extractors.get_external_parser): "3.
# listopada 2021" was read in Polish, the first of them to know the word (3
# November), on a Croatian page too (3 October); and the first string no
# language reads compiled all 205 locales' patterns: 2 s of CPU, and 35 MB
# kept by each extraction worker (the benchmark's real pages). Before it asks
# dateparser, htmldate looks for a month name of any of those languages in the
# string (htmldate.extractors.month_words), and loading every locale's names
# kept 7 MB more a worker: "Band", "Mo" and "Uhr" are month names somewhere.
# htmldate asks both functions at each call: while fallback_published_at runs,
# they answer for the page's languages.
_date_languages: ContextVar[tuple[str, ...]] = ContextVar("date_languages", default=())
_every_language_parser = htmldate.extractors.get_external_parser
_every_language_month_words = htmldate.extractors.month_words
_readings_cached_in: tuple[str, ...] = ()


def _read_dates_in(languages: tuple[str, ...]) -> Token:
    global _readings_cached_in
    if languages != _readings_cached_in:
        # htmldate caches each string's reading (try_date_expr), not the
        # language it was read in. A crawl reads one source's languages.
        htmldate.extractors.try_date_expr.cache_clear()
        _readings_cached_in = languages
    return _date_languages.set(languages)


@lru_cache(maxsize=None)
def _date_parser(languages: tuple[str, ...]) -> Any:
    parser = _every_language_parser()
    if not languages:
        return parser
    from dateparser import DateDataParser
    return DateDataParser(languages=list(languages), settings=parser._settings)   # htmldate's settings


def _page_date_parser() -> Any:
    return _date_parser(_date_languages.get())


@lru_cache(maxsize=None)
def _month_words(languages: tuple[str, ...]) -> frozenset[str]:
    if not languages:
        return _every_language_month_words()
    from dateparser.languages.loader import default_loader
    from htmldate.extractors import MONTH_KEYS, WORD, _fold_month_name   # as htmldate folds them
    return frozenset(_fold_month_name(word)
                     for locale in default_loader.get_locales(languages=list(languages))
                     for key in MONTH_KEYS for word in locale.info.get(key, [])
                     if WORD.fullmatch(word))


def _page_month_words() -> frozenset[str]:
    return _month_words(_date_languages.get())


htmldate.extractors.get_external_parser = _page_date_parser
htmldate.extractors.month_words = _page_month_words


# trafilatura's justext fallback classifies the paragraphs of a page of no
# given language with the stop words of every language justext knows
# (trafilatura.external.JT_STOPLIST, a tuple of 154,484 words), which
# justext's define_stoplist lower-cases into a frozenset, cached by the tuple:
# each call hashed the whole tuple again (4.8 ms, on about one page in ten),
# and each worker kept both copies (32 MB). Here the list is built once and
# handed on as it is, as a table of the words' hashes: justext only asks
# `word in stoplist`, and a frozenset of the words kept 17 MB in each worker.
class StopWordHashes:
    """A set of lower-cased words, for `in` only: their 64-bit hashes in one
    open-addressed table (2 MB for justext's 154,484 words). A word outside
    the set is taken for one of them only if its hash equals one of theirs,
    odds of 154,484 in 2**64 a word. A lookup costs 0.3 us more than a
    frozenset's: 23 us a page on the evaluation pages, where justext read 75
    words a page on average."""

    __slots__ = ("_table", "_mask")

    def __init__(self, words: Iterable[str]):
        hashes = {hash(word) or 1 for word in words}     # 0 marks an empty slot
        size = 1 << (len(hashes) * 3 // 2).bit_length()  # at most two thirds full
        self._mask = size - 1
        self._table = array("q", bytes(8 * size))
        for h in hashes:
            slot = h & self._mask
            while self._table[slot]:
                slot = (slot + 1) & self._mask
            self._table[slot] = h

    def __contains__(self, word: object) -> bool:
        table, mask = self._table, self._mask
        h = hash(word) or 1
        slot = h & mask
        while True:
            found = table[slot]
            if found == h:
                return True
            if not found:
                return False
            slot = (slot + 1) & mask


_justext_define_stoplist = justext.core.define_stoplist


def _every_language_stoplist() -> StopWordHashes:
    from justext.utils import get_stoplist, get_stoplists
    trafilatura.external.JT_STOPLIST = StopWordHashes(
        word.lower() for language in get_stoplists() for word in get_stoplist(language))
    return trafilatura.external.JT_STOPLIST


def _define_stoplist(stoplist: Any) -> frozenset[str] | StopWordHashes:
    if isinstance(stoplist, StopWordHashes):
        return stoplist
    return _justext_define_stoplist(stoplist)


_define_stoplist.cache_clear = _justext_define_stoplist.cache_clear   # type: ignore[attr-defined]
trafilatura.external.jt_stoplist_init = _every_language_stoplist
justext.core.define_stoplist = _define_stoplist


# Every attribute value trafilatura's byline XPaths (trafilatura.xpaths.
# AUTHOR_XPATHS) can match contains one of these markers, so only elements
# carrying one (or an <author> tag, or a <rel> child) can be a byline: a page
# has a few dozen, not the thousand elements a test per element would visit,
# and a third of pages have none (trafilatura-eval).
_BYLINE_MARKER_RE = re.compile(
    r"uthor|yline|username|byl|BBL|zuozhe|bianji|xiaobian|channel-name|submitted-by|"
    r"posted-by|journalist-name|screenname|writer")
# One union, so libxml2 returns them in document order (an element before its
# attributes); unions of attribute steps were the fastest selection measured.
_BYLINE_CANDIDATES = etree.XPath(
    "//@class|//@id|//@rel|//@itemprop|//@data-testid|//@data-component|//author|//*[rel]")


def byline_candidates(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The elements trafilatura's byline XPaths could match, in document order."""
    found: dict[Any, None] = {}
    for node in _BYLINE_CANDIDATES(tree):
        if isinstance(node, str):   # an attribute's value
            if _BYLINE_MARKER_RE.search(node):
                found[node.getparent()] = None
        else:
            found[node] = None
    return list(found)


_GENDERED_LABEL_RE = re.compile(r"\b(autor|redakteur)[/*:_](in)\b", re.I)


def _byline_author(tree: lxml_html.HtmlElement) -> str | None:
    """trafilatura's byline XPaths (class="author", rel="author", ...), a
    fallback when neither JSON-LD nor meta tags name an author. What they find
    may be the account's login ('wuff' in the theme's author slot): a byline
    printed with a person's name ("Von Roland Brockmann und Sebastian
    Drescher") is the author then."""
    try:
        content = byline_author(tree, raw=True)
        if content and is_login(content.strip()):
            printed = next(printed_bylines(tree), None)
            if printed:
                return printed
        # trafilatura splits a gendered label at its slash ("Autor/in: Jana
        # Roe": "Autor" and "In Jana Roe"); written "Autorin" it is a label.
        content = _GENDERED_LABEL_RE.sub(r"\1\2", content) if content else content
        return restore_dotted_names(normalize_authors(None, content), content) \
            if content else None
    except (ValueError, TypeError):
        return None


# trafilatura 2.3.1's byline search (metadata.extract_author: AUTHOR_XPATHS
# on a copy of the tree pruned by AUTHOR_DISCARD_XPATHS), evaluated in one
# walk over the untouched tree: its XPaths call back into Python for every
# regex test on every element, and the copy and the pruning cost as much
# again. Same result on every page of make eval's sets (checked against
# extract_author; tests/test_extract.py compares both on small pages).
_BYLINE_TAGS_1 = {"a", "address", "div", "link", "p", "span", "strong"}
_BYLINE_CLASS_1 = re.compile(r"author-?name|AuthorName|authorName")
_BYLINE_TAGS_2 = {"a", "div", "h3", "h4", "p", "span"}
_BYLINE_ID_2 = re.compile(r"author|zuozhe|bianji|xiaobian")
_BYLINE_CLASS_2 = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_BYLINE_ID_3 = re.compile(r"[Aa]uthor")
_BYLINE_CLASS_3 = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = {"a", "div", "section", "span"}
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    r"article-(?:share|support)|print|category|meta-date|meta-reviewer")


def _byline_match_1(el: lxml_html.HtmlElement) -> bool:
    if el.tag == "author":
        return True
    if el.tag not in _BYLINE_TAGS_1:
        return False
    cls = el.get("class")
    return (el.get("rel") == "author" or el.get("id") == "author" or cls == "author"
            or el.get("itemprop") == "author name"
            or el.get("data-testid") in ("AuthorCard", "AuthorURL")
            or any(child.tag == "rel" and child.text_content() == "me" for child in el)
            or (cls is not None and bool(_BYLINE_CLASS_1.search(cls))))


def _byline_match_2(el: lxml_html.HtmlElement) -> bool:
    if el.tag not in _BYLINE_TAGS_2:
        return False
    cls, ident = el.get("class"), el.get("id")
    return (cls in ("byline", "username", "byl", "BBL") or "author" in el.get("itemprop", "")
            or (ident is not None and bool(_BYLINE_ID_2.search(ident)))
            or (cls is not None and bool(_BYLINE_CLASS_2.search(cls))))


def _byline_match_3(el: lxml_html.HtmlElement) -> bool:
    cls, ident = el.get("class"), el.get("id")
    return ("Byline" in el.get("data-component", "") or "author" in el.get("itemprop", "")
            or (ident is not None and bool(_BYLINE_ID_3.search(ident)))
            or (cls is not None and bool(_BYLINE_CLASS_3.search(cls))))


def _byline_discarded(el: lxml_html.HtmlElement) -> bool:
    if el.tag in ("time", "figure"):
        return True
    if el.tag not in _DISCARD_TAGS:
        return False
    cls, ident = el.get("class"), el.get("id")
    return (ident == "comments" or cls in ("comments", "title", "date")
            or (ident is not None and bool(_DISCARD_ID.search(ident)))
            or (cls is not None and bool(_DISCARD_CLASS.search(cls)))
            or "Figure" in el.get("data-component", ""))


def _pruned_itertext(el: lxml_html.HtmlElement) -> Iterator[str]:
    """el.itertext() as it reads after the _byline_discarded elements are deleted
    with their tails kept (joined to the previous sibling's tail or the
    parent's text, as trafilatura's delete_element does)."""
    slot = el.text
    for child in el:
        if _byline_discarded(child):
            if child.tail:
                slot = (slot or "") + child.tail
            continue
        if slot:
            yield slot
        if isinstance(child.tag, str):
            yield from _pruned_itertext(child)
        slot = child.tail
    if slot:
        yield slot


def byline_author(tree: lxml_html.HtmlElement, raw: bool = False) -> str | None:
    """What trafilatura.metadata.extract_author(tree) returns, without
    copying the tree (with `raw`, the byline's text before trafilatura's
    normalisation)."""
    candidates = byline_candidates(tree)
    root = tree.getroottree().getroot()
    for match in (_byline_match_1, _byline_match_2, _byline_match_3):
        for el in candidates:
            if not match(el) or any(a is not root and _byline_discarded(a)
                                    for a in chain((el,), el.iterancestors())):
                continue
            content = trafilatura.utils.trim(" ".join(_pruned_itertext(el)))
            if content and 2 < len(content) < 120:
                return content if raw else normalize_authors(None, content)
    return None


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.extract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="HTML files, plain or .gz")
    parser.add_argument("--url", help="URL to resolve links against (default: file:// URL)")
    parser.add_argument("--source", default="unknown", help="source key to record")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        url = args.url or path.resolve().as_uri()
        try:
            record = extract_article(read_page(path), PageContext(url=url, source=args.source))
        except OSError as exc:
            record, status = {"url": url, "error": f"cannot read {path}: {exc.strerror}"}, 1
        except Rejected as exc:
            record = {"url": url, "rejected": exc.reason, "detail": exc.detail}
        print(json.dumps(record, ensure_ascii=False, default=_json_default))
    return status


if __name__ == "__main__":
    sys.exit(main())


class ExtractPipeline:
    """Item pipeline: FetchedPage -> article record, or PageRejected with the reason.

    Extraction runs in a pool of `workers` processes (pipelines/extract_pool.py;
    setting EXTRACT_WORKERS, default one per core; 0: inline on the reactor
    thread), with at most `max_in_flight` pages submitted at a time: the others
    wait here, holding their responses in Scrapy's scraper slot, which stops
    the downloader when it is full (back-pressure, bounded memory). Each page
    gets EXTRACT_TIMEOUT seconds. The records are the same with or without the pool.
    """

    def __init__(self, default_tz: tzinfo, stop_lines: tuple[str, ...],
                 languages: tuple[str, ...] = (), workers: int = 0,
                 timeout: float | None = None, max_in_flight: int | None = None,
                 stats=None, extract=extract_article, caption_meta: tuple[str, ...] = ()):
        self.default_tz = default_tz
        self.stop_lines = stop_lines
        self.languages = languages
        self.caption_meta = caption_meta
        self.workers = workers
        self.timeout = timeout
        self.max_in_flight = max_in_flight or 4 * max(workers, 1)
        self.stats = stats
        self.extract = extract
        self.pool = None
        self._slots: Any = None

    @classmethod
    def from_crawler(cls, crawler) -> "ExtractPipeline":
        from pipelines.extract_pool import DEFAULT_TIMEOUT, default_workers
        settings = crawler.settings
        source = crawler.spider.source
        workers = settings.get("EXTRACT_WORKERS")
        workers = default_workers() if workers in (None, "") else int(workers)
        return cls.for_source(source, workers=workers,
                              timeout=settings.getfloat("EXTRACT_TIMEOUT", DEFAULT_TIMEOUT),
                              max_in_flight=settings.getint("EXTRACT_MAX_IN_FLIGHT") or None,
                              stats=crawler.stats)

    @classmethod
    def for_source(cls, source, **options: Any) -> "ExtractPipeline":
        """The pipeline with a source's rules (time zone, stop lines, languages,
        caption metas): the crawl and re-processing build it here, so both
        apply the same ones."""
        return cls(source.tzinfo, source.stop_lines, source.languages,
                   caption_meta=source.caption_meta, **options)

    def open_spider(self) -> None:
        if self.workers > 0 and self.pool is None:
            from pipelines.extract_pool import DEFAULT_TIMEOUT, ExtractionPool
            self.pool = ExtractionPool(self.workers, self.timeout or DEFAULT_TIMEOUT, self.extract)
            self.pool.start()
        if self.stats is not None:
            self.stats.set_value("perf/extract_workers", self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            if self.stats is not None and self.pool.restarts:
                self.stats.set_value("perf/extract_pool_restarts", self.pool.restarts)
            self.pool.close()
            self.pool = None

    def context(self, page: FetchedPage) -> PageContext:
        return PageContext(url=page.url, source=page.source, http_status=page.http_status or 0,
                           fetched_at=page.fetched_at, default_tz=self.default_tz,
                           stop_lines=self.stop_lines, languages=self.languages,
                           encoding=page.encoding, caption_meta=self.caption_meta)

    async def process_item(self, page: FetchedPage) -> dict[str, Any]:
        if page.error:
            raise page_rejected(page.error, page.error_detail or page.error)
        if self.pool is None:
            return self.process_page(page)
        if self._slots is None:
            import asyncio
            self._slots = asyncio.Semaphore(self.max_in_flight)
        async with self._slots:
            outcome = await self.pool.extract_async(page.body or b"", self.context(page))
        return self.finish(page, outcome)

    def process_page(self, page: FetchedPage) -> dict[str, Any]:
        """The same, inline: extraction on this thread."""
        from pipelines.extract_pool import run_extraction
        if page.error:
            raise page_rejected(page.error, page.error_detail or page.error)
        return self.finish(page, run_extraction(page.body or b"", self.context(page),
                                                extract=self.extract))

    def finish(self, page: FetchedPage, outcome: tuple) -> dict[str, Any]:
        """The record (or the rejection) from an extraction outcome (extract_pool.run_extraction)."""
        if self.stats is not None:
            self.stats.inc_value("perf/extract_cpu_s", outcome[-1])
        if outcome[0] != "ok":
            raise page_rejected(outcome[1], outcome[2])
        return with_warc_pointer(with_listing_hints(outcome[1], page), page)


def page_rejected(reason: str, detail: str) -> Exception:
    """The exception that drops a page as a rejection (pipelines/rejections.py).
    Imported here, not at the top: extraction workers import this module and
    load neither Scrapy nor pyarrow (tests/test_extract_pool.py)."""
    from pipelines.rejections import PageRejected
    return PageRejected(reason, detail)


def with_listing_hints(record: dict[str, Any], page: FetchedPage) -> dict[str, Any]:
    """Fill what the page did not say from what its feed or sitemap said, and
    start the article at version 1 (the dedup stage numbers later versions)."""
    record["title"] = record["title"] or page.listed_title
    record["published_at"] = record["published_at"] or page.listed_published_at
    record["listed_modified_at"] = page.listed_modified_at
    record["keywords"] = list(page.listed_keywords)
    record["version"] = 1
    return record


def with_warc_pointer(record: dict[str, Any], page: FetchedPage) -> dict[str, Any]:
    """Where the page's bytes are in the raw archive (null when not recorded)."""
    record["warc_filename"] = page.warc_filename
    record["warc_record_offset"] = page.warc_record_offset
    record["warc_record_length"] = page.warc_record_length
    return record

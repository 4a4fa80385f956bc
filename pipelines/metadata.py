"""Article metadata read from the parsed page: one ``extract_<field>`` per field.

Each function takes the lxml tree (parsed once per page by ``pipelines.extract``)
and applies a fixed precedence: JSON-LD, then meta tags, then markup, then
visible text. They are pure: same tree in, same value out.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone, tzinfo
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from pipelines.cleanup import is_rights_line, normalize_text
from pipelines.dates import find_visible_date, parse_datetime

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting",
                 "analysisnewsarticle", "backgroundnewsarticle", "opinionnewsarticle",
                 "reviewnewsarticle", "liveblogposting", "report", "webpage"}

PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished",
                  "pubdate", "publish-date", "publish_date", "parsely-pub-date",
                  "sailthru.date", "dc.date.issued", "dc.date", "dcterms.created", "date")
MODIFIED_META = ("article:modified_time", "og:updated_time", "og:article:modified_time",
                 "datemodified", "last-modified", "dcterms.modified")

# Class/id words of elements that print the article's date.
_DATE_CLASS_RE = re.compile(r"date|time|publish|posted|byline|meta", re.I)
_CREDIT_CLASS_RE = re.compile(r"credit|caption|copyright-image|photographer", re.I)
_SITE_SUFFIX_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ")


def meta_content(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    """First non-empty <meta> content among `names` (property, name or itemprop)."""
    wanted = {n.lower() for n in names}
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if key in wanted and content and content.strip() and key not in found:
            found[key] = content.strip()
    for name in names:
        if name.lower() in found:
            return found[name.lower()]
    return None


def json_ld_articles(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    """Article-like objects of every JSON-LD block (following @graph and lists)."""
    objects: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            continue
        for obj in _walk_json_ld(data):
            types = obj.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in ARTICLE_TYPES for t in types):
                objects.append(obj)
    # NewsArticle before a generic WebPage describing the same page.
    objects.sort(key=lambda o: str(o.get("@type")).lower() == "webpage")
    return objects


def _walk_json_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_json_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_json_ld(data["@graph"])


def _json_ld_value(objects: list[dict[str, Any]], key: str) -> Any:
    for obj in objects:
        value = obj.get(key)
        if value:
            return value
    return None


def strip_site_name(title: str, site_name: str | None) -> str:
    """'Headline | ABC News Radio' -> 'Headline'."""
    for sep in _SITE_SUFFIX_SEPARATORS:
        if sep in title:
            head, _, tail = title.rpartition(sep)
            if site_name and tail.strip().casefold() == site_name.strip().casefold():
                return head.strip()
            if not site_name and len(tail.split()) <= 4 and len(head) > 2 * len(tail):
                return head.strip()
    return title.strip()


def extract_site_name(tree: lxml_html.HtmlElement) -> str | None:
    return meta_content(tree, "og:site_name", "application-name")


def extract_title(tree: lxml_html.HtmlElement) -> str | None:
    """JSON-LD headline, og:title, the <h1>, then <title>, without the site name."""
    site_name = extract_site_name(tree)
    candidates = [
        _json_ld_value(json_ld_articles(tree), "headline"),
        meta_content(tree, "og:title", "twitter:title"),
    ]
    h1s = [normalize_text(h.text_content()) for h in tree.iter("h1")]
    if len(h1s) == 1:
        candidates.append(h1s[0])
    title_el = tree.find(".//title")
    if title_el is not None:
        candidates.append(title_el.text_content())
    for candidate in candidates:
        if isinstance(candidate, str) and normalize_text(candidate):
            return strip_site_name(normalize_text(candidate), site_name)
    return None


def extract_description(tree: lxml_html.HtmlElement) -> str | None:
    value = meta_content(tree, "description", "og:description", "twitter:description")
    return normalize_text(value) if value else None


def extract_canonical_url(tree: lxml_html.HtmlElement, url: str) -> str:
    """<link rel=canonical> or og:url, when it stays on the page's site; else `url`."""
    candidates = [link.get("href") for link in tree.xpath('//link[@rel="canonical"]')]
    candidates.append(meta_content(tree, "og:url"))
    page_host = _site_host(url)
    for href in candidates:
        if not href or not href.strip():
            continue
        absolute = urljoin(url, href.strip())
        if urlsplit(absolute).scheme in ("http", "https") and _site_host(absolute) == page_host:
            return absolute
    return url


def _site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def extract_language(tree: lxml_html.HtmlElement) -> str | None:
    """ISO 639-1 code from <html lang> or og:locale ('en-US' -> 'en')."""
    value = tree.get("lang") or tree.get("xml:lang") or meta_content(tree, "og:locale", "language")
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def extract_published_at(tree: lxml_html.HtmlElement, default_tz: tzinfo = timezone.utc,
                         now: datetime | None = None) -> datetime | None:
    """JSON-LD datePublished, meta tags, <time datetime>, then a printed date."""
    for value in _date_candidates(tree, "datePublished", PUBLISHED_META):
        parsed = parse_datetime(value, default_tz, now)
        if parsed:
            return parsed
    return None


def extract_modified_at(tree: lxml_html.HtmlElement, default_tz: tzinfo = timezone.utc,
                        now: datetime | None = None) -> datetime | None:
    candidates = [_json_ld_value(json_ld_articles(tree), "dateModified"),
                  meta_content(tree, *MODIFIED_META)]
    for value in candidates:
        if isinstance(value, str):
            parsed = parse_datetime(value, default_tz, now)
            if parsed:
                return parsed
    return None


def _date_candidates(tree: lxml_html.HtmlElement, json_ld_key: str,
                     meta_names: tuple[str, ...]) -> Iterator[str]:
    value = _json_ld_value(json_ld_articles(tree), json_ld_key)
    if isinstance(value, str):
        yield value
    value = meta_content(tree, *meta_names)
    if value:
        yield value
    for time_el in tree.iter("time"):
        if time_el.get("datetime"):
            yield time_el.get("datetime")
    # Printed dates: <time> text first, then elements whose class says "date".
    for time_el in tree.iter("time"):
        printed = find_visible_date(time_el.text_content())
        if printed:
            yield printed
    for el in tree.xpath("//body//*[@class or @id]"):
        if _DATE_CLASS_RE.search(f'{el.get("class", "")} {el.get("id", "")}'):
            text = el.text_content()
            if len(text) < 200:
                printed = find_visible_date(text)
                if printed:
                    yield printed


def extract_authors(tree: lxml_html.HtmlElement, fallback: str | None = None) -> list[str]:
    """Author names from JSON-LD, meta author, or trafilatura's guess, cleaned."""
    value = _json_ld_value(json_ld_articles(tree), "author")
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and str(item.get("@type", "Person")).lower() == "person":
            names.append(str(item.get("name") or ""))
        elif isinstance(item, str):
            names.append(item)
    if not any(names):
        meta = meta_content(tree, "author", "article:author", "parsely-author", "sailthru.author")
        if meta and not meta.startswith("http"):
            names = [meta]
    if not any(names) and fallback:
        names = fallback.split(";")
    return clean_authors(names)


_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|&|\|)\s*", re.I)
_AUTHOR_PREFIX_RE = re.compile(r"^(?:by|written by|words by|from)\s*:?\s+", re.I)
_NOT_A_PERSON_RE = re.compile(
    r"news|radio|press|staff|agency|reporter|editor|correspondent|contributor|"
    r"associated|reuters|wire|team|desk|e-?mail|follow|twitter|@", re.I)


def clean_authors(names: list[str]) -> list[str]:
    """Split "By A and B, ABC News" into people: ['A', 'B']."""
    people: list[str] = []
    for raw in names:
        text = _AUTHOR_PREFIX_RE.sub("", normalize_text(raw or ""))
        for part in _AUTHOR_SPLIT_RE.split(text):
            part = _AUTHOR_PREFIX_RE.sub("", part).strip(" .,:-")
            if not part or _NOT_A_PERSON_RE.search(part) or not (1 <= len(part.split()) <= 4):
                continue
            if part not in people:
                people.append(part)
    return people


def extract_image_credit(tree: lxml_html.HtmlElement) -> str | None:
    """Credit of the lead image: a credit/caption element near the article start."""
    for el in tree.xpath("//body//*[self::figcaption or @class]"):
        classes = el.get("class", "")
        if el.tag == "figcaption" or _CREDIT_CLASS_RE.search(classes):
            text = normalize_text(el.text_content())
            if 0 < len(text) <= 200:
                return text
    return None


def extract_rights(tree: lxml_html.HtmlElement) -> str | None:
    """The page's copyright line when the article text does not carry it:
    JSON-LD copyrightNotice, meta copyright / dc.rights, then a short
    copyright line anywhere in the page (usually the footer)."""
    value = _json_ld_value(json_ld_articles(tree), "copyrightNotice") \
        or meta_content(tree, "copyright", "dc.rights", "dcterms.rights")
    if isinstance(value, str) and value.strip():
        return normalize_text(value)
    for el in tree.xpath("//body//*[self::p or self::div or self::span or self::small]"):
        if len(el) > 3:
            continue
        text = normalize_text(el.text_content())
        if is_rights_line(text):
            return text
    return None

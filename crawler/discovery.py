"""Discovery: what an entry point lists, as pure functions over its bytes.

An entry point is a robots.txt (its ``Sitemap:`` lines), an XML sitemap or
sitemap index (Google News sitemaps included), an RSS/Atom feed, a JSON Feed,
or an HTML page: a site's home or listing page, read for its
``<link rel="alternate">`` feeds and for links matching the source's article
URL rules. Each format is parsed by a library that knows it: Protego for
robots.txt, lxml (entities never resolved, no network) for sitemaps,
feedparser for RSS/Atom, json for JSON Feed. No regexes over markup.

What a feed or sitemap says of an article (its title, publication date,
last modification, keywords) travels with the link as hints.
"""

from __future__ import annotations

import calendar
import enum
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import BytesIO
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import lxml.etree
from lxml import html as lxml_html
from protego import Protego

from pipelines.dates import parse_datetime

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/json", "application/rdf+xml", "application/xml", "text/xml"}


class DiscoveryError(ValueError):
    """An entry point that cannot be read; `reason` is machine-readable."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


# Feeds and sitemaps never need entity declarations; a document that declares
# them is an entity-expansion ("billion laughs") or external-entity attack.
_ENTITY_DECLARATION = b"<!ENTITY"


def refuse_entity_declarations(body: bytes) -> None:
    if _ENTITY_DECLARATION in body[:65536].upper():
        raise DiscoveryError("xml_entities_refused", "the document declares XML entities")


class EntryKind(enum.Enum):
    ROBOTS = "robots"
    SITEMAP_INDEX = "sitemap_index"
    SITEMAP = "sitemap"
    FEED = "feed"
    JSON_FEED = "json_feed"
    PAGE = "page"


@dataclass(frozen=True)
class Discovered:
    """A link found in an entry point: another entry point or an article, with
    what the listing said of it."""
    url: str
    is_entry_point: bool = False
    title: str | None = None
    published: datetime | None = None
    lastmod: datetime | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)


def classify(url: str, body: bytes, content_type: str = "") -> EntryKind:
    """Tell what kind of entry point a fetched document is, by its content."""
    if urlsplit(url).path.endswith("/robots.txt"):
        return EntryKind.ROBOTS
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"{"):
        return EntryKind.JSON_FEED if b"jsonfeed.org" in head else EntryKind.PAGE
    if b"<urlset" in head:
        return EntryKind.SITEMAP
    if b"<sitemapindex" in head:
        return EntryKind.SITEMAP_INDEX
    if head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed") \
            or head.startswith(b"<rdf") or "xml" in content_type.lower():
        if b"<html" not in head:
            return EntryKind.FEED
    return EntryKind.PAGE


def site_root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def is_site_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def links_from_robots(url: str, text: str) -> list[Discovered]:
    return [Discovered(urljoin(url, s), is_entry_point=True)
            for s in Protego.parse(text).sitemaps]


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _utc(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def links_from_sitemap(url: str, body: bytes) -> list[Discovered]:
    """URLs of a sitemap (articles, with lastmod and Google News fields) or of a
    sitemap index (more sitemaps)."""
    refuse_entity_declarations(body)
    links: list[Discovered] = []
    parser = lxml.etree.iterparse(BytesIO(body), events=("end",), recover=True,
                                  resolve_entities=False, no_network=True, remove_comments=True,
                                  remove_pis=True, huge_tree=False)
    try:
        for _, elem in parser:
            name = _local(elem.tag)
            if name not in ("url", "sitemap"):
                continue
            values: dict[str, str] = {}
            for child in elem.iter():
                child_name = _local(child.tag)
                if child_name in ("loc", "lastmod", "publication_date", "title", "keywords") \
                        and child.text and child.text.strip() and child_name not in values:
                    values[child_name] = child.text.strip()
            elem.clear()
            if "loc" not in values:
                continue
            keywords = tuple(k.strip() for k in values.get("keywords", "").split(",") if k.strip())
            links.append(Discovered(
                urljoin(url, values["loc"]), is_entry_point=(name == "sitemap"),
                title=values.get("title"), published=_utc(values.get("publication_date")),
                lastmod=_utc(values.get("lastmod")), keywords=keywords))
    except lxml.etree.XMLSyntaxError:
        pass  # recover=True keeps what parsed before the damage
    return links


def _struct_time_utc(value) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)


def links_from_feed(url: str, body: bytes) -> list[Discovered]:
    """Article links of an RSS 2.0 / RSS 1.0 / Atom feed."""
    refuse_entity_declarations(body)
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if parsed.bozo and not any(entry.get("link") for entry in parsed.entries):
        raise DiscoveryError("malformed_feed", str(parsed.get("bozo_exception", "unreadable"))[:200])
    links = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        keywords = tuple(t.get("term") for t in entry.get("tags", []) if t.get("term"))
        links.append(Discovered(
            urljoin(url, link), title=entry.get("title"),
            published=_struct_time_utc(entry.get("published_parsed")),
            # dict.get: FeedParserDict would answer "updated" with the pubDate.
            lastmod=_struct_time_utc(dict.get(entry, "updated_parsed")), keywords=keywords))
    return links


def links_from_json_feed(url: str, body: bytes) -> list[Discovered]:
    """Article links of a JSON Feed (jsonfeed.org, versions 1 and 1.1)."""
    try:
        feed = json.loads(body)
    except ValueError as exc:
        raise DiscoveryError("malformed_feed", f"invalid JSON Feed: {exc}") from exc
    links = []
    for item in feed.get("items", []) if isinstance(feed, dict) else []:
        link = item.get("url") or item.get("external_url")
        if not isinstance(link, str):
            continue
        links.append(Discovered(
            urljoin(url, link), title=item.get("title"),
            published=_utc(item.get("date_published")), lastmod=_utc(item.get("date_modified")),
            keywords=tuple(t for t in item.get("tags", []) if isinstance(t, str))))
    return links


def links_from_page(url: str, body: bytes | str, article_patterns: tuple[str, ...] = ()) -> list[Discovered]:
    """A home or listing page: every feed it announces (all of them, not the
    first), and links whose path matches one of the source's article patterns."""
    try:
        tree = lxml_html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    links: list[Discovered] = []
    for link in tree.xpath('//link[@href]'):
        rels = (link.get("rel") or "").lower().split()
        if "alternate" in rels and (link.get("type") or "").lower().split(";")[0].strip() in FEED_TYPES:
            links.append(Discovered(urljoin(url, link.get("href").strip()), is_entry_point=True))
    if article_patterns:
        host = urlsplit(url).hostname
        for anchor in tree.xpath("//a[@href]"):
            target = urljoin(url, anchor.get("href").strip()).split("#", 1)[0]
            if urlsplit(target).hostname == host and is_article_url(target, article_patterns):
                links.append(Discovered(target))
    return list(dict.fromkeys(links))


def is_article_url(url: str, article_patterns: tuple[str, ...]) -> bool:
    """True when the URL's path matches one of the source's article patterns."""
    path = urlsplit(url).path
    return any(re.search(pattern, path) for pattern in article_patterns)

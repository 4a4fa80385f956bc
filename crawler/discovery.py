"""Discovery: what an entry point lists, as pure functions over its bytes.

An entry point is a robots.txt (its ``Sitemap:`` lines), an XML sitemap or
sitemap index (Google News sitemaps included), an RSS/Atom feed, or an HTML
page. Each is parsed by the library that knows the format best: Protego for
robots.txt, Scrapy's sitemap parser (lxml, entities not resolved), feedparser
for feeds. No regexes over markup.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import feedparser
from protego import Protego
from scrapy.utils.sitemap import Sitemap


class EntryKind(enum.Enum):
    ROBOTS = "robots"
    SITEMAP_INDEX = "sitemap_index"
    SITEMAP = "sitemap"
    FEED = "feed"
    PAGE = "page"


@dataclass(frozen=True)
class Discovered:
    """A link found in an entry point: another entry point or an article."""
    url: str
    is_entry_point: bool = False


def classify(url: str, body: bytes, content_type: str = "") -> EntryKind:
    """Tell what kind of entry point a fetched document is, by its content."""
    if urlsplit(url).path.endswith("/robots.txt"):
        return EntryKind.ROBOTS
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<urlset") or head.startswith(b"<sitemapindex") \
            or head.startswith(b"<rss") or head.startswith(b"<feed") or "xml" in content_type.lower():
        if b"<urlset" in head or b"<sitemapindex" in head:
            return EntryKind.SITEMAP_INDEX if b"<sitemapindex" in head else EntryKind.SITEMAP
        return EntryKind.FEED
    return EntryKind.PAGE


def links_from_robots(url: str, text: str) -> list[Discovered]:
    return [Discovered(urljoin(url, s), is_entry_point=True)
            for s in Protego.parse(text).sitemaps]


def links_from_sitemap(url: str, body: bytes) -> list[Discovered]:
    """URLs of a sitemap (articles) or sitemap index (more sitemaps)."""
    sitemap = Sitemap(body)
    is_index = sitemap.type == "sitemapindex"
    return [Discovered(urljoin(url, entry["loc"]), is_entry_point=is_index)
            for entry in sitemap if entry.get("loc")]


def links_from_feed(url: str, body: bytes) -> list[Discovered]:
    """Article links of an RSS 2.0 / RSS 1.0 / Atom feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    links = []
    for entry in parsed.entries:
        link = entry.get("link")
        if link:
            links.append(Discovered(urljoin(url, link)))
    return links

"""The news spider: from a source's entry points to fetched article pages."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from twisted.python.failure import Failure

from crawler.discovery import (
    EntryKind,
    classify,
    links_from_feed,
    links_from_robots,
    links_from_sitemap,
)
from crawler.items import FetchedPage
from crawler.sources import Source, load_source

# Refuse to gunzip sitemaps beyond this (gzip bombs); Scrapy's own limit for responses.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class NewsSpider(scrapy.Spider):
    """Crawl one source: settings NEWS_SOURCE (key) and, optionally,
    NEWS_START_URLS (entry points replacing the configured ones for one run)."""

    name = "news"

    def __init__(self, source: Source, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source
        self.allowed_domains = list(source.allowed_domains)

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        # The source's politeness, at spider priority: a -s on the command line still wins.
        key = settings.get("NEWS_SOURCE")
        if key:
            settings.set("DOWNLOAD_DELAY", load_source(key).download_delay, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "NewsSpider":
        settings = crawler.settings
        source = load_source(kwargs.pop("source", None) or settings.get("NEWS_SOURCE", ""))
        start_urls = settings.getlist("NEWS_START_URLS")
        if start_urls:
            source = source.with_entry_points(start_urls)
        spider = cls(source, *args, **kwargs)
        spider._set_crawler(crawler)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.entry_points:
            self.crawler.stats.inc_value("discovery/entry_points")
            yield self._entry_point_request(url, discovered_from=None)

    def _entry_point_request(self, url: str, discovered_from: str | None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_entry_point, errback=self.entry_point_failed,
                              meta={"entry_point": True, "discovered_from": discovered_from})

    def _article_request(self, url: str, discovered_from: str) -> scrapy.Request:
        # handle_httpstatus_all: a 404 or 500 still reaches parse_article, so the
        # page is recorded as a rejection with its status instead of vanishing.
        return scrapy.Request(url, callback=self.parse_article, errback=self.article_failed,
                              meta={"handle_httpstatus_all": True,
                                    "discovered_from": discovered_from})

    def parse_entry_point(self, response: Response) -> Iterator[Any]:
        body = response.body
        if gzip_magic_number(response):
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        kind = classify(response.url, body, content_type)
        self.crawler.stats.inc_value(f"discovery/entry_points/{kind.value}")
        if kind is EntryKind.PAGE:
            yield from self.parse_article(response)
            return
        if kind is EntryKind.ROBOTS:
            links = links_from_robots(response.url, response.text)
        elif kind in (EntryKind.SITEMAP, EntryKind.SITEMAP_INDEX):
            links = links_from_sitemap(response.url, body)
        else:
            links = links_from_feed(response.url, body)
        if not links:
            self.logger.warning("entry point %s (%s) lists no links", response.url, kind.value)
        for link in links:
            if link.is_entry_point:
                yield self._entry_point_request(link.url, discovered_from=response.url)
            else:
                self.crawler.stats.inc_value("discovery/article_candidates")
                yield self._article_request(link.url, discovered_from=response.url)

    def entry_point_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("discovery/entry_points_failed")
        self.logger.error("entry point %s failed: %s", failure.request.url,
                          failure.getErrorMessage() or failure.type.__name__)

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        page = FetchedPage(
            source=self.source.key, url=response.url, fetched_at=datetime.now(timezone.utc),
            http_status=response.status, content_type=content_type,
            discovered_from=response.meta.get("discovered_from"))
        if response.status != 200:
            page.error, page.error_detail = f"http_{response.status}", f"HTTP {response.status}"
        elif not isinstance(response, TextResponse):
            page.error, page.error_detail = "not_html", f"content type {content_type or 'unknown'}"
        else:
            page.html = response.text
        yield page

    def article_failed(self, failure: Failure) -> Iterator[FetchedPage]:
        """A fetch that failed after retries, or was refused, is still accounted for."""
        if failure.check(IgnoreRequest):
            reason = "robots_disallowed" if "robots" in failure.getErrorMessage() else "not_fetched"
        else:
            reason = "fetch_error"
        yield FetchedPage(
            source=self.source.key, url=failure.request.url, fetched_at=datetime.now(timezone.utc),
            error=reason,
            error_detail=f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500],
            discovered_from=failure.request.meta.get("discovered_from"))

"""The news spider: from a source's entry points to fetched article pages.

Entry points (configured, or START_URLS) are fetched with conditional GET
(the validators of the last clean run); a 304 from a feed or sitemap means
nothing to do, from an index (robots.txt, sitemap index, home page) it leads
to the entry points that index listed last time. Whatever
they list is followed: sitemaps from robots.txt and sitemap indexes, feeds
announced by a home page, articles from feeds, sitemaps and listing pages.
An article the archive already holds is not fetched again unless its listing
says it changed since.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.referer import RefererMiddleware
from scrapy.utils.gz import gunzip, gzip_magic_number
from twisted.python.failure import Failure

from crawler.discovery import (
    DiscoveryError,
    Discovered,
    EntryKind,
    classify,
    is_article_url,
    is_site_root,
    links_from_feed,
    links_from_json_feed,
    links_from_page,
    links_from_robots,
    links_from_sitemap,
    site_root,
)
from crawler.faults import failure_reason
from crawler.items import FetchedPage
from crawler.warc import META_FETCHED_AT, META_POINTER
from crawler.sources import Source, load_source
from pipelines.ledger import CrawlState, Ledger
from pipelines.storage import open_archive
from pipelines.warc import WarcPointer

ERROR_STATUSES = list(range(400, 600))
# Configured entry points come after the articles already queued.
ENTRY_POINT_PRIORITY = -1
# Entry points found during the crawl (an index's sitemaps, a home page's feeds)
# are held back and released one at a time when the scheduler runs low (setting
# DISCOVERY_QUEUE_LOW_WATER): it then holds about one listing's articles, not a
# whole backfill's (a 50,000-page crawl had queued 18,500 requests). A released one
# goes first, so the next listing's articles are queued before the last one's run out.
RELEASED_ENTRY_POINT_PRIORITY = 1
# Refuse to gunzip sitemaps beyond this (gzip bombs).
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass
class EntryPointStatus:
    """What happened to one entry point, for the run manifest."""
    url: str
    discovered_from: str | None = None
    kind: str | None = None
    http_status: int | None = None
    not_modified: bool = False
    links: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DiscoveryCounts:
    skipped_known: int = 0
    skipped_too_old: int = 0
    entry_points: list[EntryPointStatus] = field(default_factory=list)


class NewsSpider(scrapy.Spider):
    """Crawl one source: settings NEWS_SOURCE (key) and, optionally,
    NEWS_START_URLS (entry points replacing the configured ones for one run)."""

    name = "news"

    def __init__(self, source: Source, ledger: Ledger | None = None,
                 state: CrawlState | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source
        self.allowed_domains = list(source.allowed_domains)
        self.ledger = ledger or Ledger()
        self.state = state
        self.discovery = DiscoveryCounts()
        self._entry_point_status: dict[str, EntryPointStatus] = {}
        self.queue_low_water = 0   # 0: no holding back (set from DISCOVERY_QUEUE_LOW_WATER)
        self._held_entry_points: deque[scrapy.Request] = deque()
        self._release_pending = False   # one released, not yet parsed or failed

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
        if settings.get("NEWS_MAX_AGE_DAYS"):
            source = replace(source, max_age_days=settings.getint("NEWS_MAX_AGE_DAYS"))
        archive = open_archive(settings.get("ARCHIVE_URI"))
        ledger = Ledger.load(archive, source.key)
        spider = cls(source, ledger, CrawlState(archive, source.key), *args, **kwargs)
        spider._set_crawler(crawler)
        spider.queue_low_water = settings.getint("DISCOVERY_QUEUE_LOW_WATER")
        crawler.signals.connect(spider._spider_idle, signal=signals.spider_idle)
        return spider

    @property
    def entry_points_report(self) -> list[dict[str, Any]]:
        return [status.as_dict() for status in self._entry_point_status.values()]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.set_value("archive/ledger_articles", len(self.ledger))
        for url in self.source.entry_points:
            self.crawler.stats.inc_value("discovery/entry_points")
            yield self._entry_point_request(url, discovered_from=None)

    # --- entry points --------------------------------------------------------

    def _entry_point_request(self, url: str, discovered_from: str | None,
                             priority: int = ENTRY_POINT_PRIORITY) -> scrapy.Request:
        self._entry_point_status.setdefault(url, EntryPointStatus(url, discovered_from))
        headers = self.state.request_headers(url) if self.state else {}
        return scrapy.Request(url, headers=headers, callback=self.parse_entry_point,
                              errback=self.entry_point_failed, priority=priority,
                              meta={"entry_point": True, "discovered_from": discovered_from,
                                    "handle_httpstatus_list": [304]})

    def _found_entry_points(self, urls: list[str], response: Response) -> Iterator[scrapy.Request]:
        """Requests for the entry points a response listed: now, or held back
        until the scheduler runs low."""
        if not self.queue_low_water:
            for url in urls:
                yield self._entry_point_request(url, response.url)
            return
        for url in urls:
            if url in self._entry_point_status:
                # Requested or held already: Scrapy's duplicate filter would drop
                # it after its release, and the next release would wait for idle.
                continue
            request = self._entry_point_request(url, response.url, RELEASED_ENTRY_POINT_PRIORITY)
            request.meta["held"] = True
            if self._referer is not None:
                # Released later, from another page's callback or from spider_idle
                # (no spider middleware), the middleware would name that page or
                # nothing; it keeps the Referer set here, from the listing page.
                self._referer.get_processed_request(request, response)
                if "Referer" not in request.headers:
                    # The listing page's policy sends none (no-referrer, or a
                    # downgrade to http): the page that releases it must not
                    # send its own either.
                    request.meta["referrer_policy"] = "no-referrer"
            self._held_entry_points.append(request)
        yield from self._released_entry_point()

    @cached_property
    def _referer(self) -> RefererMiddleware | None:
        """Scrapy's Referer rules (REFERRER_POLICY, a page's Referrer-Policy), for held requests."""
        return RefererMiddleware(self.settings) if self.settings.getbool("REFERER_ENABLED") else None

    def _released_entry_point(self) -> Iterator[scrapy.Request]:
        """The next held entry point, once the last one released has been read
        and fewer than DISCOVERY_QUEUE_LOW_WATER requests wait. Yielded by the
        callbacks, so it passes the spider middlewares (depth, URL length) like
        every other request; its Referer was set when it was held."""
        scheduler = self.crawler.engine.scheduler
        if self._held_entry_points and not self._release_pending \
                and scheduler is not None and len(scheduler) < self.queue_low_water:
            yield self._release_next()

    def _release_next(self) -> scrapy.Request:
        self._release_pending = True
        return self._held_entry_points.popleft()

    def _entry_point_done(self, request: scrapy.Request) -> None:
        if request.meta.get("held"):
            self._release_pending = False

    def _spider_idle(self) -> None:
        """Nothing left to do but what is held: release the next (Scrapy's idiom
        for keeping a spider open). A released request that never came back
        (dropped as a duplicate) no longer counts: nothing is in flight."""
        self._release_pending = False
        if self._held_entry_points:
            self.crawler.engine.crawl(self._release_next())
            raise DontCloseSpider

    def parse_entry_point(self, response: Response) -> Iterator[Any]:
        self._entry_point_done(response.request)
        status = self._entry_point_status.setdefault(response.url, EntryPointStatus(response.url))
        status.http_status = response.status
        if response.status == 304:
            status.not_modified = True
            self.crawler.stats.inc_value("discovery/not_modified")
            children = self.state.children_of(response.request.url) if self.state else []
            yield from self._found_entry_points(children, response)
            return
        if self.state:
            self.state.update_validators(
                response.request.url, _header(response, b"ETag"), _header(response, b"Last-Modified"))
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
            except Exception as exc:  # scrapy's _DecompressionMaxSizeExceeded, zlib errors
                self._entry_point_error(status, DiscoveryError("too_large", f"gunzip: {exc}"))
                return
        kind = classify(response.url, body, _header(response, b"Content-Type") or "")
        status.kind = kind.value
        self.crawler.stats.inc_value(f"discovery/entry_points/{kind.value}")
        if kind is EntryKind.PAGE and not self.is_listing(response.url):
            status.links = 1
            yield from self.parse_article(response)
            return
        try:
            links = self._links(kind, response, body)
        except DiscoveryError as exc:
            self._entry_point_error(status, exc)
            return
        if kind is EntryKind.PAGE and is_site_root(response.url):
            links.append(Discovered(site_root(response.url) + "robots.txt", is_entry_point=True))
        status.links = len(links)
        if self.state:
            self.state.remember_children(response.request.url,
                                         [link.url for link in links if link.is_entry_point])
        if not links:
            self.logger.warning("entry point %s (%s) lists no links", response.url, kind.value)
        for link in links:
            if not link.is_entry_point and self._wanted(link):
                self.crawler.stats.inc_value("discovery/article_candidates")
                yield self._article_request(link, discovered_from=response.url)
        yield from self._found_entry_points([link.url for link in links if link.is_entry_point], response)

    def _entry_point_error(self, status: EntryPointStatus, exc: DiscoveryError) -> None:
        status.error = str(exc)
        self.crawler.stats.inc_value("discovery/entry_points_failed")
        self.crawler.stats.inc_value(f"discovery/entry_point_errors/{exc.reason}")
        self.logger.error("entry point %s refused: %s", status.url, exc)

    def _links(self, kind: EntryKind, response: Response, body: bytes) -> list[Discovered]:
        if kind is EntryKind.ROBOTS:
            return links_from_robots(response.url, response.text)
        if kind in (EntryKind.SITEMAP, EntryKind.SITEMAP_INDEX):
            return links_from_sitemap(response.url, body)
        if kind is EntryKind.JSON_FEED:
            return links_from_json_feed(response.url, body)
        if kind is EntryKind.FEED:
            return links_from_feed(response.url, body)
        return links_from_page(response.url, body, self.source.article_patterns)

    def is_listing(self, url: str) -> bool:
        """An HTML entry point is a listing (home, section) unless it is an article
        by the source's URL rules; without rules only the site root is a listing."""
        if is_site_root(url):
            return True
        if not self.source.article_patterns:
            return False
        return not is_article_url(url, self.source.article_patterns)

    def entry_point_failed(self, failure: Failure) -> None:
        self._entry_point_done(failure.request)
        url = failure.request.url
        message = f"{failure_reason(failure.value)}: {failure.getErrorMessage() or failure.type.__name__}"
        self._entry_point_status.setdefault(url, EntryPointStatus(url)).error = message
        self.crawler.stats.inc_value("discovery/entry_points_failed")
        self.logger.error("entry point %s failed: %s", url, message)

    # --- articles ------------------------------------------------------------

    def _wanted(self, link: Discovered) -> bool:
        """Skip what the archive holds unchanged, and what is older than the
        source's maximum age."""
        listed_at = link.published or link.lastmod
        if self.source.max_age_days and listed_at is not None and \
                listed_at < datetime.now(timezone.utc) - timedelta(days=self.source.max_age_days):
            self.discovery.skipped_too_old += 1
            self.crawler.stats.inc_value("discovery/skipped_too_old")
            return False
        unchanged_at = self.state.last_unchanged_listing(link.url) if self.state else None
        if not self.ledger.needs_fetch(link.url, link.lastmod, unchanged_at):
            self.discovery.skipped_known += 1
            self.crawler.stats.inc_value("discovery/skipped_known")
            return False
        return True

    def _article_request(self, link: Discovered, discovered_from: str) -> scrapy.Request:
        # Error statuses still reach parse_article, so the page is recorded as a
        # rejection with its status instead of vanishing; redirects (3xx) are
        # left to RedirectMiddleware (handle_httpstatus_all would disable it).
        return scrapy.Request(link.url, callback=self.parse_article, errback=self.article_failed,
                              meta={"handle_httpstatus_list": ERROR_STATUSES, "listing": link,
                                    "discovered_from": discovered_from})

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        content_type = _header(response, b"Content-Type")
        page = self._page(response.request, response.url, http_status=response.status,
                          content_type=content_type)
        if response.status != 200:
            page.error, page.error_detail = f"http_{response.status}", f"HTTP {response.status}"
        elif not isinstance(response, TextResponse) or not is_html(content_type, response.body):
            page.error, page.error_detail = "not_html", f"content type {content_type or 'unknown'}"
        else:
            # The bytes, decoded in the extraction worker (pipelines.extract.
            # decode_page) as response.text would: the decoded text would stay
            # in this process until the page is extracted, one to four bytes
            # a character (2.2 times the bytes over the evaluation pages; on
            # the benchmark's real pages 15 MB of the crawler's RSS, and 40 MB
            # more while its largest pages waited).
            page.body, page.encoding = response.body, response.encoding
        yield page
        yield from self._released_entry_point()

    def article_failed(self, failure: Failure) -> Iterator[FetchedPage]:
        """A fetch that failed after retries, or was refused, is still accounted for."""
        page = self._page(failure.request, failure.request.url)
        page.error = failure_reason(failure.value)
        page.error_detail = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        yield page
        yield from self._released_entry_point()

    def _page(self, request: scrapy.Request, url: str, **fields: Any) -> FetchedPage:
        listing: Discovered | None = request.meta.get("listing")
        pointer: WarcPointer | None = request.meta.get(META_POINTER)
        return FetchedPage(
            source=self.source.key, url=url,
            fetched_at=request.meta.get(META_FETCHED_AT) or datetime.now(timezone.utc),
            **(pointer.as_fields() if pointer else {}),
            discovered_from=request.meta.get("discovered_from"),
            listed_title=listing.title if listing else None,
            listed_published_at=listing.published if listing else None,
            listed_modified_at=listing.lastmod if listing else None,
            listed_keywords=list(listing.keywords) if listing else [],
            **fields)


HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html(content_type: str | None, body: bytes) -> bool:
    """An HTML page by its declared type, or, undeclared, by its first bytes."""
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<"))


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None

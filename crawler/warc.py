"""Downloader middlewares of the raw archive: record every fetch to WARC, or
replay a crawl from a WARC instead of the network.

Both sit next to the downloader (orders 950 and 960, after Scrapy's own
middlewares), so the recorder sees each response as received (before
decompression and redirects) and each request as sent (user agent, headers);
a replayed response passes through every middleware as a fetched one does.
The WARC work itself is in pipelines/warc.py; these classes only wire it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from importlib.metadata import version
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url

from pipelines.spool import DEFAULT_SPOOL_DIR, Spool
from pipelines.storage import ArchiveError, open_archive
from pipelines.warc import (
    DEFAULT_MAX_FILE_BYTES,
    DamagedWarc,
    PURPOSE,
    HttpExchange,
    WarcFileWriter,
    WarcResponse,
    WarcSource,
)

logger = logging.getLogger(__name__)

# request.meta keys: where the response's record is, and when it was received.
META_POINTER = "warc_record"
META_FETCHED_AT = "fetched_at"
REPLAY_FLAG = "warc-replay"


def _pairs(headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


def exchange_from(request: Request, response: Response, fetched_at: datetime) -> HttpExchange:
    """The fetch as plain values: the request as sent, the response as received."""
    return HttpExchange(
        url=response.url, status=response.status, response_headers=_pairs(response.headers),
        body=response.body, fetched_at=fetched_at, method=request.method,
        request_headers=_pairs(request.headers), request_body=request.body or b"",
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address else None)


def fetch_metadata(request: Request) -> dict[str, Any]:
    """What the crawler knew of the fetch, for the WARC `metadata` record:
    re-processing rebuilds the page's context (listing hints) from it."""
    listing = request.meta.get("listing")
    if listing is not None:
        purpose = "article"
    elif request.meta.get("entry_point"):
        purpose = "entry_point"
    else:
        purpose = "other"      # robots.txt asked by Scrapy's middleware, ...
    fields: dict[str, Any] = {PURPOSE: purpose, "via": request.meta.get("discovered_from")}
    if listing is not None:
        fields.update({"listed-title": listing.title, "listed-published-at": listing.published,
                       "listed-modified-at": listing.lastmod,
                       "listed-keyword": list(listing.keywords)})
    return fields


class WarcRecorderMiddleware:
    """Writes every response received (and the request that asked for it) to
    the run's WARC files, and puts the pointer to its `response` record and the
    time it was received in `request.meta` for the spider to hand on.

    Settings: WARC_ENABLED (default True), WARC_MAX_FILE_BYTES (rotation size),
    WARC_SPOOL_DIR (local directory for files being written; default: the
    system's temporary directory).
    """

    def __init__(self, writer: WarcFileWriter, stats=None):
        self.writer = writer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> "WarcRecorderMiddleware":
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured("WARC_ENABLED is off: no raw archive")
        spider = crawler.spider
        source = spider.source.key if spider is not None and hasattr(spider, "source") \
            else settings.get("NEWS_SOURCE")
        run_id = settings.get("NEWS_RUN_ID") or "run"
        warcinfo = {
            "software": f"news-archive/0.1 (Scrapy {version('scrapy')}, warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"news-archive source={source} run={run_id}",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "operator": settings.get("CONTACT_URL"),
            "replay-of": settings.get("REPLAY") or None,
        }
        archive = open_archive(settings.get("ARCHIVE_URI"))
        writer = WarcFileWriter(
            archive, source, run_id,
            settings.getint("WARC_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES), warcinfo,
            settings.get("WARC_SPOOL_DIR") or None,
            Spool(settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR, archive.uri))
        middleware = cls(writer, crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        if REPLAY_FLAG in response.flags and request.meta.get(META_FETCHED_AT):
            fetched_at = request.meta[META_FETCHED_AT]   # replayed: the original fetch time
        else:
            fetched_at = datetime.now(timezone.utc)
        cpu = time.thread_time()
        pointer = self.writer.write(exchange_from(request, response, fetched_at),
                                    fetch_metadata(request))
        if self.stats:
            self.stats.inc_value("perf/warc_cpu_s", time.thread_time() - cpu)
        request.meta[META_POINTER] = pointer
        request.meta[META_FETCHED_AT] = fetched_at
        if self.stats:
            self.stats.inc_value("warc/records")
            self.stats.inc_value("warc/response_bytes", len(response.body))
        return response

    def publish(self, relpaths=None) -> None:
        """Publish the open files named (all when None): the Parquet writer calls
        this before publishing rows that point into them."""
        cpu = time.thread_time()
        self.writer.publish(relpaths)
        if self.stats:
            self.stats.inc_value("perf/warc_cpu_s", time.thread_time() - cpu)

    def spider_closed(self, spider=None, reason: str | None = None) -> None:
        cpu = time.thread_time()
        try:
            self.writer.close()
        except ArchiveError as exc:
            if spider is not None:
                spider.logger.error("raw archive: %s", exc)
            self.writer.discard()
        if self.stats:
            self.stats.inc_value("perf/warc_cpu_s", time.thread_time() - cpu)
            self.stats.set_value("warc/files", len(self.writer.files_written))
            if self.writer.files_spooled:
                self.stats.set_value("warc/files_spooled", len(self.writer.files_spooled))


class ReplayIndex:
    """The responses of a WARC by URL, for replay: the latest response of each
    URL that is not a 304 (a replayed crawl has no cache to revalidate)."""

    def __init__(self, source: WarcSource):
        self.source = source
        self._by_url: dict[str, Any] = {}
        self.damage: DamagedWarc | None = None  # where a damaged file stopped the index
        try:
            for response in source.responses():
                key = canonicalize_url(response.url)
                known = self._by_url.get(key)
                if known is None or response.status != 304 or known[1] == 304:
                    self._by_url[key] = (response.pointer, response.status)
        except DamagedWarc as exc:
            self.damage = exc

    def __len__(self) -> int:
        return len(self._by_url)

    def get(self, url: str) -> WarcResponse | None:
        entry = self._by_url.get(canonicalize_url(url))
        return self.source.read(entry[0]) if entry else None


class WarcReplayMiddleware:
    """Serves every request from a WARC file (setting REPLAY: a path or s3:// URL)
    instead of the network; a URL the WARC does not hold is not fetched
    (IgnoreRequest), so a replayed crawl never touches the web."""

    def __init__(self, index: ReplayIndex, stats=None):
        self.index = index
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> "WarcReplayMiddleware":
        location = crawler.settings.get("REPLAY")
        if not location:
            raise NotConfigured("REPLAY is not set")
        index = ReplayIndex(WarcSource(location))
        if index.damage:
            # An error (the run exits 1); the whole responses before it are replayed.
            logger.error("%s; the rest of the file is not replayed", index.damage)
        return cls(index, crawler.stats)

    def process_request(self, request: Request) -> Response:
        recorded = self.index.get(request.url)
        if recorded is None:
            if self.stats:
                self.stats.inc_value("replay/missing")
            raise IgnoreRequest("not in the replay WARC")
        headers, body = recorded.served()
        response_class = responsetypes.from_args(headers=Headers(headers), url=recorded.url,
                                                 body=body)
        request.meta[META_FETCHED_AT] = recorded.fetched_at
        if self.stats:
            self.stats.inc_value("replay/responses")
        return response_class(url=recorded.url, status=recorded.status, headers=headers,
                              body=body, request=request, flags=[REPLAY_FLAG],
                              protocol=recorded.protocol)

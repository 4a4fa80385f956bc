"""Re-processing: rebuild articles from the raw WARC archive, without the network.

    make reprocess SOURCE=abc [SINCE=2026-11-01] [UNTIL=2026-11-30]
    make reprocess SOURCE=abc WARC='CC-NEWS-….warc.gz s3://bucket/….warc.gz' [DOMAINS='example.com …']

    python -m pipelines.reprocess SOURCE [--since DAY] [--until DAY] [--warc LOCATION ...]
                                         [--domain DOMAIN ...]

Reads the source's WARC files under ARCHIVE_URI/raw/source=<key>/ (or the
foreign WARC files given, e.g. Common Crawl's CC-NEWS, keeping the responses of
the source's domains), runs today's extraction on every article response and
writes rows with today's `extractor_version`, through the crawl's own stages:
the spider's page rules (NewsSpider.parse_article), ExtractPipeline,
ValidatePipeline, the versioning rule of pipelines/dedup.py and
ParquetArchiveWriter. A row with the same article_id, content_sha256 and
extractor_version as an archived one is not written again, so running it twice
writes nothing the second time. It holds the source's lock like a crawl and
leaves a manifest in _runs/<source>/.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

from pyarrow import fs as pafs
from scrapy.http import Headers, Request
from scrapy.responsetypes import responsetypes

from crawler.discovery import Discovered, EntryKind, classify
from crawler.items import FetchedPage
from crawler.lock import LockHeld, RunLock
from crawler.run import performance
from crawler.warc import META_FETCHED_AT, META_POINTER
from crawler.sources import Source, SourceError, load_source
from crawler.spiders.news import NewsSpider
from pipelines import EXTRACTOR_VERSION
from pipelines.dedup import assign_reprocessed_version
from pipelines.extract import ExtractPipeline
from pipelines.ledger import Ledger
from pipelines.rejections import PageRejected
from pipelines.storage import Archive, ArchiveError, open_archive
from pipelines.validate import ValidatePipeline
from pipelines.warc import RAW_DATASET, DamagedWarc, WarcResponse, WarcSource, warc_location
from pipelines.writer import ParquetArchiveWriter, new_run_id

# As `make crawl`'s (crawler/run.py).
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_ARCHIVE, EXIT_LOCKED = 0, 1, 2, 3, 5


class Stats(Counter):
    """The part of Scrapy's stats collector the pipelines use."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count

    def set_value(self, key: str, value: Any) -> None:
        self[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)


def raw_files(archive: Archive, source: str, since: date | None, until: date | None) -> list[str]:
    """The source's WARC files, by fetch date then name (run ids sort by start
    time, so this is fetch order), pruned by their date= partition."""
    selector = pafs.FileSelector(archive.path(RAW_DATASET, f"source={source}"), recursive=True,
                                 allow_not_found=True)
    files = []
    for info in archive.filesystem.get_file_info(selector):
        relpath = info.path[len(archive.root) + 1:]
        name = relpath.rsplit("/", 1)[-1]
        if info.type != pafs.FileType.File or not name.endswith((".warc.gz", ".warc")) \
                or name.startswith("."):
            continue
        day = next((part[5:] for part in relpath.split("/") if part.startswith("date=")), None)
        if day and not _within(date.fromisoformat(day), since, until):
            continue
        files.append(relpath)
    return sorted(files)


def _within(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def in_domains(url: str, domains: Iterable[str] | None) -> bool:
    """The host is one of `domains` or below one; None: any host."""
    if domains is None:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def listing_from_metadata(metadata: dict[str, list[str]], url: str) -> Discovered | None:
    """What the feed or sitemap said of the page, as the crawler recorded it."""
    if (metadata.get("fetch-purpose") or [None])[0] != "article":
        return None

    def one(name: str) -> str | None:
        return (metadata.get(name) or [None])[0]

    def when(name: str) -> datetime | None:
        value = one(name)
        return datetime.fromisoformat(value) if value else None

    return Discovered(url, title=one("listed-title"), published=when("listed-published-at"),
                      lastmod=when("listed-modified-at"),
                      keywords=tuple(metadata.get("listed-keyword", [])))


def scrapy_response(recorded: WarcResponse, listing: Discovered | None):
    """The recorded response as the spider received it: decoded body, the
    pointer and fetch time in its request's meta."""
    headers = Headers(recorded.decoded_headers())
    meta = {"listing": listing, "discovered_from": (recorded.metadata.get("via") or [None])[0],
            META_POINTER: recorded.pointer, META_FETCHED_AT: recorded.fetched_at,
            "handle_httpstatus_all": True}
    request = Request(recorded.url, meta=meta)
    response_class = responsetypes.from_args(headers=headers, url=recorded.url, body=recorded.body)
    return response_class(url=recorded.url, status=recorded.status, headers=headers,
                          body=recorded.body, request=request, protocol=recorded.protocol)


ARTICLE = "article"
NOT_ARTICLE_URL = "not_article_url"


def triage(recorded: WarcResponse, spider: NewsSpider) -> str | None:
    """What the crawl did (or would do) with this response: ARTICLE (extract it),
    NOT_ARTICLE_URL (a page the source's rules do not take as an article: a
    rejection), or None (not a page: robots.txt, feeds, sitemaps; a 304).

    Our own fetches say why they were made: articles are extracted; entry points
    are when they are pages the source's rules do not call listings, as the
    spider decides (NewsSpider.is_listing). A foreign crawler's response (no
    such record) is taken by the same rule; the pages it leaves out are
    rejections, so every foreign page kept by the domain filter is accounted for."""
    purpose = recorded.purpose
    if purpose == ARTICLE:
        return ARTICLE
    if purpose not in (None, "entry_point") or recorded.status == 304:
        return None
    kind = classify(recorded.url, recorded.body[:4096], recorded.header("Content-Type") or "")
    if kind is not EntryKind.PAGE:
        return None
    if recorded.status == 200 and spider.is_listing(recorded.url):
        return None if purpose == "entry_point" else NOT_ARTICLE_URL
    return ARTICLE


@dataclass
class Reprocessor:
    """Runs the crawl's stages on recorded responses and writes what is new."""
    source: Source
    archive: Archive
    run_id: str
    stats: Stats = field(default_factory=Stats)

    # Extraction processes (0: inline); as the crawl's EXTRACT_WORKERS.
    workers: int | None = None

    def __post_init__(self) -> None:
        from pipelines.extract_pool import default_workers
        self.spider = NewsSpider(self.source)
        if self.workers is None:
            # EXTRACT_WORKERS from the environment, as `-s EXTRACT_WORKERS=` for a crawl.
            value = os.environ.get("EXTRACT_WORKERS", "").strip()
            self.workers = int(value) if value else default_workers()
        self.extract = ExtractPipeline.for_source(self.source, workers=self.workers,
                                                  stats=self.stats)
        self.validate = ValidatePipeline()
        # Versions are numbered among today's extractor's rows; the rows of
        # earlier extractors stay as they are.
        self.ledger = Ledger.load(self.archive, self.source.key, extractor_version=EXTRACTOR_VERSION)
        self.writer = ParquetArchiveWriter(self.archive.uri, self.source.key, self.run_id,
                                           self.stats)

    def run(self, responses: Iterable[WarcResponse]) -> None:
        """Pages are extracted in the pool, a bounded window of them at a time,
        and their outcomes handled in WARC order, as one process would."""
        self.writer.open_spider()
        self.extract.open_spider()
        try:
            if self.extract.pool is None:
                for key, _, _ in self._jobs(responses):
                    self._handle(key, None)
            else:
                for key, outcome in self.extract.pool.map_ordered(self._jobs(responses)):
                    self._handle(key, outcome)
        finally:
            self.extract.close_spider()
        self.writer.close_spider()

    def _jobs(self, responses: Iterable[WarcResponse]):
        for recorded in responses:
            self.stats.inc_value("reprocess/responses")
            verdict = triage(recorded, self.spider)
            if verdict == ARTICLE:
                self.stats.inc_value("reprocess/article_candidates")
                page = self.page(recorded)
                if self.extract.pool is not None and not page.error:
                    yield (recorded, page), page.body or b"", self.extract.context(page)
                else:
                    yield (recorded, page), None, None
            elif verdict == NOT_ARTICLE_URL:
                yield (recorded, None), None, None

    def _handle(self, key: tuple[WarcResponse, FetchedPage | None], outcome: tuple | None) -> None:
        recorded, page = key
        if page is None:
            page = self.page(recorded)
            self.writer.item_dropped(page, None, PageRejected(
                NOT_ARTICLE_URL, "a listing or other page by the source's article URL rules"))
            return
        self.process(recorded, page, outcome)

    def page(self, recorded: WarcResponse) -> FetchedPage:
        """The FetchedPage the spider makes of this response."""
        response = scrapy_response(recorded, listing_from_metadata(recorded.metadata, recorded.url))
        page = next(iter(self.spider.parse_article(response)))
        assert isinstance(page, FetchedPage)
        return page

    def process(self, recorded: WarcResponse, page: FetchedPage, outcome: tuple | None = None) -> None:
        """The crawl's stages after the fetch; `outcome`: the extraction, when
        the pool did it (else it is done here)."""
        item: Any = page
        try:
            if outcome is None:
                item = self.extract.process_page(item)
            else:
                item = self.extract.finish(page, outcome)
            item = self.validate.process_item(item)
        except PageRejected as exc:
            self.writer.item_dropped(item, None, exc)
            return
        except Exception as exc:  # noqa: BLE001 (as in a crawl: logged, counted, not fatal)
            self.stats.inc_value("reprocess/errors")
            print(f"error: {recorded.url} ({recorded.pointer.filename}:{recorded.pointer.offset}): "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return
        if assign_reprocessed_version(item, self.ledger) is None:
            self.stats.inc_value("archive/unchanged")
            return
        if item["version"] > 1:
            self.stats.inc_value("archive/versions_written")
        self.writer.process_item(item)


def recorded_responses(sources: list[WarcSource], domains: Iterable[str] | None,
                       since: date | None, until: date | None,
                       stats: Stats) -> Iterator[WarcResponse]:
    """The responses to re-process, file by file. A damaged file gives the
    whole responses before the damage, and an error; the next file follows."""
    for source in sources:
        try:
            for recorded in source.responses():
                if in_domains(recorded.url, domains) and \
                        _within(recorded.fetched_at.date(), since, until):
                    yield recorded
        except DamagedWarc as exc:
            stats.inc_value("reprocess/errors")
            print(f"error: {exc}; the rest of the file is skipped", file=sys.stderr)


def reprocess(source: Source, archive: Archive, *, warcs: list[str] | None = None,
              domains: list[str] | None = None, since: date | None = None,
              until: date | None = None) -> dict[str, Any]:
    """Re-process and return the run's manifest (also written to _runs/)."""
    run_id = new_run_id()
    started = datetime.now(timezone.utc)
    if warcs:
        sources = [WarcSource(location, archive) for location in warcs]
        if domains is None:
            domains = list(source.allowed_domains)
        domains = None if "*" in domains else [d.lower().lstrip(".") for d in domains]
    else:
        sources = [WarcSource(relpath, archive)
                   for relpath in raw_files(archive, source.key, since, until)]
        domains = None
    with RunLock(archive, source.key, run_id):
        worker = Reprocessor(source, archive, run_id)
        worker.run(recorded_responses(sources, domains, since, until, worker.stats))
    stats = worker.stats
    manifest = {
        "run_id": run_id, "kind": "reprocess", "source": source.key, "archive_uri": archive.uri,
        "started_at": started.isoformat(), "finished_at": datetime.now(timezone.utc).isoformat(),
        "extractor_version": EXTRACTOR_VERSION, "host": socket.gethostname(),
        "inputs": [s.location for s in sources], "domains": domains,
        "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
        "responses": stats["reprocess/responses"],
        "article_candidates": stats["reprocess/article_candidates"],
        "articles_written": stats["archive/articles_written"] - stats["archive/versions_written"],
        "versions_written": stats["archive/versions_written"],
        "unchanged": stats["archive/unchanged"],
        "rejections": {k.split("/", 1)[1]: v for k, v in sorted(stats.items())
                       if k.startswith("rejected/")},
        "errors": stats["reprocess/errors"],
        "files_written": stats["archive/articles_files"] + stats["archive/rejects_files"],
        "performance": performance(stats),
    }
    archive.publish(f"_runs/{source.key}/{run_id}.json", json.dumps(manifest, indent=1).encode())
    return manifest


def report(manifest: dict[str, Any]) -> str:
    rejected = ", ".join(f"{k}={v}" for k, v in manifest["rejections"].items()) or "none"
    return (f"reprocess {manifest['run_id']} source={manifest['source']} "
            f"extractor={manifest['extractor_version']}: WARC files={len(manifest['inputs'])} "
            f"responses={manifest['responses']} "
            f"article candidates={manifest['article_candidates']} "
            f"articles written={manifest['articles_written']} "
            f"versions written={manifest['versions_written']} "
            f"unchanged={manifest['unchanged']} "
            f"rejected={sum(manifest['rejections'].values())} ({rejected}) "
            f"errors={manifest['errors']} files={manifest['files_written']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.reprocess", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="source key (crawler/sources/<key>.toml)")
    parser.add_argument("--since", type=date.fromisoformat, help="first fetch day, YYYY-MM-DD")
    parser.add_argument("--until", type=date.fromisoformat, help="last fetch day, YYYY-MM-DD")
    parser.add_argument("--warc", action="append", default=[], metavar="LOCATION",
                        help="a foreign WARC file (path or s3:// URL) instead of the archive's")
    parser.add_argument("--domain", action="append", default=None, metavar="DOMAIN",
                        help="with --warc: keep responses of this domain (default: the "
                             "source's allowed_domains; '*': all)")
    args = parser.parse_args(argv)
    try:
        source = load_source(args.source)
        archive = open_archive()
        manifest = reprocess(source, archive, warcs=[warc_location(w) for w in args.warc],
                             domains=args.domain,
                             since=args.since, until=args.until)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    print(report(manifest), file=sys.stderr)
    return EXIT_PARTIAL if manifest["errors"] else EXIT_OK

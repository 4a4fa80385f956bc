"""Run one crawl, or one per source: what `make crawl` and `make crawl-all` call.

    python -m crawler SOURCE          (START_URLS, ARCHIVE_URI, REPLAY from the environment)
    python -m crawler --all

Checks its inputs before anything is fetched (unknown source, unusable
archive: one line on stderr, non-zero exit), runs the Scrapy crawl, prints what
the run did and exits with a status cron can act on.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.spiders.news import NewsSpider
from crawler.sources import SourceError, available_sources, load_source
from crawler.lock import LockHeld, RunLock
from pipelines.dedup import load_rejection_ledger
from pipelines.ledger import Ledger
from pipelines.spool import DEFAULT_SPOOL_DIR, Spool, Uploaded
from pipelines.storage import Archive, ArchiveError, open_archive
from pipelines.warc import WarcSource, warc_location
from pipelines.writer import new_run_id

EXIT_OK = 0
EXIT_PARTIAL = 1            # some pages or entry points failed; the rest is archived
EXIT_USAGE = 2              # bad input: unknown source, bad START_URLS
EXIT_ARCHIVE = 3            # the archive cannot be used
EXIT_NOTHING_FETCHED = 4    # no entry point answered, or they listed no article at all
EXIT_LOCKED = 5             # another run of the source holds its lock

EXIT_REASONS = {EXIT_OK: "success", EXIT_PARTIAL: "partial failure", EXIT_USAGE: "bad input",
                EXIT_ARCHIVE: "archive unusable", EXIT_NOTHING_FETCHED: "nothing fetched",
                EXIT_LOCKED: "locked"}


@dataclass
class RunSummary:
    """What one run did, from the crawl's stats: the report line, the exit
    status and the manifest."""
    source: str
    run_id: str
    stats: dict
    entry_points: list[dict] = field(default_factory=list)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def rejections(self) -> dict[str, int]:
        return {k.split("/", 1)[1]: v for k, v in sorted(self.stats.items())
                if k.startswith("rejected/")}

    @property
    def listed(self) -> int:
        """Articles the entry points listed, new or already known."""
        return (self.count("discovery/article_candidates") + self.count("discovery/skipped_known")
                + self.count("discovery/skipped_too_old") + self.count("discovery/entry_points/page"))

    @property
    def versions_written(self) -> int:
        return self.count("archive/versions_written")

    @property
    def new_articles_written(self) -> int:
        return self.count("archive/articles_written") - self.versions_written

    @property
    def stopped_early(self) -> str | None:
        """Why the crawl stopped before it had fetched all it found (Scrapy's
        finish_reason: "shutdown" on SIGTERM or Ctrl-C, "closespider_timeout"),
        or None when it finished."""
        reason = self.stats.get("finish_reason")
        return None if reason in (None, "finished") else str(reason)

    def exit_status(self) -> int:
        # Healthy quiet runs (304s, only known articles listed) are successes; a run
        # whose entry points all failed or list nothing at all needs a person.
        if self.count("downloader/response_count") == 0 or (
                self.listed == 0 and self.count("discovery/not_modified") == 0):
            return EXIT_NOTHING_FETCHED
        # A run stopped early is not clean: its listings' validators are not
        # saved, or the next run would get a 304 for them and never fetch the
        # articles this one left.
        if self.count("log_count/ERROR") or self.count("discovery/entry_points_failed") \
                or self.stopped_early:
            return EXIT_PARTIAL
        return EXIT_OK

    def nothing_fetched_reason(self) -> str:
        failed = self.count("discovery/entry_points_failed")
        if self.count("downloader/response_count") == 0 or failed == self.count("discovery/entry_points"):
            return f"nothing could be fetched: all {failed} entry points failed (see the log above)"
        return "no article candidates found: the entry points list no articles"

    def report(self) -> str:
        rejected = ", ".join(f"{k}={v}" for k, v in self.rejections.items()) or "none"
        return (f"run {self.run_id} source={self.source}: "
                f"pages fetched={self.count('downloader/response_count')} "
                f"not modified={self.count('discovery/not_modified')} "
                f"article candidates={self.count('discovery/article_candidates')} "
                f"known skipped={self.count('discovery/skipped_known')} "
                f"articles written={self.new_articles_written} "
                f"versions written={self.versions_written} "
                f"unchanged={self.count('archive/unchanged')} "
                f"rejected={sum(self.rejections.values())} ({rejected}) "
                f"errors={self.count('log_count/ERROR')} "
                f"files={self.count('archive/articles_files') + self.count('archive/rejects_files')}")

    def manifest(self, archive_uri: str, exit_status: int, **extra: Any) -> dict[str, Any]:
        def when(key: str) -> str | None:
            value = self.stats.get(key)
            return value.isoformat() if isinstance(value, datetime) else None
        return {
            "run_id": self.run_id, "source": self.source, "archive_uri": archive_uri,
            "started_at": when("start_time"), "finished_at": when("finish_time"),
            "finish_reason": self.stats.get("finish_reason"),
            "entry_points": self.entry_points,
            "pages_fetched": self.count("downloader/response_count"),
            "not_modified": self.count("discovery/not_modified"),
            "article_candidates": self.count("discovery/article_candidates"),
            "skipped_known": self.count("discovery/skipped_known"),
            "skipped_too_old": self.count("discovery/skipped_too_old"),
            "articles_written": self.new_articles_written,
            "versions_written": self.versions_written,
            "unchanged": self.count("archive/unchanged"),
            "rejections": self.rejections,
            "errors": self.count("log_count/ERROR"),
            "files_written": self.count("archive/articles_files") + self.count("archive/rejects_files"),
            "exit_status": exit_status, "exit_reason": EXIT_REASONS[exit_status],
            **extra,
        }


@dataclass
class Run:
    source: str
    run_id: str
    crawler: Crawler
    lock: RunLock
    spool_uploaded: Uploaded    # what earlier runs' spool gave the archive before this one
    failure: BaseException | None = None    # what stopped the crawl, if anything did

    def crawl_failed(self, failure: Any) -> None:
        """The crawl's errback: keep the exception for `finish` to report."""
        self.failure = crawl_failure(failure)


def crawl_failure(failure: Any) -> BaseException:
    """What stopped a crawl (a Twisted Failure's exception), its traceback
    printed unless the archive or the disk failed: a bug's is needed, theirs
    say nothing their message does not."""
    if not isinstance(failure.value, (ArchiveError, OSError)):
        failure.printTraceback(file=sys.stderr)
    return failure.value


def upload_spool(archive: Archive, source: str, spool_dir: str | None) -> Uploaded | None:
    """Before a run loads its ledger: publish what earlier runs of `source`
    spooled on this machine, leaving out what the archive got since from
    another machine. None (said on stderr) when the archive still cannot take it."""
    spool = Spool(spool_dir or DEFAULT_SPOOL_DIR, archive.uri)
    if not spool.pending(source):
        return Uploaded()
    try:
        uploaded = spool.upload(archive, source, Ledger.load(archive, source),
                                load_rejection_ledger(archive, source))
    except ArchiveError as exc:
        print(f"error: {len(spool.pending(source))} files of earlier runs of {source} are still "
              f"spooled at {spool.root} and cannot be uploaded: {exc}", file=sys.stderr)
        return None
    for relpath, moved_to, reason in uploaded.damaged:
        print(f"error: a file spooled by an earlier run cannot be read ({reason}); it is moved to "
              f"{moved_to} and not uploaded as {relpath}: the pages it held are fetched again "
              f"when listed", file=sys.stderr)
    left_out = (f"; {uploaded.rows_left_out} rows left out, the archive holds them already"
                if uploaded.rows_left_out else "")
    print(f"uploaded {uploaded.files} files spooled by earlier runs from {spool.root}{left_out}",
          file=sys.stderr)
    return uploaded


def take_run_lock(archive: Archive, source: str, run_id: str,
                  spool_dir: str | None) -> tuple[RunLock | None, int, Uploaded]:
    """Start a run of `source`: take its lock (recovering a stale one, said on
    stderr) and upload what earlier runs spooled. (lock, EXIT_OK, what was
    uploaded), or (None, the exit status, ...) when the run cannot start, with
    the reason on stderr."""
    lock = RunLock(archive, source, run_id)
    try:
        lock.acquire()
    except LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, EXIT_LOCKED, Uploaded()
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, EXIT_ARCHIVE, Uploaded()
    if lock.recovered_from:
        print(f"warning: recovered the stale lock of run {lock.recovered_from.run_id} "
              f"(host {lock.recovered_from.host}, pid {lock.recovered_from.pid})", file=sys.stderr)
    elif lock.replaced_unreadable:
        print(f"warning: replaced the lock {archive.uri}/{lock.relpath}, which held no run "
              f"this version can read", file=sys.stderr)
    try:
        uploaded = upload_spool(archive, source, spool_dir)
    except BaseException:
        lock.release()
        raise
    if uploaded is None:
        lock.release()
        return None, EXIT_ARCHIVE, Uploaded()
    return lock, EXIT_OK, uploaded


def upload_spools(source_keys: list[str], archive: Archive, spool_dir: str | None) -> int:
    """`make upload-spool`: what this machine spooled for each source goes up
    under the source's lock, as before a run, and nothing is crawled (a
    machine leaving the cluster, or one that only ran workers)."""
    status = EXIT_OK
    spool = Spool(spool_dir or DEFAULT_SPOOL_DIR, archive.uri)
    for key in source_keys:
        if not spool.pending(key):
            print(f"{key}: nothing spooled", file=sys.stderr)
            continue
        lock, lock_status, uploaded = take_run_lock(archive, key, new_run_id(), spool_dir)
        if lock is None:
            status = max(status, lock_status)
            continue
        lock.release()
        if uploaded.damaged:
            status = max(status, EXIT_PARTIAL)
    return status


def crawl(source_keys: list[str], start_urls: list[str], archive: Archive,
          overrides: dict[str, str] | None = None, replay: str | None = None) -> int:
    settings = get_project_settings()
    if replay:
        settings.set("REPLAY", replay, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    status = EXIT_OK
    runs: list[Run] = []
    process = CrawlerProcess(settings)
    for key in source_keys:
        run_id = new_run_id()
        lock, lock_status, uploaded = take_run_lock(archive, key, run_id, settings.get("SPOOL_DIR"))
        if lock is None:
            status = max(status, lock_status)
            continue
        run_settings = settings.copy()
        run_settings.setdict({"NEWS_SOURCE": key, "NEWS_START_URLS": start_urls,
                              "NEWS_RUN_ID": run_id, "ARCHIVE_URI": archive.uri},
                             priority="cmdline")
        # The first crawler installs the reactor, as CrawlerProcess.create_crawler does.
        crawler = Crawler(NewsSpider, run_settings, init_reactor=not runs)
        run = Run(key, run_id, crawler, lock, uploaded)
        process.crawl(crawler).addErrback(run.crawl_failed)
        runs.append(run)
    try:
        if runs:
            process.start()
        for run in runs:
            status = max(status, finish(run, archive))
    finally:
        for run in runs:
            run.lock.release()
    return status


def performance(stats: dict) -> dict[str, float]:
    """CPU seconds by stage (`perf/*` stats: extraction in its workers, WARC and
    Parquet writing) and of this whole process, for `make bench` and operators."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {k.split("/", 1)[1]: round(v, 3) for k, v in stats.items() if k.startswith("perf/")}
    figures["main_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
    return figures


def finish(run: Run, archive: Archive) -> int:
    """Report the run, write its manifest, and commit its state if it was clean."""
    spider = run.crawler.spider
    if spider is None:
        # The spider could not be made (its ledger, read from the archive at
        # the start, failed): nothing was fetched, there is nothing to report.
        print(f"error: run {run.run_id} of {run.source} could not start: {run.failure}",
              file=sys.stderr)
        return EXIT_ARCHIVE if isinstance(run.failure, ArchiveError) else EXIT_NOTHING_FETCHED
    summary = RunSummary(run.source, run.run_id, run.crawler.stats.get_stats(),
                         spider.entry_points_report)
    print(summary.report(), file=sys.stderr)
    run_status = summary.exit_status()
    if run.spool_uploaded.damaged:
        run_status = max(run_status, EXIT_PARTIAL)     # said when they were set aside
    if run.failure is not None:
        # Its cause, not what followed from it ("nothing could be fetched").
        print(f"error: run {run.run_id} of {run.source} stopped: {run.failure}", file=sys.stderr)
        run_status = EXIT_ARCHIVE if isinstance(run.failure, ArchiveError) \
            else max(run_status, EXIT_PARTIAL)
    elif run_status == EXIT_NOTHING_FETCHED:
        print(f"error: {summary.nothing_fetched_reason()}", file=sys.stderr)
    elif summary.stopped_early:
        print(f"error: run {run.run_id} of {run.source} stopped before it finished "
              f"({summary.stopped_early}); what it found and did not fetch, the next run fetches",
              file=sys.stderr)
    spooled = summary.count("archive/articles_spooled") + summary.count("archive/rejects_spooled")
    if spooled:
        run_status = EXIT_ARCHIVE
        print(f"error: the archive could not be written ({summary.stats.get('archive/error')}); "
              f"{summary.count('archive/articles_spooled')} articles and "
              f"{summary.count('archive/rejects_spooled')} rejections are spooled at "
              f"{summary.stats.get('archive/spool_dir')}; the next run uploads them first",
              file=sys.stderr)
    recovered = run.lock.recovered_from
    manifest = summary.manifest(archive.uri, run_status, spooled_rows=spooled,
                                spool_uploaded=asdict(run.spool_uploaded),
                                lock_recovered_from=recovered.run_id if recovered else None,
                                performance=performance(summary.stats))
    manifest_path = f"_runs/{run.source}/{run.run_id}.json"
    manifest_bytes = json.dumps(manifest, indent=1, default=str).encode()
    try:
        if run_status == EXIT_OK and spider and spider.state:
            spider.state.save()
        archive.publish(manifest_path, manifest_bytes)
    except ArchiveError as exc:
        spool = Spool(run.crawler.settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR, archive.uri)
        spool.put(manifest_path, manifest_bytes)
        print(f"error: {exc}; the run manifest is spooled at {spool.root}", file=sys.stderr)
        return EXIT_ARCHIVE
    return run_status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler")
    parser.add_argument("source", nargs="?", help="source key (crawler/sources/<key>.toml)")
    parser.add_argument("--all", action="store_true", help="crawl every configured source")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting, as with `scrapy crawl -s`")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="with REDIS_URL: local workers to start (0: only workers of other machines)")
    parser.add_argument("--upload-spool", action="store_true",
                        help="only upload what earlier runs spooled on this machine, and crawl nothing")
    args = parser.parse_args(argv)
    overrides = dict(item.partition("=")[::2] for item in args.set)
    start_urls = os.environ.get("START_URLS", "").split()
    if os.environ.get("SPOOL_DIR"):
        overrides.setdefault("SPOOL_DIR", os.environ["SPOOL_DIR"])
    archive_uri = os.environ.get("ARCHIVE_URI") or None
    replay = os.environ.get("REPLAY") or None   # a WARC to crawl instead of the network
    replay = warc_location(replay) if replay else None
    try:
        keys = available_sources() if args.all else [args.source or ""]
        for key in keys:
            source = load_source(key)
            if start_urls:
                source.with_entry_points(start_urls)
        if args.all and start_urls:
            raise SourceError("START_URLS applies to one source; use make crawl SOURCE=<key>")
        if replay:
            try:
                WarcSource(replay)
            except ArchiveError as exc:
                raise SourceError(f"REPLAY {exc}") from None
        archive = open_archive(archive_uri)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    if args.upload_spool:
        return upload_spools(keys, archive, overrides.get("SPOOL_DIR"))
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:   # distributed mode: many workers share the crawl through Redis
        if args.all or replay:
            print("error: REDIS_URL runs one source from the network; use make crawl "
                  "SOURCE=<key> without REPLAY", file=sys.stderr)
            return EXIT_USAGE
        from crawler.distributed import coordinate
        return coordinate(keys[0], start_urls, archive, overrides, redis_url, args.workers)
    return crawl(keys, start_urls, archive, overrides, replay)


if __name__ == "__main__":
    sys.exit(main())

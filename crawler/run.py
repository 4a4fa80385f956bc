"""Run one crawl, or one per source: what `make crawl` and `make crawl-all` call.

    python -m crawler.run SOURCE          (START_URLS, ARCHIVE_URI from the environment)
    python -m crawler.run --all

Checks its inputs before anything is fetched (unknown source, unusable
archive: one line on stderr, non-zero exit), runs the Scrapy crawl, prints what
the run did and exits with a status cron can act on.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.spiders.news import NewsSpider
from crawler.sources import SourceError, available_sources, load_source
from pipelines.storage import ArchiveError, open_archive
from pipelines.writer import new_run_id

EXIT_OK = 0
EXIT_PARTIAL = 1            # some pages or entry points failed; the rest is archived
EXIT_USAGE = 2              # bad input: unknown source, bad START_URLS
EXIT_ARCHIVE = 3            # the archive cannot be used
EXIT_NOTHING_FETCHED = 4    # no entry point answered, or no article candidate was found


@dataclass
class RunSummary:
    source: str
    run_id: str
    stats: dict

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def rejections(self) -> dict[str, int]:
        return {k.split("/", 1)[1]: v for k, v in sorted(self.stats.items())
                if k.startswith("rejected/")}

    def exit_status(self) -> int:
        if self.count("downloader/response_count") == 0 or (
                self.count("discovery/article_candidates") == 0
                and self.count("discovery/entry_points/page") == 0):
            return EXIT_NOTHING_FETCHED
        if self.count("log_count/ERROR") or self.count("discovery/entry_points_failed"):
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
                f"article candidates={self.count('discovery/article_candidates')} "
                f"articles written={self.count('archive/articles_written')} "
                f"unchanged={self.count('archive/unchanged')} "
                f"rejected={sum(self.rejections.values())} ({rejected}) "
                f"errors={self.count('log_count/ERROR')} "
                f"files={self.count('archive/articles_files') + self.count('archive/rejects_files')}")


def crawl(source_keys: list[str], start_urls: list[str], archive_uri: str | None,
          overrides: dict[str, str] | None = None) -> int:
    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    runs = []
    process = CrawlerProcess(settings)
    for key in source_keys:
        run_id = new_run_id()
        run_settings = settings.copy()
        run_settings.setdict({"NEWS_SOURCE": key, "NEWS_START_URLS": start_urls,
                              "NEWS_RUN_ID": run_id, "ARCHIVE_URI": archive_uri},
                             priority="cmdline")
        # The first crawler installs the reactor, as CrawlerProcess.create_crawler does.
        crawler = Crawler(NewsSpider, run_settings, init_reactor=not runs)
        process.crawl(crawler)
        runs.append((key, run_id, crawler))
    process.start()
    status = EXIT_OK
    for key, run_id, crawler in runs:
        summary = RunSummary(key, run_id, crawler.stats.get_stats())
        print(summary.report(), file=sys.stderr)
        run_status = summary.exit_status()
        if run_status == EXIT_NOTHING_FETCHED:
            print(f"error: {summary.nothing_fetched_reason()}", file=sys.stderr)
        status = max(status, run_status)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("source", nargs="?", help="source key (crawler/sources/<key>.toml)")
    parser.add_argument("--all", action="store_true", help="crawl every configured source")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting, as with `scrapy crawl -s`")
    args = parser.parse_args(argv)
    overrides = dict(item.partition("=")[::2] for item in args.set)
    start_urls = os.environ.get("START_URLS", "").split()
    archive_uri = os.environ.get("ARCHIVE_URI") or None
    try:
        keys = available_sources() if args.all else [args.source or ""]
        for key in keys:
            source = load_source(key)
            if start_urls:
                source.with_entry_points(start_urls)
        if args.all and start_urls:
            raise SourceError("START_URLS applies to one source; use make crawl SOURCE=<key>")
        archive = open_archive(archive_uri)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    return crawl(keys, start_urls, archive.uri, overrides)


if __name__ == "__main__":
    sys.exit(main())

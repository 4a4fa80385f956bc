"""Buffered, partitioned, atomic Parquet writing into the archive.

Rows are buffered and written as few, large files: one file per partition
each time the buffer fills or the run ends. Paths are Hive-partitioned so
pyarrow, DuckDB, Polars, Spark and Athena prune by source and date:

    <ARCHIVE_URI>/<dataset>/source=<key>/date=<YYYY-MM-DD>/<run_id>-<n>.parquet

`run_id` is unique per run, so concurrent and repeated runs never overwrite
each other's files.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from scrapy import signals

from pipelines.dedup import load_rejection_ledger
from pipelines.rejections import PageRejected, rejection_row
from pipelines.spool import DEFAULT_SPOOL_DIR, Spool
from pipelines.storage import Archive, ArchiveError, open_archive
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA

# About 64 MB of article text per file at ~6 KB per article; files that size
# read well in every engine. Smaller runs write one file per partition.
DEFAULT_MAX_BUFFERED_ROWS = 10_000
ROW_GROUP_SIZE = 10_000
COMPRESSION = "zstd"


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by start time, unique across machines: 20261128T062000Z-a1b2c3d4."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


def serialize_table(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=COMPRESSION, row_group_size=ROW_GROUP_SIZE,
                   write_statistics=True)
    return sink.getvalue()


class ParquetDatasetWriter:
    """Buffers rows of one dataset (articles, rejects) and publishes them.

    `partition_date` picks the `date=` partition of a row.
    """

    def __init__(self, archive: Archive, dataset: str, schema: pa.Schema, source: str,
                 run_id: str, partition_date: Callable[[dict[str, Any]], datetime],
                 max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS, spool: Spool | None = None,
                 before_publish: Callable[[list[dict[str, Any]]], None] | None = None):
        self.archive = archive
        self.dataset = dataset
        self.schema = schema
        self.source = source
        self.run_id = run_id
        self.partition_date = partition_date
        self.max_buffered_rows = max_buffered_rows
        self.spool = spool
        # Called with the rows of a file before it is published (the raw WARC
        # files they point into are published first).
        self.before_publish = before_publish
        self._buffer: list[dict[str, Any]] = []
        self._file_seq = 0
        self.rows_written = 0
        self.rows_spooled = 0
        self.files_written: list[str] = []
        self.last_error: ArchiveError | None = None

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.max_buffered_rows:
            self.flush()

    def flush(self) -> None:
        """Publish every buffered row. When the archive cannot be written, the
        file goes to the spool (if there is one); without a spool the error is
        raised and the rows stay buffered."""
        by_date: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._buffer:
            by_date[self.partition_date(row).strftime("%Y-%m-%d")].append(row)
        for date, batch in sorted(by_date.items()):
            self._file_seq += 1
            relpath = (f"{self.dataset}/source={self.source}/date={date}/"
                       f"{self.run_id}-{self._file_seq:05d}.parquet")
            rows = self.rows_to_publish(relpath, batch)
            if not rows:
                self._forget(batch)
                continue
            table = pa.Table.from_pylist(rows, schema=self.schema)
            if self.before_publish is not None:
                self.before_publish(rows)
            data = serialize_table(table)
            try:
                self.archive.publish(relpath, data)
                self.files_written.append(relpath)
                self.rows_written += len(rows)
            except ArchiveError as exc:
                if self.spool is None:
                    raise
                self.last_error = exc
                self.spool.put(relpath, data)
                self.rows_spooled += len(rows)
            self._forget(batch)

    def rows_to_publish(self, relpath: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows to publish as `relpath`: all of them (a distributed worker
        publishes only those it claims)."""
        return rows

    def _forget(self, rows: list[dict[str, Any]]) -> None:
        done = {id(r) for r in rows}
        self._buffer = [r for r in self._buffer if id(r) not in done]


def _article_partition_date(row: dict[str, Any]) -> datetime:
    return row.get("published_at") or row["fetched_at"]


def _rejection_partition_date(row: dict[str, Any]) -> datetime:
    return row["fetched_at"]


class ParquetArchiveWriter:
    """Item pipeline, last in line: writes articles to `articles/` and, through
    the `item_dropped` signal, every rejection to `rejects/`."""

    # Builds the writer of each dataset (a distributed worker claims rows first).
    dataset_writer = ParquetDatasetWriter

    def __init__(self, archive_uri: str | None, source: str, run_id: str, stats,
                 max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS,
                 spool_dir: str = DEFAULT_SPOOL_DIR, raw_archive=None):
        self.archive_uri = archive_uri
        self.spool_dir = spool_dir
        self.source = source
        self.run_id = run_id
        self.stats = stats
        self.max_buffered_rows = max_buffered_rows
        self.articles: ParquetDatasetWriter | None = None
        self.rejects: ParquetDatasetWriter | None = None
        self.known_rejections: set[tuple[str, str]] = set()
        # Whatever holds the raw WARC files being written (crawler/warc.py):
        # `publish(relpaths)` and `publish()`; None when WARC writing is off.
        self.raw_archive = raw_archive
        self._crawler = None

    @classmethod
    def from_crawler(cls, crawler) -> "ParquetArchiveWriter":
        settings = crawler.settings
        writer = cls(settings.get("ARCHIVE_URI"), crawler.spider.source.key,
                     settings.get("NEWS_RUN_ID") or new_run_id(), crawler.stats,
                     settings.getint("ARCHIVE_MAX_BUFFERED_ROWS", DEFAULT_MAX_BUFFERED_ROWS),
                     settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR)
        crawler.signals.connect(writer.item_dropped, signal=signals.item_dropped)
        writer._crawler = crawler
        return writer

    def _publish_raw_first(self, rows: list[dict[str, Any]]) -> None:
        """No row may point to a WARC file that does not exist: publish the ones
        the rows point into before the Parquet file."""
        if self.raw_archive is not None:
            self.raw_archive.publish({row["warc_filename"] for row in rows
                                      if row.get("warc_filename")})

    def open_spider(self) -> None:
        if self._crawler is not None:
            from crawler.warc import WarcRecorderMiddleware
            self.raw_archive = self._crawler.get_downloader_middleware(WarcRecorderMiddleware)
        archive = open_archive(self.archive_uri)
        spool = Spool(self.spool_dir, archive.uri)
        options = {"max_buffered_rows": self.max_buffered_rows, "spool": spool,
                   "before_publish": self._publish_raw_first}
        self.articles = self.dataset_writer(archive, "articles", ARTICLE_SCHEMA, self.source,
                                            self.run_id, _article_partition_date, **options)
        self.rejects = self.dataset_writer(archive, "rejects", REJECTION_SCHEMA, self.source,
                                           self.run_id, _rejection_partition_date, **options)
        self.known_rejections = load_rejection_ledger(archive, self.source)
        self.stats.set_value("archive/run_id", self.run_id)

    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        self.articles.add(record)
        self.stats.inc_value("archive/articles_accepted")
        return record

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any = None) -> None:
        if isinstance(exception, PageRejected):
            self.stats.inc_value(f"rejected/{exception.reason}")
            row = rejection_row(item, exception.reason, exception.detail)
            if (row["url"], row["reason"]) not in self.known_rejections:
                self.known_rejections.add((row["url"], row["reason"]))
                self.rejects.add(row)

    def close_spider(self) -> None:
        if self.raw_archive is not None:
            self.raw_archive.publish()      # every WARC file before the Parquet files
        for writer in (self.articles, self.rejects):
            if writer is None:
                continue
            writer.flush()
            self.stats.set_value(f"archive/{writer.dataset}_written", writer.rows_written)
            self.stats.set_value(f"archive/{writer.dataset}_files", len(writer.files_written))
            if writer.rows_spooled:
                self.stats.set_value(f"archive/{writer.dataset}_spooled", writer.rows_spooled)
                self.stats.set_value("archive/spool_dir", str(writer.spool.root))
                self.stats.set_value("archive/error", str(writer.last_error))

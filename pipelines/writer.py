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
from pipelines.storage import Archive, open_archive
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
                 max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS):
        self.archive = archive
        self.dataset = dataset
        self.schema = schema
        self.source = source
        self.run_id = run_id
        self.partition_date = partition_date
        self.max_buffered_rows = max_buffered_rows
        self._buffer: list[dict[str, Any]] = []
        self._file_seq = 0
        self.rows_written = 0
        self.files_written: list[str] = []

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.max_buffered_rows:
            self.flush()

    def flush(self) -> None:
        """Publish every buffered row; on failure the rows stay buffered."""
        by_date: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._buffer:
            by_date[self.partition_date(row).strftime("%Y-%m-%d")].append(row)
        for date, rows in sorted(by_date.items()):
            table = pa.Table.from_pylist(rows, schema=self.schema)
            self._file_seq += 1
            relpath = (f"{self.dataset}/source={self.source}/date={date}/"
                       f"{self.run_id}-{self._file_seq:05d}.parquet")
            self.archive.publish(relpath, serialize_table(table))
            self.files_written.append(relpath)
            self.rows_written += len(rows)
            published = {id(r) for r in rows}
            self._buffer = [r for r in self._buffer if id(r) not in published]


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
                 max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS):
        self.archive_uri = archive_uri
        self.source = source
        self.run_id = run_id
        self.stats = stats
        self.max_buffered_rows = max_buffered_rows
        self.articles: ParquetDatasetWriter | None = None
        self.rejects: ParquetDatasetWriter | None = None
        self.known_rejections: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler) -> "ParquetArchiveWriter":
        settings = crawler.settings
        writer = cls(settings.get("ARCHIVE_URI"), crawler.spider.source.key,
                     settings.get("NEWS_RUN_ID") or new_run_id(), crawler.stats,
                     settings.getint("ARCHIVE_MAX_BUFFERED_ROWS", DEFAULT_MAX_BUFFERED_ROWS))
        crawler.signals.connect(writer.item_dropped, signal=signals.item_dropped)
        return writer

    def open_spider(self) -> None:
        archive = open_archive(self.archive_uri)
        self.articles = self.dataset_writer(archive, "articles", ARTICLE_SCHEMA, self.source,
                                             self.run_id, _article_partition_date,
                                             self.max_buffered_rows)
        self.rejects = self.dataset_writer(archive, "rejects", REJECTION_SCHEMA, self.source,
                                            self.run_id, _rejection_partition_date,
                                            self.max_buffered_rows)
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
        for writer in (self.articles, self.rejects):
            if writer is None:
                continue
            writer.flush()
            self.stats.set_value(f"archive/{writer.dataset}_written", writer.rows_written)
            self.stats.set_value(f"archive/{writer.dataset}_files", len(writer.files_written))

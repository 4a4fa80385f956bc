"""Buffered, partitioned, atomic Parquet writing into the archive.

Rows are buffered and written as few, large files: one file per partition
each time the buffer fills or the run ends. Paths are Hive-partitioned so
pyarrow, DuckDB, Polars, Spark and Athena prune by source and date:

    <ARCHIVE_URI>/<dataset>/source=<key>/date=<YYYY-MM-DD>/<run_id>-<n>.parquet

`run_id` is unique per run, so concurrent and repeated runs never overwrite
each other's files.
"""

from __future__ import annotations

import concurrent.futures
import os
import secrets
import tempfile
import time
from datetime import datetime, timezone
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from scrapy import signals

from pipelines.dedup import load_rejection_ledger
from pipelines.rejections import PageRejected, rejection_key, rejection_row
from pipelines.spool import DEFAULT_SPOOL_DIR, Spool
from pipelines.storage import (PARQUET_COMPRESSION, Archive, ArchiveError, open_archive,
                               release_arrow_memory, writing_local_file)
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA

# About 64 MB of article text per file at ~6 KB per article; files that size
# read well in every engine. Smaller runs write one file per partition.
DEFAULT_MAX_BUFFERED_ROWS = 10_000
# Rows held in memory at most (about 10 MB of articles); beyond, they are
# written out as row groups of their files. Keeps a crawl's memory flat
# however many pages it archives.
ROW_GROUP_ROWS = 2_000
# Partition files open at once (an open Parquet writer holds about 200 KB).
MAX_OPEN_FILES = 16


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by start time, unique across machines: 20261128T062000Z-a1b2c3d4."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


class _PartitionFile:
    """The open file of one date partition: row groups already written to a
    local temporary file, and rows still in memory."""

    def __init__(self, date: str, relpath: str):
        self.date = date
        self.relpath = relpath                  # where it is published
        self.pending: list[dict[str, Any]] = []
        self.rows = 0                           # rows in the file or pending
        self.warc_files: set[str] = set()       # raw files its rows point into
        self.groups = 0                         # row groups handed to the writing thread
        self.temp_path: str | None = None
        self.writer: pq.ParquetWriter | None = None


class ParquetDatasetWriter:
    """Buffers rows of one dataset (articles, rejects) and publishes them.

    `partition_date` picks the `date=` partition of a row. A file holds up to
    `max_buffered_rows` rows and is published when the buffer is full or on
    `flush()`. Memory stays bounded whatever the size of the run: rows wait in
    memory only until `row_group_rows` of them are pending, then they are
    written as row groups of their partition's file (partitions with at least
    a quarter of that), in a local temporary file, by a background thread
    (pyarrow releases the GIL while it encodes and compresses; the crawl goes
    on); rows spread thinly over many dates are published instead, as files.
    """

    def __init__(self, archive: Archive, dataset: str, schema: pa.Schema, source: str,
                 run_id: str, partition_date: Callable[[dict[str, Any]], datetime],
                 max_buffered_rows: int = DEFAULT_MAX_BUFFERED_ROWS, spool: Spool | None = None,
                 before_publish: Callable[[set[str]], None] | None = None,
                 row_group_rows: int = ROW_GROUP_ROWS, temp_dir: str | None = None):
        self.archive = archive
        self.dataset = dataset
        self.schema = schema
        self.source = source
        self.run_id = run_id
        self.partition_date = partition_date
        self.max_buffered_rows = max_buffered_rows
        self.row_group_rows = row_group_rows
        self.temp_dir = temp_dir
        self.spool = spool
        # Called with the raw WARC files a file's rows point into, before the
        # file is published: they are published first.
        self.before_publish = before_publish
        self._open: dict[str, _PartitionFile] = {}
        self._buffered = 0          # rows in open files, written or pending
        self._pending = 0           # rows in memory
        self._ready: list[tuple[str, str, int, set[str]]] = []   # closed, not yet published
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"parquet-{dataset}")
        self._writes: list[concurrent.futures.Future] = []
        self._file_seq = 0
        self.rows_written = 0
        self.rows_spooled = 0
        self.files_written: list[str] = []
        self.last_error: ArchiveError | None = None
        # CPU seconds spent encoding, compressing and publishing (both threads).
        self.cpu_seconds = 0.0

    def add(self, row: dict[str, Any]) -> None:
        date = self.partition_date(row).strftime("%Y-%m-%d")
        part = self._open.get(date)
        if part is None:
            self._file_seq += 1
            part = self._open[date] = _PartitionFile(
                date, f"{self.dataset}/source={self.source}/date={date}/"
                      f"{self.run_id}-{self._file_seq:05d}.parquet")
        part.pending.append(row)
        part.rows += 1
        if row.get("warc_filename"):
            part.warc_files.add(row["warc_filename"])
        self._buffered += 1
        self._pending += 1
        if self._buffered >= self.max_buffered_rows:
            self.flush()
        elif self._pending > self.row_group_rows:
            # Partitions with a row group's worth go to their files; if the rest
            # is still too much (rows spread over many dates, as in a backfill),
            # or too many files are open (each holds buffers), publish them all.
            for part in self._open.values():
                if len(part.pending) >= self.row_group_rows // 4:
                    self._write_group(part)
            open_files = sum(1 for part in self._open.values() if part.groups or part.pending)
            if self._pending > self.row_group_rows // 2 or open_files > MAX_OPEN_FILES:
                self.flush()

    @property
    def buffered_rows(self) -> int:
        """Rows added and not published yet."""
        return self._buffered

    def _write_group(self, part: _PartitionFile) -> None:
        """Hand the partition's pending rows to the writing thread, as one row group."""
        if not part.pending:
            return
        batch, part.pending = part.pending, []
        self._pending -= len(batch)
        rows = self.rows_to_publish(part.relpath, batch)
        part.rows -= len(batch) - len(rows)
        self._buffered -= len(batch) - len(rows)
        if not rows:
            return
        part.groups += 1
        self._writes.append(self._thread.submit(self._write_rows, part, rows))

    def _write_rows(self, part: _PartitionFile, rows: list[dict[str, Any]]) -> None:
        cpu = time.thread_time()
        table = pa.Table.from_pylist(rows, schema=self.schema)
        with self._writing(part):
            if part.writer is None:
                fd, part.temp_path = tempfile.mkstemp(suffix=".parquet", prefix=".news-archive-",
                                                      dir=self.temp_dir)
                os.close(fd)
                part.writer = pq.ParquetWriter(part.temp_path, self.schema,
                                               compression=PARQUET_COMPRESSION, write_statistics=True)
            part.writer.write_table(table, row_group_size=max(len(rows), 1))
        del table
        release_arrow_memory()
        self.cpu_seconds += time.thread_time() - cpu

    def _wait(self) -> None:
        writes, self._writes = self._writes, []
        for write in writes:
            write.result()

    def flush(self) -> None:
        """Publish every buffered row. When the archive cannot be written, the
        file goes to the spool (if there is one); without a spool the error is
        raised and the rows stay buffered (in their closed file, for the next flush)."""
        for part in self._open.values():
            self._write_group(part)
        self._wait()
        cpu = time.thread_time()
        try:
            self._publish_ready()
        finally:
            self.cpu_seconds += time.thread_time() - cpu

    @staticmethod
    def _writing(part: _PartitionFile):
        """Where a write of the partition's file fails (a full disk), the error names it."""
        return writing_local_file(f"Parquet file for {part.relpath}, being written at",
                                  part.temp_path, "TMPDIR")

    def _publish_ready(self) -> None:
        for _, part in sorted(self._open.items()):
            if part.writer is not None:
                with self._writing(part):
                    part.writer.close()
                self._ready.append((part.relpath, part.temp_path, part.rows, part.warc_files))
        self._open.clear()
        self._buffered = self._pending = 0
        while self._ready:
            relpath, temp_path, rows, warc_files = self._ready[0]
            self.commit(relpath)
            if self.before_publish is not None:
                self.before_publish(warc_files)
            try:
                self.archive.publish_file(relpath, temp_path)
                self.files_written.append(relpath)
                self.rows_written += rows
                os.unlink(temp_path)
            except ArchiveError as exc:
                if self.spool is None:
                    raise
                self.last_error = exc
                self.spool.put_file(relpath, temp_path)
                self.rows_spooled += rows
            self._ready.pop(0)

    def discard(self) -> int:
        """Drop every row not published yet, and their temporary files (a
        distributed worker declared lost: other workers archive those pages).
        Returns how many rows were dropped."""
        try:
            self._wait()
        except Exception:  # noqa: BLE001 (the rows are dropped whatever went wrong writing them)
            pass
        dropped = sum(part.rows for part in self._open.values()) + sum(r for _, _, r, _ in self._ready)
        temp_paths = [t for _, t, _, _ in self._ready]
        for part in self._open.values():
            if part.writer is not None:
                part.writer.close()
            temp_paths.append(part.temp_path)
        for temp_path in temp_paths:
            if temp_path and os.path.exists(temp_path):
                os.unlink(temp_path)
        self._open.clear()
        self._ready.clear()
        self._buffered = self._pending = 0
        return dropped

    def close(self) -> None:
        """Stop the writing thread (after flush())."""
        self._thread.shutdown(wait=True)

    def rows_to_publish(self, relpath: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows to write into the file to be published as `relpath`: all of
        them (a distributed worker writes only those it claims)."""
        return rows

    def commit(self, relpath: str) -> None:
        """Called right before `relpath` is published or spooled (a distributed
        worker checks there that it has not been declared lost)."""


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
                 spool_dir: str = DEFAULT_SPOOL_DIR, raw_archive=None,
                 row_group_rows: int = ROW_GROUP_ROWS):
        self.archive_uri = archive_uri
        self.spool_dir = spool_dir
        self.source = source
        self.run_id = run_id
        self.stats = stats
        self.max_buffered_rows = max_buffered_rows
        self.row_group_rows = row_group_rows
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
                     settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR,
                     row_group_rows=settings.getint("ARCHIVE_ROW_GROUP_ROWS", ROW_GROUP_ROWS))
        crawler.signals.connect(writer.item_dropped, signal=signals.item_dropped)
        writer._crawler = crawler
        return writer

    def _publish_raw_first(self, warc_files: set[str]) -> None:
        """No row may point to a WARC file that does not exist: publish the ones
        a Parquet file's rows point into before the Parquet file."""
        if self.raw_archive is not None and warc_files:
            self.raw_archive.publish(warc_files)

    def open_spider(self) -> None:
        if self._crawler is not None:
            from crawler.warc import WarcRecorderMiddleware
            self.raw_archive = self._crawler.get_downloader_middleware(WarcRecorderMiddleware)
        archive = open_archive(self.archive_uri)
        spool = Spool(self.spool_dir, archive.uri)
        options = {"max_buffered_rows": self.max_buffered_rows, "spool": spool,
                   "before_publish": self._publish_raw_first, "row_group_rows": self.row_group_rows}
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
            if rejection_key(row) not in self.known_rejections:
                self.known_rejections.add(rejection_key(row))
                self.rejects.add(row)

    def count_published(self, writer: ParquetDatasetWriter) -> None:
        self.stats.set_value(f"archive/{writer.dataset}_written", writer.rows_written)
        self.stats.set_value(f"archive/{writer.dataset}_files", len(writer.files_written))

    def close_spider(self) -> None:
        if self.raw_archive is not None:
            self.raw_archive.publish()      # every WARC file before the Parquet files
        for writer in (self.articles, self.rejects):
            if writer is None:
                continue
            try:
                writer.flush()
            finally:
                writer.close()
                self.stats.inc_value("perf/parquet_cpu_s", writer.cpu_seconds)
            self.count_published(writer)
            if writer.rows_spooled:
                self.stats.set_value(f"archive/{writer.dataset}_spooled", writer.rows_spooled)
                self.stats.set_value("archive/spool_dir", str(writer.spool.root))
                self.stats.set_value("archive/error", str(writer.last_error))

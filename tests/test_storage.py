"""The archive location and atomic, partitioned, buffered Parquet writing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.storage import ArchiveError, open_archive
from pipelines.writer import ParquetDatasetWriter
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA, SCHEMA_VERSION
from tests.conftest import REPO


def rejection(url: str, day: int) -> dict:
    return {"source": "abc", "url": url, "reason": "too_short", "detail": "3 words",
            "http_status": 200, "fetched_at": datetime(2026, 11, day, 6, tzinfo=timezone.utc),
            "excerpt": "x", "schema_version": 1}


def writer(archive, max_rows=100) -> ParquetDatasetWriter:
    return ParquetDatasetWriter(archive, "rejects", REJECTION_SCHEMA, "abc", "RUN",
                                lambda row: row["fetched_at"], max_buffered_rows=max_rows)


def all_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_default_archive_is_a_local_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = open_archive(None, environ={})
    assert archive.root == str(tmp_path / "archive")
    assert (tmp_path / "archive").is_dir()


def test_unsupported_scheme_is_named():
    with pytest.raises(ArchiveError, match=r"ARCHIVE_URI gs://x: unsupported scheme 'gs'"):
        open_archive("gs://x", environ={})


def test_rows_are_written_per_date_partition_only_when_flushed(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    w = writer(archive)
    w.add(rejection("http://a/1", 27))
    w.add(rejection("http://a/2", 28))
    w.add(rejection("http://a/3", 28))
    assert all_files(tmp_path) == []
    w.flush()
    assert all_files(tmp_path) == ["rejects/source=abc/date=2026-11-27/RUN-00001.parquet",
                                   "rejects/source=abc/date=2026-11-28/RUN-00002.parquet"]
    table = pq.read_table(tmp_path / "rejects/source=abc/date=2026-11-28/RUN-00002.parquet")
    assert table.column("url").to_pylist() == ["http://a/2", "http://a/3"]
    assert table.schema.metadata[b"schema_version"] == str(SCHEMA_VERSION).encode()
    assert w.rows_written == 3


def test_buffer_is_flushed_when_full(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    w = writer(archive, max_rows=2)
    for i in range(5):
        w.add(rejection(f"http://a/{i}", 28))
    assert w.rows_written == 4 and len(w.files_written) == 2
    w.flush()
    assert w.rows_written == 5


def test_failed_publish_leaves_no_visible_file_and_keeps_the_rows(tmp_path, monkeypatch):
    archive = open_archive(str(tmp_path), environ={})
    w = writer(archive)
    w.add(rejection("http://a/1", 28))

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ArchiveError, match="cannot write rejects/source=abc/date=2026-11-28"):
        w.flush()
    assert all_files(tmp_path) == []
    monkeypatch.undo()
    w.flush()
    assert w.rows_written == 1


def test_rows_beyond_a_row_group_leave_memory_and_files_stay_whole(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    w = ParquetDatasetWriter(archive, "rejects", REJECTION_SCHEMA, "abc", "RUN",
                             lambda row: row["fetched_at"], max_buffered_rows=100, row_group_rows=4)
    for i in range(11):
        w.add(rejection(f"http://a/{i}", 28 if i % 4 else 27))
        assert w._pending <= 4
    assert all_files(tmp_path) == []
    w.flush()
    w.close()
    assert w.rows_written == 11 and len(w.files_written) == 2
    big = pq.ParquetFile(tmp_path / "rejects/source=abc/date=2026-11-28/RUN-00002.parquet")
    assert big.metadata.num_row_groups >= 2
    assert big.read().column("url").to_pylist() == [f"http://a/{i}" for i in range(11) if i % 4]


def test_rows_beyond_a_row_group_are_written_as_whole_row_groups_in_order(tmp_path):
    """Each row group holds every row of its partition pending when it was
    written, in order, and only that partition's rows."""
    archive = open_archive(str(tmp_path), environ={})
    w = ParquetDatasetWriter(archive, "rejects", REJECTION_SCHEMA, "abc", "RUN",
                             lambda row: row["fetched_at"], max_buffered_rows=100, row_group_rows=16)
    for i in range(40):
        w.add(rejection(f"http://a/{i}", 28))
    w.add(rejection("http://b/0", 27))
    w.flush()
    w.close()
    file = pq.ParquetFile(tmp_path / "rejects/source=abc/date=2026-11-28/RUN-00001.parquet")
    sizes = [file.metadata.row_group(g).num_rows for g in range(file.metadata.num_row_groups)]
    assert sizes == [17, 17, 6]
    assert file.read().column("url").to_pylist() == [f"http://a/{i}" for i in range(40)]
    other = pq.read_table(tmp_path / "rejects/source=abc/date=2026-11-27/RUN-00002.parquet")
    assert other.column("url").to_pylist() == ["http://b/0"]
    assert w.rows_written == 41 and w.buffered_rows == 0


class EvenRowsWriter(ParquetDatasetWriter):
    """Publishes only rows whose URL ends in an even number (as a distributed
    worker publishes only the rows it claims)."""

    def rows_to_publish(self, relpath, rows):
        return [row for row in rows if int(row["url"].rsplit("/", 1)[1]) % 2 == 0]


def test_rows_a_writer_may_not_publish_are_left_out_of_its_files_and_counts(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    w = EvenRowsWriter(archive, "rejects", REJECTION_SCHEMA, "abc", "RUN",
                       lambda row: row["fetched_at"], max_buffered_rows=100, row_group_rows=8)
    for i in range(21):
        w.add(rejection(f"http://a/{i}", 28))
    w.flush()
    w.close()
    table = pq.read_table(tmp_path / "rejects/source=abc/date=2026-11-28/RUN-00001.parquet")
    assert table.column("url").to_pylist() == [f"http://a/{i}" for i in range(0, 21, 2)]
    assert w.rows_written == 11


@pytest.mark.parametrize("entry", ["crawler.run", "crawler.distributed", "pipelines.reprocess"])
def test_the_commands_allocate_arrow_memory_with_the_c_library(entry):
    """pyarrow's default allocator (mimalloc) kept what a crawl's Parquet
    writer and the ledger's load freed (the million-article ledger peaked at
    960 MB instead of 760). pyarrow picks its allocator once, when imported,
    so each command must load pipelines/ before pyarrow; a user's choice wins."""
    script = (f"import {entry}, pyarrow\n"
              "print(pyarrow.default_memory_pool().backend_name)\n")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    chosen = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True, cwd=REPO, env=env | extra).stdout.strip()
              for extra in ({}, {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"})]
    assert chosen == ["system", "mimalloc"]


def test_a_file_another_tool_wrote_with_other_column_types_is_named(tmp_path):
    archive = open_archive(str(tmp_path))
    foreign = tmp_path / "articles" / "source=abc" / "date=2019-05-14" / "export.parquet"
    foreign.parent.mkdir(parents=True)
    pq.write_table(pa.table({"article_id": [[1], [2]], "url": ["u1", "u2"]}), foreign)
    with pytest.raises(ArchiveError) as failed:
        archive.read_columns("articles/source=abc", ["article_id", "url"], ARTICLE_SCHEMA)
    assert str(failed.value) == (
        f"ARCHIVE_URI {tmp_path}: cannot read articles/source=abc: {foreign}: Unsupported cast "
        "from list<element: int64> to utf8 using function cast_string. Move that file out of the "
        "archive, then run again")

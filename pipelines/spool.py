"""The spool: finished files that could not reach the archive wait on local disk.

When the archive cannot be written (endpoint down, bucket gone, credentials
revoked mid-run), every finished Parquet file or manifest is kept under
``SPOOL_DIR/<archive key>/<the path it was meant to have>``; the run ends with
a non-zero status saying how many rows wait where, and the next run of each
source uploads that source's files before it crawls (`make upload-spool`
without crawling). A spooled file keeps its unique name, and its rows go up
only if the archive does not hold them: uploading it twice (a crash between
upload and removal) never duplicates.

State lives in the archive, so while a machine's files wait in its spool
another machine may run the source and archive the same pages. Rows are
therefore uploaded against the archive's ledger, as the crawl writes them: an
article row the archive already holds, or a rejection already recorded, is
left out; a correction is numbered after the archive's latest version.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.dedup import assign_version
from pipelines.ledger import Ledger
from pipelines.rejections import rejection_key
from pipelines.storage import (PARQUET_COMPRESSION, Archive, release_arrow_memory,
                               write_file_atomically, writing_local_file)

DEFAULT_SPOOL_DIR = "./spool"


def of_source(relpath: str, source: str) -> bool:
    """`articles/source=abc/...`, `raw/source=abc/...`, `_runs/abc/...`."""
    parts = relpath.split("/")
    return f"source={source}" in parts or parts[:2] == ["_runs", source]


@dataclass
class Uploaded:
    files: int = 0              # files published
    rows_left_out: int = 0      # rows the archive already held, or claimed by another worker
    # Spooled files that could not be read, moved aside (DAMAGED_DIR) instead of
    # stopping every run: (where it was meant to go, where it is now, why).
    damaged: list[tuple[str, str, str]] = field(default_factory=list)


# Under the spool's root: files set aside, never uploaded (a dot-name, as
# every file pending() leaves out).
DAMAGED_DIR = ".damaged"


class Spool:
    def __init__(self, directory: str | os.PathLike, archive_uri: str):
        # One spool per archive: files spooled for one ARCHIVE_URI never go to another.
        key = hashlib.sha256(archive_uri.encode()).hexdigest()[:16]
        self.root = Path(directory).expanduser().resolve() / key
        self.archive_uri = archive_uri

    def put(self, relpath: str, data: bytes) -> Path:
        """Keep `data` for `relpath`, atomically (temp file, fsync, rename)."""
        target = self.root / relpath
        with writing_local_file("spooled file", target, "SPOOL_DIR"):
            write_file_atomically(target, lambda out: out.write(memoryview(data)))
            (self.root / "ARCHIVE_URI").write_text(self.archive_uri + "\n")
        return target

    def put_file(self, relpath: str, local_path: str) -> Path:
        """Move a finished local file (Parquet, WARC) into the spool for
        `relpath`, whole or not at all: renamed when on the spool's disk, else
        copied under a dot-name and renamed (a copy cut short by a crash was
        a damaged file the next run would upload)."""
        target = self.root / relpath
        with writing_local_file("spooled file", target, "SPOOL_DIR"):
            target.parent.mkdir(parents=True, exist_ok=True)
            (self.root / "ARCHIVE_URI").write_text(self.archive_uri + "\n")
            try:
                os.replace(local_path, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                with open(local_path, "rb") as source:
                    write_file_atomically(target, lambda out: shutil.copyfileobj(source, out, 1 << 20))
                os.unlink(local_path)
        return target

    def pending(self, source: str | None = None) -> list[str]:
        """Relative paths waiting for upload (of `source` only, if given), in
        the order that keeps the archive consistent: raw WARC files before the
        rows pointing into them, manifests last."""
        if not self.root.is_dir():
            return []
        files = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                 if p.is_file() and p.name != "ARCHIVE_URI"
                 and not any(part.startswith(".") for part in p.relative_to(self.root).parts)]
        if source is not None:
            files = [rel for rel in files if of_source(rel, source)]
        return sorted(files, key=lambda rel: (not rel.startswith("raw/"), rel.startswith("_runs/"), rel))

    def upload(self, archive: Archive, source: str, ledger: Ledger,
               known_rejections: set[tuple[str, str]], *,
               keep: Callable[[str, str, list[dict]], list[dict]] | None = None,
               commit: Callable[[str], None] | None = None,
               skip_run: str | None = None) -> Uploaded:
        """Publish to `archive` what earlier runs of `source` spooled here, rows
        against `ledger` and `known_rejections` (both take in what is published,
        so the run does not fetch those pages again). A distributed worker
        narrows the rows to those it claims (`keep(dataset, relpath, rows)`),
        is checked before each publish (`commit(relpath)`) and leaves the files
        of its own run (`skip_run`) for the next. Other sources' files wait for
        their runs. One process of this machine uploads at a time. Raises
        ArchiveError on the first file that fails; what was uploaded is gone
        from the spool."""
        uploaded = Uploaded()
        if not self.pending(source):
            return uploaded
        with open(self.root / ".upload.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for relpath in self.pending(source):
                path = self.root / relpath
                if skip_run and path.name.startswith(f"{skip_run}-"):
                    continue
                dataset = relpath.split("/", 1)[0]
                if dataset in _DECIDED_BY:
                    try:
                        table = pq.ParquetFile(path).read()
                    except (pa.ArrowInvalid, OSError) as exc:
                        uploaded.damaged.append((relpath, str(self._set_aside(relpath)), str(exc)))
                        continue
                    judged = [c for c in _DECIDED_BY[dataset] if c in table.schema.names]
                    rows = table.select(judged).to_pylist()
                    kept = _not_archived(dataset, rows, ledger, known_rejections)
                    if kept and keep is not None:
                        kept = keep(dataset, relpath, kept)
                    uploaded.rows_left_out += len(rows) - len(kept)
                    if kept:
                        _publish_rows(archive, relpath, _kept_rows(table, rows, kept), commit)
                        uploaded.files += 1
                    del table
                    release_arrow_memory()
                else:
                    archive.publish_file(relpath, str(path))
                    uploaded.files += 1
                path.unlink()
        return uploaded

    def _set_aside(self, relpath: str) -> Path:
        """Move a spooled file that cannot be read out of the way of uploads."""
        target = self.root / DAMAGED_DIR / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / relpath, target)
        return target


# The datasets whose rows are uploaded against the ledger (any other file, raw
# WARC files and run manifests, is published as it is), and the columns a row
# is judged by (assign_version and the ledger read these): the rows are read as
# Python objects without their bodies, and the file is rewritten from its Arrow table.
_DECIDED_BY = {
    "articles": ["article_id", "url", "canonical_url", "content_sha256", "extractor_version",
                 "version", "modified_at", "listed_modified_at", "fetched_at"],
    "rejects": ["url", "reason"],
}
# What assign_version may change in a row it keeps (a correction's number and date).
_RENUMBERED = ("version", "modified_at")


def _kept_rows(table: pa.Table, rows: list[dict[str, Any]], kept: list[dict[str, Any]]) -> pa.Table:
    """`table`'s rows whose judged columns are in `kept` (the same objects), with
    the columns assign_version renumbered."""
    kept_ids = {id(row) for row in kept}
    positions = [i for i, row in enumerate(rows) if id(row) in kept_ids]
    table = table.take(positions)
    for name in _RENUMBERED:
        if name in table.schema.names:
            index = table.schema.get_field_index(name)
            values = pa.array([rows[i][name] for i in positions], type=table.schema.field(name).type)
            table = table.set_column(index, table.schema.field(name), values)
    return table


def _not_archived(dataset: str, rows: list[dict[str, Any]], ledger: Ledger,
                  known_rejections: set[tuple[str, str]]) -> list[dict[str, Any]]:
    if dataset == "articles":
        return [row for row in rows if assign_version(row, ledger) is not None]
    kept = [row for row in rows if rejection_key(row) not in known_rejections]
    known_rejections.update(rejection_key(row) for row in kept)
    return kept


def _publish_rows(archive: Archive, relpath: str, table: pa.Table,
                  commit: Callable[[str], None] | None) -> None:
    with tempfile.NamedTemporaryFile(suffix=".parquet", prefix=".news-archive-") as temp:
        pq.write_table(table, temp.name, compression=PARQUET_COMPRESSION)
        if commit is not None:
            commit(relpath)
        archive.publish_file(relpath, temp.name)

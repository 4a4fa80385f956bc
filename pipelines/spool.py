"""The spool: finished files that could not reach the archive wait on local disk.

When the archive cannot be written (endpoint down, bucket gone, credentials
revoked mid-run), every finished Parquet file or manifest is kept under
``SPOOL_DIR/<archive key>/<the path it was meant to have>``; the run ends with
a non-zero status saying how many rows wait where, and the next run uploads
the spool before it crawls. A spooled file keeps its unique name, so
uploading it twice (a crash between upload and removal) overwrites, never
duplicates.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from pipelines.storage import Archive, write_file_atomically

DEFAULT_SPOOL_DIR = "./spool"


class Spool:
    def __init__(self, directory: str | os.PathLike, archive_uri: str):
        # One spool per archive: files spooled for one ARCHIVE_URI never go to another.
        key = hashlib.sha256(archive_uri.encode()).hexdigest()[:16]
        self.root = Path(directory).expanduser().resolve() / key
        self.archive_uri = archive_uri

    def put(self, relpath: str, data: bytes) -> Path:
        """Keep `data` for `relpath`, atomically (temp file, fsync, rename)."""
        target = self.root / relpath
        write_file_atomically(target, lambda out: out.write(memoryview(data)))
        (self.root / "ARCHIVE_URI").write_text(self.archive_uri + "\n")
        return target

    def put_file(self, relpath: str, local_path: str) -> Path:
        """Move a finished local file (a WARC) into the spool for `relpath`."""
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        (self.root / "ARCHIVE_URI").write_text(self.archive_uri + "\n")
        shutil.move(local_path, target)
        return target

    def pending(self) -> list[str]:
        """Relative paths waiting for upload, in the order that keeps the
        archive consistent: raw WARC files before the rows pointing into them,
        manifests last."""
        if not self.root.is_dir():
            return []
        files = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                 if p.is_file() and not p.name.startswith(".") and p.name != "ARCHIVE_URI"]
        return sorted(files, key=lambda rel: (not rel.startswith("raw/"), rel.startswith("_runs/"), rel))

    def upload(self, archive: Archive) -> int:
        """Publish every spooled file to `archive`; raises ArchiveError on the
        first that fails (what was uploaded is removed from the spool)."""
        uploaded = 0
        for relpath in self.pending():
            path = self.root / relpath
            archive.publish_file(relpath, str(path))
            path.unlink()
            uploaded += 1
        return uploaded

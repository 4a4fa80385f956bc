"""The archive location: a local directory or an S3-compatible bucket, one code path.

``ARCHIVE_URI`` is either a path (the embedded default, ``./archive``) or
``s3://bucket/prefix``. For S3 the standard AWS configuration applies:
credentials from the default chain (environment, shared files, instance
profile), ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for S3-compatible
stores, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``. boto3 resolves all of that once
here, checks the bucket before the crawl starts, and hands the same
credentials and endpoint to pyarrow's S3 filesystem (pyarrow does not read
``AWS_ENDPOINT_URL`` reliably, apache/arrow#49643).

Publishing is atomic: a reader sees a file complete or not at all. Locally a
file is written under a dot-name (ignored by pyarrow, DuckDB globs and Spark)
and renamed; on S3 an object exists only once its upload completed.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Mapping
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.dataset as pads
from pyarrow import fs as pafs

DEFAULT_ARCHIVE_URI = "./archive"
# Of every Parquet file the archive gets.
PARQUET_COMPRESSION = "zstd"


def release_arrow_memory() -> None:
    """Hand back to the system what pyarrow's allocator keeps after a large read
    or write (the C library's, see pipelines/__init__.py: malloc_trim; mimalloc,
    if the user chose it, held 200 MB after loading the ledger of 300,000
    articles). A few milliseconds; call it once the temporary tables are gone."""
    pa.default_memory_pool().release_unused()


def write_file_atomically(path: str | os.PathLike, fill: Callable[[BinaryIO], Any],
                          exclusive: bool = False) -> None:
    """Write a local file complete or not at all: `fill` writes a dot-named
    temporary file beside it (ignored by pyarrow, DuckDB globs and Spark), which
    is synced and renamed; on failure nothing is left. `exclusive`: raise
    FileExistsError if `path` exists (the temporary file is hard-linked, which
    fails then, where a rename would replace it)."""
    directory, name = os.path.split(os.fspath(path))
    os.makedirs(directory, exist_ok=True)
    temp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        (os.link if exclusive else os.replace)(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


class ArchiveError(RuntimeError):
    """The archive cannot be used; the message names it and says what to do."""


class LocalDiskError(OSError):
    """A file this machine writes on the way to the archive could not be
    written (a full disk); the message names it and what to do."""


@contextmanager
def writing_local_file(what: str, path: str | os.PathLike | None, setting: str) -> Iterator[None]:
    """An OSError raised inside becomes a LocalDiskError naming `what`, the
    file, its directory and the `setting` that moves it: a full disk said
    only "No space left on device"."""
    try:
        yield
    except LocalDiskError:
        raise
    except OSError as exc:
        directory = os.path.dirname(os.fspath(path)) if path else tempfile.gettempdir()
        raise LocalDiskError(f"{what} {path or ''}: {exc.strerror or exc}; free space in "
                             f"{directory}, or set {setting} to another directory") from exc


# boto3 uploads a large file in 8 MB parts held in memory, ten at once by
# default (80 MB for a 1 GB WARC file); four keep an upload fast and the crawl small.
UPLOAD_CONCURRENCY = 4


@dataclass
class Archive:
    uri: str
    filesystem: pafs.FileSystem
    root: str              # path inside `filesystem`: absolute local path or "bucket/prefix"
    endpoint: str | None = None
    s3_client: Any = None  # boto3 client, for what pyarrow's filesystem cannot do

    @property
    def is_s3(self) -> bool:
        return self.uri.startswith("s3://")

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def publish(self, relpath: str, data: bytes | pa.Buffer) -> str:
        """Write `data` at `relpath` so that it appears complete or not at all."""
        final = self.path(relpath)
        try:
            if self.is_s3:
                with self.filesystem.open_output_stream(final) as out:
                    out.write(data)
            else:
                write_file_atomically(final, lambda out: out.write(memoryview(data)))
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot write {relpath}: {exc}") from exc
        return final

    def publish_file(self, relpath: str, local_path: str) -> str:
        """Publish a local file at `relpath`, complete or not at all, without
        reading it into memory (WARC files): on S3 a managed multipart upload,
        aborted on failure; locally a copy under a dot-name, renamed."""
        final = self.path(relpath)
        try:
            if self.is_s3:
                from boto3.s3.transfer import TransferConfig
                bucket, _, key = final.partition("/")
                self.s3_client.upload_file(local_path, bucket, key,
                                           Config=TransferConfig(max_concurrency=UPLOAD_CONCURRENCY))
                return final
            with open(local_path, "rb") as source:
                write_file_atomically(final, lambda out: shutil.copyfileobj(source, out, 1 << 20))
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot write {relpath}: {exc}") from exc
        except Exception as exc:  # boto3 S3UploadFailedError, ClientError
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot write {relpath}: "
                               f"{type(exc).__name__}: {exc}") from None
        return final

    def read_range(self, relpath: str, offset: int, length: int) -> bytes:
        """`length` bytes at `offset` of the file at `relpath` (one ranged GET on S3)."""
        try:
            with self.filesystem.open_input_file(self.path(relpath)) as handle:
                return handle.read_at(length, offset)
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot read {relpath}: {exc}") from exc

    def create_exclusive(self, relpath: str, data: bytes) -> bool:
        """Create `relpath` only if it does not exist: True if created, False if
        it already existed. Atomic, content included: on S3 If-None-Match: *;
        locally a complete file linked into place (a file created empty and then
        written was read empty by a run starting at the same moment, which took
        the lock for a dead run's)."""
        final = self.path(relpath)
        try:
            if self.is_s3:
                bucket, _, key = final.partition("/")
                self.s3_client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
                return True
            write_file_atomically(final, lambda out: out.write(data), exclusive=True)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot create {relpath}: {exc}") from exc
        except Exception as exc:  # botocore errors
            code = _s3_error_code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot create {relpath}: "
                               f"{code or type(exc).__name__}") from None

    def read_bytes(self, relpath: str) -> bytes | None:
        """The whole (small) object at `relpath`, or None when there is none."""
        final = self.path(relpath)
        try:
            if self.is_s3:
                bucket, _, key = final.partition("/")
                return self.s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
            with open(final, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot read {relpath}: {exc}") from exc
        except Exception as exc:  # botocore errors
            if _s3_error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot read {relpath}: "
                               f"{_s3_error_code(exc) or type(exc).__name__}") from None

    def delete(self, relpath: str) -> None:
        final = self.path(relpath)
        try:
            if self.is_s3:
                bucket, _, key = final.partition("/")
                self.s3_client.delete_object(Bucket=bucket, Key=key)
            else:
                os.unlink(final)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot delete {relpath}: {exc}") from exc
        except Exception as exc:  # botocore errors
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot delete {relpath}: "
                               f"{_s3_error_code(exc) or type(exc).__name__}") from None

    def exists(self, relpath: str) -> bool:
        info = self.filesystem.get_file_info(self.path(relpath))
        return info.type != pafs.FileType.NotFound

    def read_columns(self, relpath: str, columns: list[str],
                     schema: pa.Schema | None = None) -> pa.Table | None:
        """Read only `columns` of the Parquet dataset under `relpath`, or None
        when there is none yet. With `schema`, files of every schema version
        read together (columns an older file lacks: null)."""
        if not self.exists(relpath):
            return None
        try:
            return self._dataset(relpath, schema).to_table(columns=columns)
        except FileNotFoundError:
            return None   # S3: a prefix left with no objects (all deleted)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            # The pipeline publishes whole files only: this one was put there by
            # something else. Skipping it would archive its articles again.
            culprit = self._unreadable_file(relpath, columns, schema)
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot read {relpath}: "
                               f"{culprit + ': ' if culprit else ''}{str(exc).rstrip('.')}. Move "
                               "that file out of the archive, then run again") from exc
        except OSError as exc:
            raise ArchiveError(f"ARCHIVE_URI {self.uri}: cannot read {relpath}: {exc}") from exc

    def _dataset(self, relpath: str, schema: pa.Schema | None) -> pads.Dataset:
        """The Parquet dataset under `relpath`, read as `schema` says if given."""
        return pads.dataset(self.path(relpath), filesystem=self.filesystem, format="parquet",
                            schema=schema, partitioning=None if schema else "hive")

    def _unreadable_file(self, relpath: str, columns: list[str],
                         schema: pa.Schema | None) -> str | None:
        """The first file under `relpath` whose `columns` cannot be read as
        `schema` says (a column of another type), for the error; None when the
        error already names its file (a file that is not Parquet at all)."""
        try:
            dataset = self._dataset(relpath, schema)
            for fragment in dataset.get_fragments():
                try:
                    fragment.to_table(columns=columns, schema=dataset.schema)
                except (pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    return fragment.path
        except (pa.ArrowInvalid, OSError):
            pass
        return None


def _s3_error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def open_archive(uri: str | None = None, environ: Mapping[str, str] | None = None) -> Archive:
    """Resolve ARCHIVE_URI and check it can be used, or raise ArchiveError."""
    environ = os.environ if environ is None else environ
    uri = (uri or environ.get("ARCHIVE_URI") or DEFAULT_ARCHIVE_URI).strip()
    scheme = urlsplit(uri).scheme
    if scheme == "s3":
        return _open_s3(uri, environ)
    if scheme in ("", "file"):
        return _open_local(uri)
    raise ArchiveError(f"ARCHIVE_URI {uri}: unsupported scheme {scheme!r}; "
                       "use a local path or s3://bucket/prefix")


def _open_local(uri: str) -> Archive:
    root = Path(urlsplit(uri).path if uri.startswith("file:") else uri).expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchiveError(f"ARCHIVE_URI {uri}: cannot create directory {root}: "
                           f"{exc.strerror}") from exc
    if not os.access(root, os.W_OK):
        raise ArchiveError(f"ARCHIVE_URI {uri}: directory {root} is not writable")
    return Archive(uri=uri, filesystem=pafs.LocalFileSystem(), root=root.as_posix())


# One Archive per S3 URI and AWS settings in a process: the components of a
# crawl (spider, WARC recorder, dedup, writer) each open the archive, and every
# boto3 client loads S3's service model again (10-20 MB each: five made the S3
# crawl's main process 60 MB larger) and probes the bucket again.
_S3_ARCHIVES: dict[tuple, Archive] = {}


def _open_s3(uri: str, environ: Mapping[str, str]) -> Archive:
    key = (uri, tuple(sorted((name, value) for name, value in {**os.environ, **environ}.items()
                             if name.startswith("AWS_"))))
    if key not in _S3_ARCHIVES:
        _S3_ARCHIVES[key] = _connect_s3(uri, environ)
    return _S3_ARCHIVES[key]


def _connect_s3(uri: str, environ: Mapping[str, str]) -> Archive:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    parts = urlsplit(uri)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not bucket:
        raise ArchiveError(f"ARCHIVE_URI {uri}: no bucket name; use s3://bucket/prefix")
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or None
    where = endpoint or "AWS S3"
    session = boto3.Session()
    region = session.region_name or "us-east-1"
    credentials = session.get_credentials()
    if credentials is None:
        raise ArchiveError(f"ARCHIVE_URI {uri}: no AWS credentials found; set "
                           "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure a profile")
    frozen = credentials.get_frozen_credentials()
    client = session.client(
        "s3", endpoint_url=endpoint, region_name=region,
        config=Config(retries={"max_attempts": 2, "mode": "standard"},
                      connect_timeout=5, read_timeout=15))
    try:
        client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except NoCredentialsError as exc:
        raise ArchiveError(f"ARCHIVE_URI {uri}: no AWS credentials found") from exc
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            message = f"bucket {bucket!r} does not exist at {where}; create it first"
        elif code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                      "ExpiredToken", "AuthorizationHeaderMalformed"):
            message = f"credentials rejected by {where} ({code}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        elif code in ("AccessDenied", "403"):
            message = f"access denied to bucket {bucket!r} at {where}; check the credentials' permissions"
        else:
            message = f"{where} answered {code or 'an error'} for bucket {bucket!r}"
        raise ArchiveError(f"ARCHIVE_URI {uri}: {message}") from None
    except BotoCoreError as exc:
        raise ArchiveError(f"ARCHIVE_URI {uri}: cannot reach {where}: "
                           f"{type(exc).__name__}") from None
    endpoint_parts = urlsplit(endpoint) if endpoint else None
    filesystem = pafs.S3FileSystem(
        access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token,
        region=region,
        endpoint_override=endpoint_parts.netloc if endpoint_parts else None,
        scheme=endpoint_parts.scheme if endpoint_parts else "https",
        connect_timeout=5, request_timeout=60,
    )
    return Archive(uri=uri, filesystem=filesystem, root=posixpath.join(bucket, prefix).rstrip("/"),
                   endpoint=endpoint, s3_client=client)

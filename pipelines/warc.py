"""The raw archive: every HTTP response, as fetched, in WARC files (ISO 28500, WARC/1.1).

    <ARCHIVE_URI>/raw/source=<key>/date=<fetch date>/<run_id>-<n>.warc.gz

Each file opens with a `warcinfo` record (software, run, user agent); each
fetch is a `response` record (status line and headers as received, the body as
transferred, WARC-Payload-Digest and WARC-Block-Digest), the `request` record
that asked for it, and, for the crawler's own fetches, a `metadata` record with
what the crawler knew of the page (why it was fetched, which feed listed it and
what the feed said). Every record is its own gzip member, so the `response`
record of any row is read with one ranged read: `warc_filename`,
`warc_record_offset`, `warc_record_length` (the pointer every article and
rejection row carries, as in Common Crawl's index).

Files are written to a local spool and published like Parquet files: complete
or not at all (pipelines/storage.py), and before any Parquet file whose rows
point into them. Plain values in, plain values out: the Scrapy components
(crawler/warc.py) and the re-processing command (pipelines/reprocess/)
only wire these functions.
"""

from __future__ import annotations

import io
import os
import posixpath
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import IO, Any, Iterable, Iterator
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from pipelines.spool import Spool
from pipelines.storage import Archive, ArchiveError, open_archive, writing_local_file

WARC_VERSION = "1.1"
# Common Crawl's size: few, large files; an hourly run of one source writes
# far less, so its files are rotated only at the end of the run.
DEFAULT_MAX_FILE_BYTES = 1_000_000_000
RAW_DATASET = "raw"
# Our own fields in the `metadata` record of a fetch (application/warc-fields).
PURPOSE = "fetch-purpose"          # article | entry_point | other (robots.txt, ...)
# Hop-by-hop framing already undone by the HTTP client: the body we store is not
# chunked any more, so the header is kept under another name (as Common Crawl does).
RENAMED_HEADERS = {"transfer-encoding": "X-Crawler-Transfer-Encoding"}


@dataclass(frozen=True)
class WarcPointer:
    """Where a `response` record is: a path relative to ARCHIVE_URI (or an absolute
    location for foreign WARCs), the offset and the length of its gzip member."""
    filename: str
    offset: int
    length: int

    def as_fields(self) -> dict[str, Any]:
        return {"warc_filename": self.filename, "warc_record_offset": self.offset,
                "warc_record_length": self.length}

    @classmethod
    def from_fields(cls, row: Any) -> "WarcPointer | None":
        get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name, None))
        if not get("warc_filename"):
            return None
        return cls(get("warc_filename"), int(get("warc_record_offset")),
                   int(get("warc_record_length")))


NO_POINTER = {"warc_filename": None, "warc_record_offset": None, "warc_record_length": None}


@dataclass
class HttpExchange:
    """One fetch, as plain values: what was asked and what came back."""
    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None


def raw_relpath(source: str, fetched_at: datetime, run_id: str, seq: int) -> str:
    return (f"{RAW_DATASET}/source={source}/date={fetched_at.strftime('%Y-%m-%d')}/"
            f"{run_id}-{seq:05d}.warc.gz")


def warc_date(when: datetime) -> str:
    """WARC/1.1 date: UTC, to the microsecond."""
    return datetime_to_iso_date(when.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)


def parse_warc_date(value: str) -> datetime:
    return iso_date_to_datetime(value).replace(tzinfo=timezone.utc)


def warc_fields(fields: dict[str, Any]) -> bytes:
    """application/warc-fields: one `name: value` line each; lists repeat the name."""
    lines = []
    for name, value in fields.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is None or item == "":
                continue
            text = item.isoformat() if isinstance(item, datetime) else str(item)
            lines.append(f"{name}: {' '.join(text.split())}\r\n")
    return "".join(lines).encode("utf-8")


def parse_warc_fields(data: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip(), []).append(value.strip())
    return fields


# zlib's default level. warcio compresses at 9: 55 % more CPU for files 2 % smaller
# (measured on the benchmark's 85 KB pages: 1.33 vs 0.86 ms a page). The
# compressor is zlib-ng's: the same gzip format, compressed in half the time
# (2.5-2.9 -> 1.2-1.5 ms a real page, 0.93 -> 0.50 a generated one; files 0.5-1.5 %
# larger); a whole fetch's records 1.12-1.31 -> 0.78-0.95 ms a generated page.
GZIP_LEVEL = 6


class GzipMembers:
    """What warcio's writer writes to (gzip=False): every record it writes
    (warcio flushes after each) becomes its own gzip member, as with gzip=True,
    at GZIP_LEVEL; the file underneath is written in large blocks."""

    def __init__(self, handle: IO[bytes], level: int = GZIP_LEVEL):
        self.handle = handle
        self.level = level
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        if self._parts:
            compressor = zlib_ng.compressobj(self.level, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)
            self.handle.write(b"".join([compressor.compress(part) for part in self._parts]
                                       + [compressor.flush()]))
            self._parts.clear()


class _OpenFile:
    def __init__(self, relpath: str, spool_dir: str | None):
        self.relpath = relpath
        self.spool_path: str | None = None
        with self.writing():
            fd, self.spool_path = tempfile.mkstemp(suffix=".warc.gz", prefix=".news-archive-",
                                                   dir=spool_dir)
        self.handle = os.fdopen(fd, "wb", buffering=1 << 20)
        self.writer = WARCWriter(GzipMembers(self.handle), gzip=False, warc_version=WARC_VERSION)
        self.warcinfo_id: str | None = None

    def writing(self):
        """Where a write of this file fails (a full disk), the error names it."""
        return writing_local_file(f"WARC file for {self.relpath}, being written at",
                                  self.spool_path, "WARC_SPOOL_DIR")

    def discard(self) -> None:
        self.handle.close()
        if os.path.exists(self.spool_path):
            os.unlink(self.spool_path)


class WarcFileWriter:
    """Writes fetches to WARC files of one source and run, one open file per
    fetch date, rotated at `max_file_bytes`, published atomically to the archive."""

    def __init__(self, archive: Archive, source: str, run_id: str,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 warcinfo: dict[str, str] | None = None, spool_dir: str | None = None,
                 spool: Spool | None = None):
        self.archive = archive
        # Where finished files wait when the archive cannot be written (pipelines/spool.py).
        self.spool = spool
        self.files_spooled: list[str] = []
        self.source = source
        self.run_id = run_id
        self.max_file_bytes = max_file_bytes
        self.warcinfo = dict(warcinfo or {})
        self.spool_dir = spool_dir
        self._open: dict[str, _OpenFile] = {}   # by fetch date
        self._seq = 0
        self.files_written: list[str] = []
        self.records_written = 0

    def write(self, exchange: HttpExchange, metadata: dict[str, Any] | None = None) -> WarcPointer:
        """Append the fetch (response, request, metadata records); return where
        its `response` record is."""
        current = self._file_for(exchange.fetched_at)
        response = response_record(current.writer, exchange, current.warcinfo_id)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        offset = current.handle.tell()
        with current.writing():
            current.writer.write_record(response)
            length = current.handle.tell() - offset
            current.writer.write_record(request_record(current.writer, exchange, response_id,
                                                       current.warcinfo_id))
            if metadata:
                current.writer.write_record(metadata_record(current.writer, exchange, metadata,
                                                            response_id, current.warcinfo_id))
        self.records_written += 1
        pointer = WarcPointer(current.relpath, offset, length)
        if current.handle.tell() >= self.max_file_bytes:
            self._publish(current)
        return pointer

    def _file_for(self, fetched_at: datetime) -> _OpenFile:
        date = fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%d")
        current = self._open.get(date)
        if current is None:
            self._seq += 1
            relpath = raw_relpath(self.source, fetched_at.astimezone(timezone.utc),
                                  self.run_id, self._seq)
            current = self._open[date] = _OpenFile(relpath, self.spool_dir)
            info = current.writer.create_warcinfo_record(posixpath.basename(relpath),
                                                         self.warcinfo)
            current.warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
            with current.writing():
                current.writer.write_record(info)
        return current

    def publish(self, relpaths: Iterable[str] | None = None) -> None:
        """Publish the open files named (all when None); records written later
        go to new files. Files already published are not touched."""
        wanted = None if relpaths is None else set(relpaths)
        for current in list(self._open.values()):
            if wanted is None or current.relpath in wanted:
                self._publish(current)

    def _publish(self, current: _OpenFile) -> None:
        with current.writing():
            current.handle.close()
        try:
            self.archive.publish_file(current.relpath, current.spool_path)
            os.unlink(current.spool_path)
            self.files_written.append(current.relpath)
        except ArchiveError:
            if self.spool is None:
                raise
            self.spool.put_file(current.relpath, current.spool_path)
            self.files_spooled.append(current.relpath)
        self._open = {d: f for d, f in self._open.items() if f is not current}

    def close(self) -> None:
        """Publish every open file."""
        self.publish()

    def discard(self) -> None:
        for current in self._open.values():
            current.discard()
        self._open.clear()


def _headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(RENAMED_HEADERS.get(name.lower(), name), value) for name, value in pairs]


def response_record(writer: WARCWriter, exchange: HttpExchange, warcinfo_id: str | None):
    try:
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    http_headers = StatusAndHeaders(f"{exchange.status} {reason}".strip(),
                                    _headers(exchange.response_headers),
                                    protocol=exchange.protocol or "HTTP/1.1")
    warc_headers = {"WARC-Date": warc_date(exchange.fetched_at)}
    if exchange.ip_address:
        warc_headers["WARC-IP-Address"] = exchange.ip_address
    if warcinfo_id:
        warc_headers["WARC-Warcinfo-ID"] = warcinfo_id
    return writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(exchange.body),
                                     length=len(exchange.body), http_headers=http_headers,
                                     warc_headers_dict=warc_headers)


def request_record(writer: WARCWriter, exchange: HttpExchange, response_id: str,
                   warcinfo_id: str | None):
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    http_headers = StatusAndHeaders(f"{exchange.method} {target} HTTP/1.1", headers,
                                    is_http_request=True)
    warc_headers = {"WARC-Date": warc_date(exchange.fetched_at),
                    "WARC-Concurrent-To": response_id}
    if warcinfo_id:
        warc_headers["WARC-Warcinfo-ID"] = warcinfo_id
    return writer.create_warc_record(exchange.url, "request",
                                     payload=io.BytesIO(exchange.request_body),
                                     length=len(exchange.request_body), http_headers=http_headers,
                                     warc_headers_dict=warc_headers)


def metadata_record(writer: WARCWriter, exchange: HttpExchange, metadata: dict[str, Any],
                    response_id: str, warcinfo_id: str | None):
    payload = warc_fields(metadata)
    warc_headers = {"WARC-Date": warc_date(exchange.fetched_at),
                    "WARC-Concurrent-To": response_id}
    if warcinfo_id:
        warc_headers["WARC-Warcinfo-ID"] = warcinfo_id
    return writer.create_warc_record(exchange.url, "metadata", payload=io.BytesIO(payload),
                                     length=len(payload),
                                     warc_content_type="application/warc-fields",
                                     warc_headers_dict=warc_headers)


# --- reading ------------------------------------------------------------------

@dataclass
class WarcResponse:
    """A `response` record read back, with the crawler's metadata when present."""
    url: str
    fetched_at: datetime
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    payload: bytes | None   # the body as transferred (content-encoding kept); None if stored chunked
    body: bytes             # the body decoded (chunking and content-encoding undone)
    pointer: WarcPointer
    record_id: str
    ip_address: str | None = None
    metadata: dict[str, list[str]] = field(default_factory=dict)

    @property
    def purpose(self) -> str | None:
        """Why our crawler fetched it (`article`, `entry_point`, `other`); None for
        foreign WARCs."""
        return (self.metadata.get(PURPOSE) or [None])[0]

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def served(self) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body to serve again: as stored, or, when only the decoded
        body is available, without the encodings it no longer has."""
        if self.payload is not None:
            return self.headers, self.payload
        dropped = {"transfer-encoding", "content-encoding", "content-length"}
        return [(k, v) for k, v in self.headers if k.lower() not in dropped], self.body

    def decoded_headers(self) -> list[tuple[str, str]]:
        """Headers that go with `body` (no Content-Encoding: it is undone)."""
        dropped = {"transfer-encoding", "content-encoding", "content-length"}
        return [(k, v) for k, v in self.headers if k.lower() not in dropped]


def _read_response(record, pointer: WarcPointer) -> WarcResponse:
    http = record.http_headers
    payload: bytes | None
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        # Stored chunked (foreign crawlers): only the decoded body can be served again.
        body, payload = record.content_stream().read(), None
    else:
        payload = record.raw_stream.read()
        body = decode_body(payload, http.get_header("Content-Encoding"))
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        status = 0
    return WarcResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        fetched_at=parse_warc_date(record.rec_headers.get_header("WARC-Date")),
        status=status, protocol=http.protocol or "HTTP/1.1", headers=list(http.headers),
        payload=payload, body=body, pointer=pointer,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        ip_address=record.rec_headers.get_header("WARC-IP-Address"))


def decode_body(payload: bytes, content_encoding: str | None) -> bytes:
    """The body without its Content-Encoding (gzip, deflate, br); as stored when
    the encoding is unknown or the bytes do not decode."""
    encoding = (content_encoding or "").strip().lower()
    if not encoding or encoding not in BufferedReader.get_supported_decompressors():
        return payload
    try:
        return BufferedReader(io.BytesIO(payload), decomp_type=encoding).read()
    except Exception:  # noqa: BLE001 (zlib.error, brotli.error: a damaged body stays as stored)
        return payload


class DamagedWarc(ArchiveError):
    """A WARC file ends inside a record, or holds bytes that are no record."""


# What reading a record's block raises on bytes cut short or damaged.
_BLOCK_DAMAGE = (ArchiveLoadFailed, zlib.error, EOFError)
# What warcio's parser raises on a record's headers cut short or damaged (a
# response without its WARC-Target-URI, a status line cut off).
_HEADER_DAMAGE = (*_BLOCK_DAMAGE, ValueError, AttributeError, TypeError, IndexError)


def _warc_records(iterator: ArchiveIterator, filename: str) -> Iterator[Any]:
    """The iterator's records; DamagedWarc where the next one cannot be parsed."""
    records = iter(iterator)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except _HEADER_DAMAGE as exc:
            raise DamagedWarc(f"WARC {filename}: no whole WARC record at byte {iterator.offset} "
                              f"({type(exc).__name__}: {exc})") from exc
        yield record


def iter_responses(stream: IO[bytes], filename: str) -> Iterator[WarcResponse]:
    """Every `response` record of a WARC stream, in file order, each with its
    pointer and the `metadata` record concurrent to it (ours, or a foreign
    crawler's). Other records are skipped; revisits have no body and are too.
    Raises DamagedWarc where the file is damaged, after every whole response
    before it: a record cut short (a truncated download) is not one, where
    warcio would give its body cut short."""
    iterator = ArchiveIterator(stream, arc2warc=True)
    pending: WarcResponse | None = None
    try:
        for record in _warc_records(iterator, filename):
            kind = record.rec_type
            response = None
            try:
                if kind == "response" and record.http_headers is not None:
                    response = _read_response(record, WarcPointer(filename, 0, 0))
                elif kind == "metadata" and pending is not None and \
                        record.rec_headers.get_header("WARC-Concurrent-To") == pending.record_id:
                    pending.metadata = parse_warc_fields(record.content_stream().read())
                iterator.read_to_end(record)
            except _BLOCK_DAMAGE as exc:
                raise DamagedWarc(f"WARC {filename}: the record at byte {iterator.offset} is "
                                  f"damaged ({type(exc).__name__}: {exc})") from exc
            # A record's Content-Length (mandatory) bounds its block: warcio
            # reads it through a LimitReader, left with bytes to go at the
            # file's end. Without one, its headers were cut.
            if getattr(record.raw_stream, "limit", 1) > 0:
                raise DamagedWarc(f"WARC {filename}: the {kind + ' ' if kind else ''}record at byte "
                                  f"{iterator.get_record_offset()} is cut short: the file is truncated")
            if response is not None:
                response.pointer = WarcPointer(filename, iterator.get_record_offset(),
                                               iterator.get_record_length())
                if pending is not None:
                    yield pending
                pending = response
    except DamagedWarc:
        if pending is not None:
            yield pending
        raise
    if pending is not None:
        yield pending


def read_response(data: bytes, pointer: WarcPointer) -> WarcResponse:
    """The response record in `data`, the bytes [offset, offset + length) of its file."""
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type == "response":
            return _read_response(record, pointer)
        break
    raise ValueError(f"no WARC response record at {pointer.filename}:{pointer.offset}")


def warc_location(argument: str) -> str:
    """A WARC named on the command line: an s3:// URL as it is, a path made absolute."""
    return argument if "://" in argument else os.path.abspath(argument)


def is_absolute_location(location: str) -> bool:
    return "://" in location or location.startswith("/")


class WarcSource:
    """A WARC file to read: in the archive (relative path), on S3 (s3:// URL) or
    on local disk (absolute path), one way of reading for all three."""

    def __init__(self, location: str, archive: Archive | None = None):
        self.location = location
        if not is_absolute_location(location):
            if archive is None:
                raise ArchiveError(f"{location}: relative WARC path without an archive")
            self.archive, self.relpath = archive, location
        elif location.startswith("s3://"):
            parent, _, name = location.rstrip("/").rpartition("/")
            self.archive, self.relpath = open_archive(parent), name
        else:
            path = location[len("file://"):] if location.startswith("file://") else location
            parent, name = os.path.split(os.path.abspath(path))
            if not os.path.isfile(path):
                raise ArchiveError(f"{location}: no such WARC file")
            self.archive = Archive(uri=parent, filesystem=_local_fs(), root=parent)
            self.relpath = name

    def open(self) -> IO[bytes]:
        # compression=None: the gzip members are read as such, so offsets are file offsets.
        return self.archive.filesystem.open_input_stream(self.archive.path(self.relpath),
                                                         compression=None)

    def responses(self) -> Iterator[WarcResponse]:
        with self.open() as stream:
            yield from iter_responses(stream, self.location)

    def read(self, pointer: WarcPointer) -> WarcResponse:
        return read_response(self.archive.read_range(self.relpath, pointer.offset, pointer.length),
                             pointer)


def _local_fs():
    from pyarrow import fs as pafs
    return pafs.LocalFileSystem()


def read_pointer(archive: Archive, pointer: WarcPointer) -> WarcResponse:
    """The response a row points to: one ranged read, in the archive or outside it."""
    return WarcSource(pointer.filename, archive).read(pointer)

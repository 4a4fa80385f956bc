"""Hex digests held as numbers, in numpy arrays, off the Python heap.

What a run remembers per article is keyed by hex digests: article ids (32 hex
digits), content hashes (64), request fingerprints. As Python str in a dict or
a set each costs 150 to 250 bytes; as 64-bit words in numpy arrays, 16 to 32.
A crawl of 50,000 pages grew by 0.6 KB an article before (issue 7: memory flat
from 2,000 to 50,000 pages).

A digest is read as big-endian 64-bit words: 32 hex digits are two words, 64
are four. Letter case does not matter (a digest is a number).

What a run adds (its requests, its new articles, their URLs) is not kept in
memory at all: it goes to a temporary SQLite database on disk (`RunRows`,
`DigestIndex`), read back through a small page cache. Held in numpy arrays it
was 0.18 KB an article, about 11 MB of the crawler's 50,000-page peak, the
part of its memory that grew with the crawl (benchmarks/RESULTS.md,
twenty-first session).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

ID_DIGITS = 32          # article_id, simhash
SHA256_DIGITS = 64      # content_sha256
_WORD_DIGITS = 16
_WORD_MASK = (1 << 64) - 1
_SLICE_ROWS = 65_536
# Of the run database's pages kept in memory; the rest are read back from the
# system's file cache (a lookup costs about 7 µs, an insert 10).
RUN_DB_CACHE_KIB = 512
# Rows of each block an AppendedColumns adds (256 KB of the near-duplicate index's 32-byte rows).
BLOCK_ROWS = 8_192


def digest_words(digests: Iterable[str] | Any, digits: int = ID_DIGITS, what: str = "digest") -> np.ndarray:
    """(n, digits / 16) uint64: each hex digest as big-endian 64-bit words.
    `digests` may be a pyarrow array: it is read a slice at a time, so a
    million of them never become a million Python strings at once. Raises
    ValueError naming `what` and the first digest that is not `digits` hex digits."""
    if hasattr(digests, "to_pylist"):
        return np.concatenate([np.empty((0, digits // _WORD_DIGITS), dtype=np.uint64)]
                              + [digest_words(digests.slice(start, _SLICE_ROWS).to_pylist(), digits, what)
                                 for start in range(0, len(digests), _SLICE_ROWS)])
    digests = list(digests)
    try:
        # All of the right length, and bytes.fromhex (which skips spaces) gave all the bytes.
        raw = b"".join([bytes.fromhex(d) for d in digests if len(d) == digits])
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != len(digests) * digits // 2:
        bad = next(d for d in digests if not _is_hex(d, digits))
        raise ValueError(f"{what} {bad!r} is not {digits} hex digits")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, digits // _WORD_DIGITS)


def digest_key(digest: str, digits: int = ID_DIGITS, what: str = "digest") -> int:
    """The digest as a number: the key of a DigestIndex (32 digits)."""
    if not _is_hex(digest, digits):
        raise ValueError(f"{what} {digest!r} is not {digits} hex digits")
    return int(digest, 16)


def number_bytes(value: int, digits: int = ID_DIGITS) -> bytes:
    """A digest read as a number (digest_key) as its big-endian bytes, as the
    run database stores it. Raises ValueError for a number of more bits."""
    if value < 0 or value >> (digits * 4):
        raise ValueError(f"{value!r} is not a {digits * 4}-bit number")
    return value.to_bytes(digits // 2, "big")


def put_number(column: np.ndarray, row: int, value: int) -> None:
    """Write a digest already read as a number (digest_key) into row `row`."""
    for word in range(column.shape[1] - 1, -1, -1):
        column[row, word] = value & _WORD_MASK
        value >>= 64


def words_hex(words: np.ndarray) -> str:
    """One digest's words (a row of digest_words) back as lower-case hex."""
    return words.astype(">u8").tobytes().hex()


_run_db: sqlite3.Connection | None = None
_run_db_pid = 0
_run_db_directory = "."
_run_db_lock = threading.Lock()
_table_numbers = itertools.count()


def _run_database() -> sqlite3.Connection:
    """This process's run database: SQLite's private temporary database (the
    empty file name), on disk in the temporary directory and deleted when the
    process ends, however it ends. A forked child opens its own."""
    global _run_db, _run_db_pid, _run_db_directory
    if _run_db is None or _run_db_pid != os.getpid():
        _run_db_directory = os.path.abspath(run_database_directory())
        db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA cache_size = -{RUN_DB_CACHE_KIB}")
        # The rollback journal in memory: a statement the full disk stops is
        # undone (without one, the database is left malformed and later
        # lookups fail or miss keys), at 1 µs an insert.
        db.execute("PRAGMA journal_mode = MEMORY")
        db.execute("PRAGMA synchronous = OFF")
        _run_db, _run_db_pid = db, os.getpid()
    return _run_db


# Where SQLite puts a temporary database on Unix: the first of these that is a
# directory it may write to (os_unix.c, unixTempFileDir).
_SQLITE_TEMP_DIRS = ("SQLITE_TMPDIR", "TMPDIR", "/var/tmp", "/usr/tmp", "/tmp", ".")


def run_database_directory() -> str:
    """The directory this process's run database is in."""
    for entry in _SQLITE_TEMP_DIRS:
        directory = os.environ.get(entry) if entry.isupper() else entry
        if directory and os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
            return directory
    return "."


class RunDatabaseError(OSError):
    """The run database could not be written or read: its disk is full or failing."""


# SQLite's result codes that say the disk, not the statement, failed.
_DISK_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def _disk_error(error: sqlite3.Error) -> RunDatabaseError | None:
    """A RunDatabaseError naming the directory and what to do, when `error`
    is the disk's; None for any other (a bug, raised as it is)."""
    code = getattr(error, "sqlite_errorname", "") or ""
    if not code.startswith(_DISK_ERRORS):
        return None
    advice = ("free space there" if code == "SQLITE_FULL"
              else "check that it is writable and its disk is healthy")
    return RunDatabaseError(
        f"run database in {_run_db_directory}: {error} ({code}); {advice}, or set SQLITE_TMPDIR to "
        f"another directory. This run's new articles from here on are not archived; "
        f"their pages are fetched again by the next run")


def _run_statement(sql: str, parameters: tuple = ()) -> sqlite3.Cursor:
    """Execute one statement on the run database (the caller holds the lock)."""
    try:
        return _run_database().execute(sql, parameters)
    except sqlite3.Error as error:
        raise (_disk_error(error) or error) from error


def _run_table(owner: object, columns: str, suffix: str = "") -> str:
    """The name of a new table of the run database, dropped when `owner` is
    collected (not at exit: the database goes with the process)."""
    name = f"run{next(_table_numbers)}"
    with _run_db_lock:
        _run_statement(f"CREATE TABLE {name} ({columns}){suffix}")
    weakref.finalize(owner, _drop_table, name, os.getpid()).atexit = False
    return name


def _drop_table(table: str, pid: int) -> None:
    if _run_db is not None and pid == _run_db_pid:
        with _run_db_lock:
            _run_db.execute(f"DROP TABLE IF EXISTS {table}")


def _run_query(sql: str, parameters: tuple = ()) -> tuple[tuple | None, int]:
    """One statement on the run database: (its first row, the rows it changed)."""
    with _run_db_lock:
        cursor = _run_statement(sql, parameters)
        return cursor.fetchone(), cursor.rowcount


class RunRows:
    """Rows a run appends (one a new article), numbered from 0, in the run
    database on disk: `columns` is their SQL declaration."""

    def __init__(self, columns: str) -> None:
        self._table = _run_table(self, f"number INTEGER PRIMARY KEY, {columns}")
        self._width = columns.count(",") + 1
        self._count = 0

    def append(self, values: tuple) -> int:
        _run_query(f"INSERT INTO {self._table} VALUES (?{', ?' * self._width})", (self._count, *values))
        self._count += 1
        return self._count - 1

    def get(self, number: int) -> tuple:
        row, _ = _run_query(f"SELECT * FROM {self._table} WHERE number = ?", (number,))
        if row is None:
            raise IndexError(f"row {number} of {self._count}")
        return row[1:]

    def __len__(self) -> int:
        return self._count


class AppendedColumns:
    """Equal-length numpy columns (one row per article), appended to a row at
    a time.

    The columns it starts with (an archive's rows, loaded at once) stay as
    they are; appended rows go into blocks of `block_rows`. Growing never
    copies: doubling one array instead copied a ledger of a million archived
    articles on a run's first new one and kept twice its size (72 MB more)."""

    def __init__(self, columns: dict[str, np.ndarray], block_rows: int = BLOCK_ROWS) -> None:
        self._blocks = [columns]
        self._base = self._size = self._capacity = len(next(iter(columns.values())))
        self._block_rows = block_rows

    def __len__(self) -> int:
        return self._size

    def locate(self, row: int) -> tuple[dict[str, np.ndarray], int]:
        """The columns of the block holding `row`, and its index in them."""
        if not 0 <= row < self._size:
            raise IndexError(f"row {row} of {self._size}")
        if row < self._base:
            return self._blocks[0], row
        block, index = divmod(row - self._base, self._block_rows)
        return self._blocks[block + 1], index

    def append(self) -> tuple[dict[str, np.ndarray], int]:
        """A new row, to be filled in: its block's columns and its index there."""
        if self._size == self._capacity:
            self._blocks.append({name: np.empty((self._block_rows,) + column.shape[1:], dtype=column.dtype)
                                 for name, column in self._blocks[0].items()})
            self._capacity += self._block_rows
        self._size += 1
        return self.locate(self._size - 1)

    def scan(self, name: str) -> Iterator[tuple[int, np.ndarray]]:
        """Column `name` a block at a time, for vectorised work: (the block's
        first row, its filled rows)."""
        start = 0
        for block in self._blocks:
            rows = min(len(block[name]), self._size - start)
            if rows > 0:
                yield start, block[name][:rows]
            start += rows


def _is_hex(digest: object, digits: int) -> bool:
    if not isinstance(digest, str) or len(digest) != digits:
        return False
    try:
        return len(bytes.fromhex(digest)) == digits // 2
    except ValueError:
        return False


class DigestIndex:
    """128-bit keys (a 32-hex-digit digest as a number, digest_key) to row
    numbers.

    The keys it is built with (an archive's, from_words) sit sorted in two
    uint64 arrays with their rows beside them, 24 bytes a key, found by a
    binary search. The keys added later (a run's) go to the run database on
    disk: memory does not grow with them."""

    def __init__(self) -> None:
        self._high = np.empty(0, dtype=np.uint64)
        self._low = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)
        self._table: str | None = None          # created with the first key added
        self._added = 0

    @classmethod
    def from_words(cls, words: np.ndarray, rows: np.ndarray) -> "DigestIndex":
        """Keys given as (n, 2) words (digest_words), each to its row; of keys
        given twice the last one's row is kept."""
        index = cls()
        high, low = np.asarray(words[:, 0], dtype=np.uint64), np.asarray(words[:, 1], dtype=np.uint64)
        rows = np.asarray(rows, dtype=np.int64)
        order = np.lexsort((low, high))     # by high word, then low; equal keys keep their order
        high, low, rows = high[order], low[order], rows[order]
        last = np.ones(len(high), dtype=bool)
        last[:-1] = (high[:-1] != high[1:]) | (low[:-1] != low[1:])
        index._high, index._low, index._rows = high[last], low[last], rows[last]
        return index

    def _position(self, key: int) -> int:
        high, low = key >> 64, key & _WORD_MASK
        start = int(np.searchsorted(self._high, np.uint64(high)))
        if start == len(self._high) or int(self._high[start]) != high:
            return -1
        # Keys that share their high word (none, with hashes; any number, with
        # keys such as small numbers) are sorted by their low word.
        end = int(np.searchsorted(self._high, np.uint64(high), side="right"))
        position = start + int(np.searchsorted(self._low[start:end], np.uint64(low)))
        return position if position < end and int(self._low[position]) == low else -1

    def get(self, key: int) -> int | None:
        position = self._position(key)
        if position >= 0:
            return int(self._rows[position])
        if self._table is None:
            return None
        found, _ = _run_query(f"SELECT row FROM {self._table} WHERE key = ?", (number_bytes(key),))
        return None if found is None else found[0]

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: int, row: int) -> None:
        stored = number_bytes(key)
        position = self._position(key)
        if position >= 0:
            self._rows[position] = row
        elif not self._insert(stored, row):
            _run_query(f"UPDATE {self._table} SET row = ? WHERE key = ?", (row, stored))

    def add(self, key: int) -> bool:
        """Set semantics: True if the key was not there (it is now)."""
        stored = number_bytes(key)
        return self._position(key) < 0 and self._insert(stored, len(self))

    def _insert(self, stored: bytes, row: int) -> bool:
        """Add a key that is not among the sorted ones; False if it was added before."""
        if self._table is None:
            self._table = _run_table(self, "key BLOB PRIMARY KEY, row INTEGER NOT NULL", " WITHOUT ROWID")
        inserted = _run_query(f"INSERT OR IGNORE INTO {self._table} VALUES (?, ?)", (stored, row))[1] == 1
        self._added += inserted
        return inserted

    def __len__(self) -> int:
        return len(self._high) + self._added

"""Near-duplicates: the same wire story on many affiliate sites, with small edits.

Every body carries its 128-bit simhash (pipelines/simhash.py, computed at
extraction). A later article within `MAX_DISTANCE` bits of an earlier one is
marked `duplicate_of` that earlier article (the first copy seen), across
sources and across runs.

Calibrated on tests/fixtures/neardup/ and real pages (make eval's newspaper4k
set): an affiliate copy with one of eight paragraphs rewritten and a footer
added is 19 bits away, one paragraph added 10, the last one cut 11, two words
changed 7; a distinct story about the same event 63; distinct real articles
45 and more.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from pipelines.digests import (ID_DIGITS, AppendedColumns, DigestIndex, digest_key, digest_words,
                               put_number, words_hex)
from pipelines.storage import Archive, release_arrow_memory
from schemas import ARTICLE_SCHEMA

MAX_DISTANCE = 28          # of 128 bits; see the calibration above
DEFAULT_WINDOW_DAYS = 30   # syndicated copies appear within days of the original
_LOW_BITS = (1 << 64) - 1


class NearDuplicateIndex:
    """Fingerprints of recent articles, all sources, in order of first sight.

    A distance of 28 bits in 128 is too loose for an exact sub-linear index
    (the pigeonhole tables of Manku et al. need a handful of bits), so every
    lookup compares with every entry, vectorised: the fingerprints sit in two
    numpy uint64 columns, XOR and popcount run over all of them at once (about
    3 ns an entry; a 30-day window of 300,000 articles costs about a
    millisecond per new article, 32 bytes per entry with its first copy's id;
    the article-id index of the entries a run adds is on disk: no Python
    object per entry)."""

    def __init__(self) -> None:
        self._columns = self._new_columns(np.empty((0, 2), dtype=np.uint64), np.empty((0, 2), dtype=np.uint64))
        self._entries = DigestIndex()                   # article_id -> its entry

    @staticmethod
    def _new_columns(fingerprints: np.ndarray, firsts: np.ndarray) -> AppendedColumns:
        return AppendedColumns({
            "high": np.ascontiguousarray(fingerprints[:, 0]),  # bits 127..64 of each fingerprint
            "low": np.ascontiguousarray(fingerprints[:, 1]),   # bits 63..0
            "firsts": firsts,                                  # the first copy's article_id, per entry
        })

    @classmethod
    def load(cls, archive: Archive, window_days: int = DEFAULT_WINDOW_DAYS,
             now: datetime | None = None) -> "NearDuplicateIndex":
        index = cls()
        if not archive.exists("articles"):
            return index
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=window_days)
        partitioning = pads.partitioning(pa.schema([("source", pa.string()), ("date", pa.string())]),
                                         flavor="hive")
        try:
            dataset = pads.dataset(archive.path("articles"), filesystem=archive.filesystem,
                                   format="parquet", partitioning=partitioning,
                                   schema=ARTICLE_SCHEMA.append(pa.field("date", pa.string())))
        except FileNotFoundError:
            return index
        table = dataset.to_table(
            columns=["article_id", "simhash", "duplicate_of", "fetched_at"],
            filter=(pc.field("fetched_at") >= pa.scalar(cutoff, ARTICLE_SCHEMA.field("fetched_at").type))
            & pc.field("simhash").is_valid())
        table = table.sort_by([("fetched_at", "ascending")])
        ids = digest_words(table.column("article_id"), ID_DIGITS, "article_id")
        # An article's later versions keep its first entry (as add() does).
        entries = np.sort(np.unique(ids, axis=0, return_index=True)[1])
        fingerprints = digest_words(table.column("simhash"), ID_DIGITS, "simhash")[entries]
        firsts = pc.coalesce(table.column("duplicate_of"), table.column("article_id"))
        del table
        index._columns = cls._new_columns(fingerprints, digest_words(firsts, ID_DIGITS, "duplicate_of")[entries])
        index._entries = DigestIndex.from_words(ids[entries], np.arange(len(entries)))
        release_arrow_memory()
        return index

    def add(self, article_id: str, fingerprint: str, duplicate_of: str | None = None) -> None:
        key = digest_key(article_id, ID_DIGITS, "article_id")
        if not self._entries.add(key):
            return
        value = int(fingerprint, 16)
        first = digest_key(duplicate_of, ID_DIGITS, "duplicate_of") if duplicate_of else key
        columns, index = self._columns.append()
        columns["high"][index], columns["low"][index] = value >> 64, value & _LOW_BITS
        put_number(columns["firsts"], index, first)

    def first_copy(self, article_id: str, fingerprint: str) -> str | None:
        """The article_id of the first copy of this text, if another article is one."""
        value = int(fingerprint, 16)
        high, low = np.uint64(value >> 64), np.uint64(value & _LOW_BITS)
        for (start, highs), (_, lows) in zip(self._columns.scan("high"), self._columns.scan("low")):
            bits = np.bitwise_count(highs ^ high) + np.bitwise_count(lows ^ low)
            for entry in np.flatnonzero(bits <= MAX_DISTANCE):
                columns, index = self._columns.locate(start + int(entry))
                first = words_hex(columns["firsts"][index])
                if first != article_id:
                    return first
        return None

    def __len__(self) -> int:
        return len(self._columns)

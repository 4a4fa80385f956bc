"""Near-duplicates: the same wire story on many affiliate sites, with small edits.

Each body gets a 128-bit Charikar simhash of its word 3-shingles: every
shingle is hashed (BLAKE2b, 128 bits) and each bit of the fingerprint is the
majority of that bit over the shingles. Edits move a few bits; different texts
differ in about half of them. A later article within `MAX_DISTANCE` bits of an
earlier one is marked `duplicate_of` that earlier article (the first copy
seen), across sources and across runs.

Why not trafilatura's `Simhash`: its token hash has 64 bits (a 128-bit
fingerprint needs two salted passes), and it took a quarter of extraction time
on make eval's sets; the per-bit majority is counted here with bit-sliced
counters (a ripple-carry add of each 128-bit hash over a few integers), which
gives the same fingerprints as one counter per bit, many times faster.

Calibrated on tests/fixtures/neardup/ and real pages (make eval's newspaper4k
set): an affiliate copy with one of eight paragraphs rewritten and a footer
added is 19 bits away, one paragraph added 10, the last one cut 11, two words
changed 7; a distinct story about the same event 63; distinct real articles
45 and more.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from hashlib import blake2b

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from pipelines.storage import Archive
from schemas import ARTICLE_SCHEMA

SHINGLE_WORDS = 3
FINGERPRINT_BITS = 128
MAX_DISTANCE = 28          # of 128 bits; see the calibration above
DEFAULT_WINDOW_DAYS = 30   # syndicated copies appear within days of the original
_WORD_RE = re.compile(r"\w+")


def body_fingerprint(body: str) -> str:
    """128-bit simhash of the body's word 3-shingles, as 32 hex digits."""
    words = [w.lower() for w in _WORD_RE.findall(body)]
    if len(words) < SHINGLE_WORDS:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(triple) for triple in zip(*(words[i:] for i in range(SHINGLE_WORDS)))]
    # Bit-sliced counters: planes[k] holds bit k of the count of every
    # fingerprint bit; adding a hash is a ripple-carry add over the planes
    # (two steps on average), not 128 separate counters.
    planes: list[int] = []
    for shingle in shingles:
        carry = int.from_bytes(blake2b(shingle.encode(), digest_size=FINGERPRINT_BITS // 8)
                               .digest(), "little")
        k = 0
        while carry:
            if k == len(planes):
                planes.append(carry)
                break
            plane = planes[k]
            planes[k] = plane ^ carry
            carry &= plane
            k += 1
    majority, value = len(shingles) / 2, 0
    for bit in range(FINGERPRINT_BITS):
        count = sum(((plane >> bit) & 1) << k for k, plane in enumerate(planes))
        if count > majority:
            value |= 1 << bit
    return f"{value:032x}"


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class NearDuplicateIndex:
    """Fingerprints of recent articles, all sources, in order of first sight.

    A linear scan with XOR and popcount: about 50 ns a comparison, so a
    30-day window of tens of thousands of articles costs milliseconds per
    new article."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, str]] = []   # (fingerprint, first copy's article_id)
        self._ids: set[str] = set()

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
        for article_id, fingerprint, duplicate_of in zip(table.column("article_id").to_pylist(),
                                                         table.column("simhash").to_pylist(),
                                                         table.column("duplicate_of").to_pylist()):
            index.add(article_id, fingerprint, duplicate_of)
        return index

    def add(self, article_id: str, fingerprint: str, duplicate_of: str | None = None) -> None:
        if article_id not in self._ids:
            self._ids.add(article_id)
            self._entries.append((int(fingerprint, 16), duplicate_of or article_id))

    def first_copy(self, article_id: str, fingerprint: str) -> str | None:
        """The article_id of the first copy of this text, if another article is one."""
        value = int(fingerprint, 16)
        for other, first in self._entries:
            if (value ^ other).bit_count() <= MAX_DISTANCE and first != article_id:
                return first
        return None

    def __len__(self) -> int:
        return len(self._entries)

"""The body's fingerprint for near-duplicate detection, computed at extraction.

Each body gets a 128-bit Charikar simhash of its word 3-shingles: every
shingle is hashed (BLAKE2b, 128 bits) and each bit of the fingerprint is the
majority of that bit over the shingles. Edits move a few bits; different texts
differ in about half of them (pipelines/neardup.py compares them).

Standard library only: the extraction workers import this module, and numpy
there cost 9 MB of each worker's memory. The bits are counted a byte column at
a time: the column (that byte of every hash) read as one integer, each bit
masked out of every byte at once and counted with int.bit_count: the same
fingerprints as numpy's unpackbits and sum, in about the same time (0.74
against 0.70 ms for the average body of make eval's pages, 0.64 of it hashing).

Why not trafilatura's `Simhash`: its token hash has 64 bits (a 128-bit
fingerprint needs two salted passes), and it took a quarter of extraction time
on make eval's sets.
"""

from __future__ import annotations

import re
from hashlib import blake2b

SHINGLE_WORDS = 3
FINGERPRINT_BITS = 128
_HASH_BYTES = FINGERPRINT_BITS // 8
_WORD_RE = re.compile(r"\w+")


def body_fingerprint(body: str) -> str:
    """128-bit simhash of the body's word 3-shingles, as 32 hex digits."""
    words = [w.lower() for w in _WORD_RE.findall(body)]
    if len(words) < SHINGLE_WORDS:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(triple) for triple in zip(*(words[i:] for i in range(SHINGLE_WORDS)))]
    hashes = b"".join([blake2b(s.encode(), digest_size=_HASH_BYTES).digest() for s in shingles])
    majority = len(shingles) // 2         # a bit is set when more shingles set it than not
    low_bit_of_each_byte = int.from_bytes(b"\x01" * len(shingles), "little")
    fingerprint = 0
    for byte in range(_HASH_BYTES):
        # Byte `byte` of every hash; bit i of the fingerprint is bit i of the
        # hash read as a little-endian integer.
        column = int.from_bytes(hashes[byte::_HASH_BYTES], "little")
        for bit in range(8):
            if ((column >> bit) & low_bit_of_each_byte).bit_count() > majority:
                fingerprint |= 1 << (8 * byte + bit)
    return f"{fingerprint:032x}"


def distance(a: str, b: str) -> int:
    """Bits in which two fingerprints differ."""
    return (int(a, 16) ^ int(b, 16)).bit_count()

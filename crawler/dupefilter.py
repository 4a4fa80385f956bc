"""Scrapy's duplicate filter with its fingerprints out of memory.

RFPDupeFilter keeps each request's 20-byte fingerprint as a bytes object in a
set, about 100 bytes a request; a crawl of 50,000 articles kept 5 MB that only
grew. Here the first 16 bytes of each fingerprint go into a DigestIndex, whose
keys added by a run are on disk (pipelines/digests.py; 128 bits leave no room
for a collision at any crawl's size).
Everything else (JOBDIR's requests.seen, logging, the stats) is Scrapy's.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from pipelines.digests import DigestIndex


def _key(fingerprint: bytes) -> int:
    return int.from_bytes(fingerprint[:16], "big")


class CompactDupeFilter(RFPDupeFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seen = DigestIndex()
        # Fingerprints of a resumed job (JOBDIR), read by Scrapy into its set.
        for fingerprint in self._fingerprints:
            self._seen.add(_key(fingerprint))
        self._fingerprints = set()

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)
        if not self._seen.add(_key(fingerprint)):
            return True
        if self.file:
            self.file.write(len(fingerprint).to_bytes(2, "big") + fingerprint)
        return False

"""The archive is the ledger: what a run already holds, learned at start.

From the articles dataset the run reads a handful of columns (never the
bodies): which article ids exist, at which latest version and content hash,
under which URLs, and what the listing said of them when they were fetched.
From the rejects dataset: which URLs failed for good. From
``_state/<source>/validators.json``: the ETag / Last-Modified every feed and
sitemap answered last time, for conditional GET. State lives in the archive,
local or S3, so any machine can run the next crawl.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import EXTRACTOR_VERSION
from pipelines.digests import (ID_DIGITS, SHA256_DIGITS, DigestIndex, RunRows, digest_key, digest_words,
                               number_bytes, words_hex)
from pipelines.ids import article_id, canonical_key
from pipelines.storage import Archive, release_arrow_memory
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA
from schemas.article import TIMESTAMP_UTC

logger = logging.getLogger(__name__)

LEDGER_COLUMNS = ["article_id", "url", "canonical_url", "content_sha256", "version",
                  "listed_modified_at", "fetched_at", "extractor_version"]
# Rejections that will not change by asking again; transient ones (fetch errors,
# 5xx, 429) are retried by the next run.
PERMANENT_REJECTIONS = frozenset({"http_404", "http_410", "not_article", "too_short", "not_html",
                                  "robots_disallowed", "unparseable_html"})


@dataclass(slots=True)
class ArchivedArticle:
    version: int
    content_sha256: str
    listed_modified_at: datetime | None
    fetched_at: datetime | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NO_TIME = np.iinfo(np.int64).min      # a null timestamp, as microseconds


def _micros(moment: datetime | None) -> int:
    if moment is None:
        return int(_NO_TIME)
    if moment.tzinfo is None:          # as the Parquet writer reads it: UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime | None:
    return None if micros == _NO_TIME else _EPOCH + timedelta(microseconds=int(micros))


# An (article id, content hash) pair as one 128-bit key: the id XOR both halves
# of the hash. Both are hashes, so distinct pairs collide no more often than
# two random 128-bit numbers.
def _text_key(aid: str, content_sha256: str) -> int:
    text = digest_key(content_sha256, SHA256_DIGITS, "content_sha256")
    return digest_key(aid, ID_DIGITS, "article_id") ^ (text >> 128) ^ (text & ((1 << 128) - 1))


def _text_words(ids: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """_text_key of many rows, as digest words."""
    return ids ^ hashes[:, :2] ^ hashes[:, 2:]


class _ArticleRows:
    """Articles as rows: id, version, content hash, listed and fetched times.
    One row per archived article, as numpy columns (72 bytes a row), and one
    more for each version the run writes, in the run database on disk
    (RunRows): memory does not grow with the run."""

    def __init__(self, ids: np.ndarray, versions: np.ndarray, hashes: np.ndarray,
                 listed: np.ndarray, fetched: np.ndarray) -> None:
        self._ids, self._versions, self._hashes = ids, versions, hashes
        self._listed, self._fetched = listed, fetched
        self._appended = RunRows("id BLOB, version INTEGER, hash BLOB, listed INTEGER, fetched INTEGER")

    @classmethod
    def empty(cls) -> "_ArticleRows":
        return cls(np.empty((0, 2), np.uint64), np.empty(0, np.int32), np.empty((0, 4), np.uint64),
                   np.empty(0, np.int64), np.empty(0, np.int64))

    def append(self, article_key: int, version: int, content_sha256: str,
               listed_modified_at: datetime | None, fetched_at: datetime | None) -> int:
        content_key = digest_key(content_sha256, SHA256_DIGITS, "content_sha256")   # raises before the row is added
        number = self._appended.append((number_bytes(article_key), version,
                                        number_bytes(content_key, SHA256_DIGITS),
                                        _micros(listed_modified_at), _micros(fetched_at)))
        return len(self._ids) + number

    def article_id(self, row: int) -> str:
        if row < len(self._ids):
            return words_hex(self._ids[row])
        return self._appended.get(row - len(self._ids))[0].hex()

    def article(self, row: int) -> ArchivedArticle:
        if row < len(self._ids):
            return ArchivedArticle(int(self._versions[row]), words_hex(self._hashes[row]),
                                   _moment(self._listed[row]), _moment(self._fetched[row]))
        _, version, content_hash, listed, fetched = self._appended.get(row - len(self._ids))
        return ArchivedArticle(version, content_hash.hex(), _moment(listed), _moment(fetched))


class Ledger:
    """What the archive holds, for one source.

    Loaded column-wise (pyarrow): a million archived articles load in seconds.
    The latest version of each article is a row of numpy columns, found by its
    id through a DigestIndex (pipelines/digests.py); the run's own rows and
    keys go to the run database on disk: no Python object per article, and
    memory stays flat however long the run. A URL is looked up by its article
    id (the hash of its canonical key, pipelines/ids.py); only fetched URLs
    that differ from their canonical URL need an entry of their own.
    """

    def __init__(self) -> None:
        self._rows = _ArticleRows.empty()
        self._by_id = DigestIndex()           # article_id -> its latest row
        # article id of a fetched URL's canonical key -> the article's row, where they differ
        self._by_url = DigestIndex()
        # article id of a URL's canonical key -> when it was rejected for good
        self.rejected_urls: dict[str, datetime] = {}
        # Re-processing's holds(): the extractor the ledger was loaded for, and
        # (article_id, content_sha256) of every row it wrote, archived or in the run.
        self._extractor: str | None = None
        self._texts = DigestIndex()

    @classmethod
    def load(cls, archive: Archive, source: str, extractor_version: str | None = None) -> "Ledger":
        """The source's archive as the ledger; with `extractor_version`, only the
        rows that extractor wrote (re-processing numbers versions among them)."""
        ledger = cls()
        ledger._extractor = extractor_version
        table = archive.read_columns(f"articles/source={source}", LEDGER_COLUMNS, ARTICLE_SCHEMA)
        if table is not None and extractor_version is not None:
            table = table.filter(pc.equal(table.column("extractor_version"), extractor_version))
        if table is not None and table.num_rows:
            ledger._load_articles(table)
        rejects = archive.read_columns(f"rejects/source={source}", ["url", "reason", "fetched_at"],
                                       REJECTION_SCHEMA)
        if rejects is not None and rejects.num_rows:
            permanent = rejects.filter(pc.is_in(rejects.column("reason"),
                                                pa.array(sorted(PERMANENT_REJECTIONS))))
            for url, fetched_at in zip(permanent.column("url").to_pylist(),
                                       permanent.column("fetched_at").to_pylist()):
                ledger.rejected_urls[article_id(url)] = fetched_at
        del table, rejects
        release_arrow_memory()
        return ledger

    def _load_articles(self, table: pa.Table) -> None:
        if self._extractor is not None:      # the table holds only its rows
            keys = _text_words(digest_words(table.column("article_id"), ID_DIGITS, "article_id"),
                               digest_words(table.column("content_sha256"), SHA256_DIGITS,
                                            "content_sha256"))
            self._texts = DigestIndex.from_words(keys, np.zeros(len(keys), dtype=np.int64))
        # Fetched URLs: only where the URL is not its canonical URL (redirects,
        # tracking parameters) is a key needed; the others are found by id.
        differs = pc.fill_null(pc.not_equal(table.column("url"), table.column("canonical_url")), False)
        others = table.select(["url", "article_id"]).filter(differs)
        # Same version by several extractors (after a re-processing): today's wins.
        current = pc.fill_null(pc.equal(table.column("extractor_version"), EXTRACTOR_VERSION), False)
        table = pa.table({"article_id": table.column("article_id"),
                          "version": pc.fill_null(table.column("version"), 1),
                          "_current": current, "content_sha256": table.column("content_sha256"),
                          "listed_modified_at": table.column("listed_modified_at"),
                          "fetched_at": table.column("fetched_at")})
        # Most articles have one row; only ids with several (corrections,
        # re-processings) are sorted, by version, and keep their last row.
        counts = pc.value_counts(table.column("article_id"))
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        if len(repeated):
            several = pc.is_in(table.column("article_id"), repeated)
            multi = table.filter(several).sort_by([("article_id", "ascending"),
                                                   ("version", "ascending"), ("_current", "ascending")])
            ids = multi.column("article_id").combine_chunks()
            last = pa.concat_arrays([pc.not_equal(ids.slice(0, len(ids) - 1), ids.slice(1)),
                                     pa.array([True])])
            table = pa.concat_tables([table.filter(pc.invert(several)), multi.filter(last)])
        ids = digest_words(table.column("article_id"), ID_DIGITS, "article_id")
        self._rows = _ArticleRows(
            ids, table.column("version").to_numpy().astype(np.int32),
            digest_words(table.column("content_sha256"), SHA256_DIGITS, "content_sha256"),
            *(pc.fill_null(table.column(name).cast(TIMESTAMP_UTC).cast(pa.int64()), int(_NO_TIME)).to_numpy()
              for name in ("listed_modified_at", "fetched_at")))
        self._by_id = DigestIndex.from_words(ids, np.arange(len(ids)))
        others = others.filter(pc.is_valid(others.column("url")))
        if others.num_rows:
            rows = pc.index_in(others.column("article_id"), value_set=table.column("article_id"))
            keys = [article_id(url) for url in others.column("url").to_pylist()]
            self._by_url = DigestIndex.from_words(digest_words(keys), rows.to_numpy())

    def remember(self, record: dict) -> None:
        """Take an archived (or just written) row into the ledger."""
        aid = record["article_id"]
        key = digest_key(aid, ID_DIGITS, "article_id")
        row = self._rows.append(key, int(record.get("version") or 1), record["content_sha256"],
                                record.get("listed_modified_at"), record.get("fetched_at"))
        self._by_id[key] = row
        if self._extractor is not None and record.get("extractor_version") == self._extractor:
            self._texts.add(_text_key(aid, record["content_sha256"]))
        for url in (record.get("url"), record.get("canonical_url")):
            if url:
                key = article_id(url)
                if key != aid:
                    self._by_url[int(key, 16)] = row

    def latest(self, article_id: str) -> ArchivedArticle | None:
        row = self._by_id.get(digest_key(article_id, ID_DIGITS, "article_id"))
        return None if row is None else self._rows.article(row)

    def holds(self, article_id: str, content_sha256: str, extractor_version: str) -> bool:
        """True when a row with this text, by this extractor, is archived (a
        ledger loaded with `extractor_version`: re-processing)."""
        if self._extractor is None:
            raise RuntimeError("Ledger.holds() needs Ledger.load(..., extractor_version=...)")
        return extractor_version == self._extractor and _text_key(article_id, content_sha256) in self._texts

    def article_for_url(self, url: str) -> str | None:
        """The id of the archived article fetched from, or canonical at, `url`."""
        found = self._latest_row_for_url(url)
        return None if found is None else found[0]

    def _latest_row_for_url(self, url: str) -> tuple[str, int] | None:
        key = article_id(url)
        row = self._by_id.get(int(key, 16))
        if row is None:
            row = self._by_url.get(int(key, 16))
            if row is None:
                return None
            key = self._rows.article_id(row)
            row = self._by_id.get(int(key, 16))     # that article's latest version
        return key, row

    def needs_fetch(self, url: str, listed_modified_at: datetime | None,
                    last_unchanged_listing: datetime | None = None) -> bool:
        """False for a URL already archived (or rejected for good) that its
        listing does not say has changed since it was last fetched."""
        archived = self._latest_row_for_url(url)
        if archived is not None:
            known = self._rows.article(archived[1])
            # What we hold already includes every change made before we fetched it.
            seen = [known.listed_modified_at, known.fetched_at, last_unchanged_listing]
        elif (key := article_id(url)) in self.rejected_urls:
            seen = [self.rejected_urls[key], last_unchanged_listing]
        else:
            return True
        if listed_modified_at is None:
            return False
        seen = [t for t in seen if t is not None]
        return not seen or listed_modified_at > max(seen)

    def __len__(self) -> int:
        return len(self._by_id)


class CrawlState:
    """What the last clean run learned that is not in the datasets: the ETag /
    Last-Modified of each feed and sitemap, and the listed modification times
    of articles that were fetched again and found unchanged (so a listing that
    keeps announcing the same lastmod does not cause a refetch every run)."""

    def __init__(self, archive: Archive, source: str):
        self.archive = archive
        self.relpath = f"_state/{source}/state.json"
        stored = self._read_stored(archive.read_bytes(self.relpath))
        self.validators: dict[str, dict[str, str]] = stored.get("validators", {})
        self.unchanged_listed: dict[str, str] = stored.get("unchanged_listed", {})
        # robots.txt, sitemap indexes and home pages list further entry points;
        # when they answer 304 those are still to be visited.
        self.children: dict[str, list[str]] = stored.get("children", {})
        self._new_validators: dict[str, dict[str, str]] = {}
        self._new_children: dict[str, list[str]] = {}

    def _read_stored(self, raw: bytes | None) -> dict:
        """The state a clean run saved. One that cannot be read (written by
        something else) is ignored with a warning: it only saves requests, and
        the datasets, not it, say what is archived."""
        if not raw:
            return {}
        try:
            stored = json.loads(raw)
            if isinstance(stored, dict):
                return stored
            problem = f"a JSON {type(stored).__name__}, not an object"
        except ValueError as exc:
            problem = f"not JSON: {exc}"
        logger.warning("ARCHIVE_URI %s: %s is %s; ignored: this run fetches every feed and "
                       "sitemap in full, and a clean run writes it anew",
                       self.archive.uri, self.relpath, problem)
        return {}

    def request_headers(self, url: str) -> dict[str, str]:
        stored = self.validators.get(url, {})
        headers = {}
        if stored.get("etag"):
            headers["If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            headers["If-Modified-Since"] = stored["last_modified"]
        return headers

    def update_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self._new_validators[url] = {k: v for k, v in
                                         (("etag", etag), ("last_modified", last_modified)) if v}

    def remember_children(self, url: str, entry_points: list[str]) -> None:
        if entry_points:
            self._new_children[url] = entry_points

    def children_of(self, url: str) -> list[str]:
        return self.children.get(url, [])

    def listed_unchanged(self, url: str, listed_modified_at: datetime) -> None:
        self.unchanged_listed[canonical_key(url)] = listed_modified_at.isoformat()

    def last_unchanged_listing(self, url: str) -> datetime | None:
        value = self.unchanged_listed.get(canonical_key(url))
        return datetime.fromisoformat(value) if value else None

    def changes(self) -> dict:
        """What this process learned, for a distributed run's coordinator to merge."""
        return {"validators": self._new_validators, "children": self._new_children,
                "unchanged_listed": self.unchanged_listed}

    def merge_changes(self, changes: dict) -> None:
        self._new_validators.update(changes.get("validators", {}))
        self._new_children.update(changes.get("children", {}))
        self.unchanged_listed.update(changes.get("unchanged_listed", {}))

    def save(self) -> None:
        """Called only after a clean run: a validator saved after a failed run
        would answer 304 next time for a listing whose articles were not all
        archived."""
        state = {"validators": {**self.validators, **self._new_validators},
                 "children": {**self.children, **self._new_children},
                 "unchanged_listed": self.unchanged_listed}
        self.archive.publish(self.relpath, json.dumps(state, indent=1, sort_keys=True).encode())

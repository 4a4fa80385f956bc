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
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from pipelines.ids import canonical_key
from pipelines.storage import Archive
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA

LEDGER_COLUMNS = ["article_id", "url", "canonical_url", "content_sha256", "version",
                  "listed_modified_at"]
# Rejections that will not change by asking again; transient ones (fetch errors,
# 5xx, 429) are retried by the next run.
PERMANENT_REJECTIONS = frozenset({"http_404", "http_410", "not_article", "too_short", "not_html",
                                  "robots_disallowed", "unparseable_html"})


@dataclass
class ArchivedArticle:
    version: int
    content_sha256: str
    listed_modified_at: datetime | None


@dataclass
class Ledger:
    articles: dict[str, ArchivedArticle] = field(default_factory=dict)
    ids_by_url: dict[str, str] = field(default_factory=dict)
    rejected_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, archive: Archive, source: str) -> "Ledger":
        ledger = cls()
        table = _read(archive, f"articles/source={source}", ARTICLE_SCHEMA, LEDGER_COLUMNS)
        if table is not None and table.num_rows:
            # Rows in version order, so the last one seen per id is the latest.
            versions = pc.fill_null(table.column("version"), 1)
            table = table.set_column(table.schema.get_field_index("version"), "version", versions)
            table = table.sort_by([("article_id", "ascending"), ("version", "ascending")])
            for row in table.to_pylist():
                ledger.remember(row)
        rejects = _read(archive, f"rejects/source={source}", REJECTION_SCHEMA, ["url", "reason"])
        if rejects is not None:
            for url, reason in zip(rejects.column("url").to_pylist(),
                                   rejects.column("reason").to_pylist()):
                if reason in PERMANENT_REJECTIONS:
                    ledger.rejected_urls[canonical_key(url)] = reason
        return ledger

    def remember(self, record: dict) -> None:
        """Take an archived (or just written) row into the ledger."""
        self.articles[record["article_id"]] = ArchivedArticle(
            int(record.get("version") or 1), record["content_sha256"],
            record.get("listed_modified_at"))
        for url in (record.get("url"), record.get("canonical_url")):
            if url:
                self.ids_by_url[canonical_key(url)] = record["article_id"]

    def latest(self, article_id: str) -> ArchivedArticle | None:
        return self.articles.get(article_id)

    def needs_fetch(self, url: str, listed_modified_at: datetime | None,
                    last_unchanged_listing: datetime | None = None) -> bool:
        """False for a URL already archived (or rejected for good) that its
        listing does not say has changed since it was last fetched."""
        key = canonical_key(url)
        article_id = self.ids_by_url.get(key)
        if article_id is not None:
            if listed_modified_at is None:
                return False
            seen = [t for t in (self.articles[article_id].listed_modified_at,
                                last_unchanged_listing) if t is not None]
            return not seen or listed_modified_at > max(seen)
        if key in self.rejected_urls:
            return listed_modified_at is not None
        return True

    def __len__(self) -> int:
        return len(self.articles)


def _read(archive: Archive, relpath: str, schema: pa.Schema, columns: list[str]) -> pa.Table | None:
    """Only `columns`, across files of every schema version (missing columns: null)."""
    if not archive.exists(relpath):
        return None
    dataset = pads.dataset(archive.path(relpath), filesystem=archive.filesystem, format="parquet",
                           schema=schema)
    return dataset.to_table(columns=columns)


class CrawlState:
    """What the last clean run learned that is not in the datasets: the ETag /
    Last-Modified of each feed and sitemap, and the listed modification times
    of articles that were fetched again and found unchanged (so a listing that
    keeps announcing the same lastmod does not cause a refetch every run)."""

    def __init__(self, archive: Archive, source: str):
        self.archive = archive
        self.relpath = f"_state/{source}/state.json"
        raw = archive.read_bytes(self.relpath)
        stored = json.loads(raw) if raw else {}
        self.validators: dict[str, dict[str, str]] = stored.get("validators", {})
        self.unchanged_listed: dict[str, str] = stored.get("unchanged_listed", {})
        # robots.txt, sitemap indexes and home pages list further entry points;
        # when they answer 304 those are still to be visited.
        self.children: dict[str, list[str]] = stored.get("children", {})
        self._new_validators: dict[str, dict[str, str]] = {}
        self._new_children: dict[str, list[str]] = {}

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

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

import pyarrow.compute as pc

from pipelines import EXTRACTOR_VERSION
from pipelines.ids import canonical_key
from pipelines.storage import Archive
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA

LEDGER_COLUMNS = ["article_id", "url", "canonical_url", "content_sha256", "version",
                  "listed_modified_at", "fetched_at", "extractor_version"]
# Rejections that will not change by asking again; transient ones (fetch errors,
# 5xx, 429) are retried by the next run.
PERMANENT_REJECTIONS = frozenset({"http_404", "http_410", "not_article", "too_short", "not_html",
                                  "robots_disallowed", "unparseable_html"})


@dataclass
class ArchivedArticle:
    version: int
    content_sha256: str
    listed_modified_at: datetime | None
    fetched_at: datetime | None = None


@dataclass
class Ledger:
    articles: dict[str, ArchivedArticle] = field(default_factory=dict)
    ids_by_url: dict[str, str] = field(default_factory=dict)
    rejected_urls: dict[str, datetime] = field(default_factory=dict)   # key -> when rejected
    # (article_id, content_sha256, extractor_version) of every archived row.
    texts: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, archive: Archive, source: str, extractor_version: str | None = None) -> "Ledger":
        """The source's archive as the ledger; with `extractor_version`, only the
        rows that extractor wrote (re-processing numbers versions among them)."""
        ledger = cls()
        table = archive.read_columns(f"articles/source={source}", LEDGER_COLUMNS, ARTICLE_SCHEMA)
        if table is not None and extractor_version is not None:
            table = table.filter(pc.equal(table.column("extractor_version"), extractor_version))
        if table is not None and table.num_rows:
            # Rows in version order, so the last one seen per id is the latest.
            versions = pc.fill_null(table.column("version"), 1)
            table = table.set_column(table.schema.get_field_index("version"), "version", versions)
            # Same version by several extractors (after a re-processing): today's wins.
            current = pc.fill_null(pc.equal(table.column("extractor_version"), EXTRACTOR_VERSION),
                                   False)
            table = table.append_column("_current", current)
            table = table.sort_by([("article_id", "ascending"), ("version", "ascending"),
                                   ("_current", "ascending")])
            for row in table.to_pylist():
                ledger.remember(row)
        rejects = archive.read_columns(f"rejects/source={source}", ["url", "reason", "fetched_at"],
                                       REJECTION_SCHEMA)
        if rejects is not None:
            for url, reason, fetched_at in zip(rejects.column("url").to_pylist(),
                                               rejects.column("reason").to_pylist(),
                                               rejects.column("fetched_at").to_pylist()):
                if reason in PERMANENT_REJECTIONS:
                    ledger.rejected_urls[canonical_key(url)] = fetched_at
        return ledger

    def remember(self, record: dict) -> None:
        """Take an archived (or just written) row into the ledger."""
        self.articles[record["article_id"]] = ArchivedArticle(
            int(record.get("version") or 1), record["content_sha256"],
            record.get("listed_modified_at"), record.get("fetched_at"))
        self.texts.add((record["article_id"], record["content_sha256"],
                        record.get("extractor_version") or ""))
        for url in (record.get("url"), record.get("canonical_url")):
            if url:
                self.ids_by_url[canonical_key(url)] = record["article_id"]

    def latest(self, article_id: str) -> ArchivedArticle | None:
        return self.articles.get(article_id)

    def holds(self, article_id: str, content_sha256: str, extractor_version: str) -> bool:
        """True when a row with this text, by this extractor, is archived."""
        return (article_id, content_sha256, extractor_version) in self.texts

    def needs_fetch(self, url: str, listed_modified_at: datetime | None,
                    last_unchanged_listing: datetime | None = None) -> bool:
        """False for a URL already archived (or rejected for good) that its
        listing does not say has changed since it was last fetched."""
        key = canonical_key(url)
        article_id = self.ids_by_url.get(key)
        if article_id is not None:
            known = self.articles[article_id]
            # What we hold already includes every change made before we fetched it.
            seen = [known.listed_modified_at, known.fetched_at, last_unchanged_listing]
        elif key in self.rejected_urls:
            seen = [self.rejected_urls[key], last_unchanged_listing]
        else:
            return True
        if listed_modified_at is None:
            return False
        seen = [t for t in seen if t is not None]
        return not seen or listed_modified_at > max(seen)

    def __len__(self) -> int:
        return len(self.articles)


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

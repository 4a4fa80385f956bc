"""Deduplication and versions, against the archive itself (the ledger).

An article already archived with the same content is not written again. An
article archived with a different content is a correction: it is written as a
new row, same `article_id`, `version` + 1; earlier rows stay.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from pipelines.ledger import Ledger
from pipelines.neardup import DEFAULT_WINDOW_DAYS, NearDuplicateIndex
from pipelines.storage import Archive, open_archive


class AlreadyArchived(DropItem):
    """Same article, same content as its latest archived version (not a rejection)."""


def load_rejection_ledger(archive: Archive, source: str) -> set[tuple[str, str]]:
    """(url, reason) of rejections already recorded: a page that keeps failing
    the same way is recorded once, not once per run."""
    table = archive.read_columns(f"rejects/source={source}", ["url", "reason"])
    if table is None:
        return set()
    return set(zip(table.column("url").to_pylist(), table.column("reason").to_pylist()))


def assign_version(record: dict[str, Any], ledger: Ledger) -> dict[str, Any] | None:
    """The record to write (with its version), or None when it changes nothing."""
    latest = ledger.latest(record["article_id"])
    if latest is None:
        record["version"] = 1
    elif latest.content_sha256 == record["content_sha256"]:
        return None
    else:
        record["version"] = latest.version + 1
        # A correction is dated: by the page, else by its listing, else when we saw it.
        record["modified_at"] = (record["modified_at"] or record.get("listed_modified_at")
                                 or record["fetched_at"])
    ledger.remember(record)
    return record


def assign_reprocessed_version(record: dict[str, Any], ledger: Ledger) -> dict[str, Any] | None:
    """Re-processing: a row with the same article_id, content_sha256 and
    extractor_version as one archived is not written again (so running it twice
    writes nothing); otherwise versions are numbered as a crawl numbers them,
    against a ledger of the same extractor's rows (Ledger.load(extractor_version=...))."""
    if ledger.holds(record["article_id"], record["content_sha256"], record["extractor_version"]):
        return None
    return assign_version(record, ledger)


def mark_near_duplicate(record: dict[str, Any], index: NearDuplicateIndex) -> dict[str, Any]:
    """Set `duplicate_of` to the first copy of a near-identical body, if any,
    and take the record into the index."""
    fingerprint = record.get("simhash")
    if fingerprint:
        record["duplicate_of"] = index.first_copy(record["article_id"], fingerprint)
        index.add(record["article_id"], fingerprint, record["duplicate_of"])
    return record


class DedupPipeline:
    """Exact duplicates are dropped, corrections numbered, near-duplicates marked."""

    def __init__(self, ledger: Ledger, state, stats, archive_uri: str | None = None,
                 window_days: int = DEFAULT_WINDOW_DAYS):
        self.ledger = ledger
        self.state = state
        self.stats = stats
        self.archive_uri = archive_uri
        self.window_days = window_days
        self.near_duplicates = NearDuplicateIndex()

    @classmethod
    def from_crawler(cls, crawler) -> "DedupPipeline":
        settings = crawler.settings
        return cls(crawler.spider.ledger, crawler.spider.state, crawler.stats,
                   settings.get("ARCHIVE_URI"),
                   settings.getint("NEAR_DUPLICATE_WINDOW_DAYS", DEFAULT_WINDOW_DAYS))

    def open_spider(self) -> None:
        self.near_duplicates = NearDuplicateIndex.load(open_archive(self.archive_uri),
                                                       self.window_days)
        self.stats.set_value("archive/near_duplicate_index", len(self.near_duplicates))

    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        if assign_version(record, self.ledger) is None:
            self.stats.inc_value("archive/unchanged")
            if record.get("listed_modified_at") and self.state:
                self.state.listed_unchanged(record["url"], record["listed_modified_at"])
            raise AlreadyArchived(f"already archived: {record['url']}")
        if record["version"] > 1:
            self.stats.inc_value("archive/versions_written")
        if mark_near_duplicate(record, self.near_duplicates).get("duplicate_of"):
            self.stats.inc_value("archive/near_duplicates")
        return record

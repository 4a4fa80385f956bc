"""Deduplication: an article already in the archive with the same content is
not written again. The archive itself is the ledger: at start, the run reads
only the `article_id` and `content_sha256` columns of the source's partition
(never the bodies)."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from pipelines.storage import Archive, open_archive


class AlreadyArchived(DropItem):
    """Same article, same content as a row already archived (not a rejection)."""


def load_ledger(archive: Archive, source: str) -> set[tuple[str, str]]:
    table = archive.read_columns(f"articles/source={source}", ["article_id", "content_sha256"])
    if table is None:
        return set()
    return set(zip(table.column("article_id").to_pylist(),
                   table.column("content_sha256").to_pylist()))


def load_rejection_ledger(archive: Archive, source: str) -> set[tuple[str, str]]:
    """(url, reason) of rejections already recorded: a page that keeps failing
    the same way is recorded once, not once per run."""
    table = archive.read_columns(f"rejects/source={source}", ["url", "reason"])
    if table is None:
        return set()
    return set(zip(table.column("url").to_pylist(), table.column("reason").to_pylist()))


class DedupPipeline:
    def __init__(self, archive_uri: str | None, source: str, stats):
        self.archive_uri = archive_uri
        self.source = source
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler) -> "DedupPipeline":
        return cls(crawler.settings.get("ARCHIVE_URI"), crawler.spider.source.key, crawler.stats)

    def open_spider(self) -> None:
        self.seen = load_ledger(open_archive(self.archive_uri), self.source)
        self.stats.set_value("archive/ledger_rows", len(self.seen))

    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        key = (record["article_id"], record["content_sha256"])
        if key in self.seen:
            self.stats.inc_value("archive/unchanged")
            raise AlreadyArchived(f"already archived: {record['url']}")
        self.seen.add(key)
        return record

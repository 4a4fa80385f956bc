"""Rejections are data: a page that does not become an article is recorded with
its reason, so every fetched page is accounted for."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scrapy.exceptions import DropItem
from w3lib.html import remove_tags_with_content, replace_entities, replace_tags

from pipelines.cleanup import normalize_text
from schemas import SCHEMA_VERSION

EXCERPT_CHARS = 300
EXCERPT_SOURCE_CHARS = 20_000   # the start of the page an excerpt is taken from


class PageRejected(DropItem):
    """Dropped because the page is not an archivable article; `reason` is
    machine-readable (http_404, not_article, too_short, invalid_record, ...)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def rejection_key(row: dict[str, Any]) -> tuple[str, str]:
    """What a recorded rejection is known by: a page that keeps failing the
    same way is recorded once (pipelines.dedup.load_rejection_ledger)."""
    return row["url"], row["reason"]


def excerpt(item: Any) -> str | None:
    """A short piece of the page's text, to tell what was rejected: of a
    fetched page's HTML, or of an article's body."""
    if isinstance(item, dict):
        text = (item.get("body") or "")[:EXCERPT_SOURCE_CHARS]
    else:
        text = page_start(getattr(item, "body", None), getattr(item, "encoding", None))
    if not text:
        return None
    # Scripts and styles are not text; a tag parts words ("<title>A</title><p>B" is "A B").
    text = remove_tags_with_content(text, ("script", "style"))
    return normalize_text(replace_entities(replace_tags(text, " ")))[:EXCERPT_CHARS] or None


def page_start(body: bytes | None, encoding: str | None) -> str:
    """The first EXCERPT_SOURCE_CHARS characters of a page as received: only
    its start is decoded (a character takes at most four bytes)."""
    if not body:
        return ""
    from pipelines.extract import decode_page   # the extraction's decoding (loads trafilatura)
    return decode_page(body[:4 * EXCERPT_SOURCE_CHARS], encoding)[:EXCERPT_SOURCE_CHARS]


def rejection_row(item: Any, reason: str, detail: str) -> dict[str, Any]:
    def field(name: str) -> Any:
        return item.get(name) if isinstance(item, dict) else getattr(item, name, None)
    return {
        "source": field("source"),
        "url": field("url"),
        "reason": reason,
        "detail": detail,
        "http_status": field("http_status"),
        "fetched_at": field("fetched_at") or datetime.now(timezone.utc),
        "excerpt": excerpt(item),
        "schema_version": SCHEMA_VERSION,
        "warc_filename": field("warc_filename"),
        "warc_record_offset": field("warc_record_offset"),
        "warc_record_length": field("warc_record_length"),
    }

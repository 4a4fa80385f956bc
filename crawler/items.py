"""What the spider hands to the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FetchedPage:
    """One article candidate as fetched: the raw material of extraction.

    Every article request ends as exactly one FetchedPage, also when the fetch
    failed (`error` set, `body` None), so the pipelines can account for it.
    """
    source: str
    url: str
    fetched_at: datetime
    http_status: int | None = None
    body: bytes | None = None         # the page as received
    encoding: str | None = None       # the charset it is read in (Scrapy's TextResponse.encoding)
    content_type: str | None = None
    error: str | None = None          # reason code when nothing usable was received
    error_detail: str | None = None
    discovered_from: str | None = None
    # What the feed or sitemap said of the article, used where the page says less.
    listed_title: str | None = None
    listed_published_at: datetime | None = None
    listed_modified_at: datetime | None = None
    listed_keywords: list[str] = field(default_factory=list)
    # Where the response is in the raw archive (pipelines/warc.py), when one was received.
    warc_filename: str | None = None
    warc_record_offset: int | None = None
    warc_record_length: int | None = None

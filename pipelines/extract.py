"""Extraction: one HTML page in, one schema-v1 article record (or a rejection) out.

The page is parsed once; metadata functions (pipelines/metadata.py) and
trafilatura read the same tree; the cleanup rules (pipelines/cleanup.py) then
remove what is not the article from trafilatura's paragraphs.

Command line, for debugging and re-processing saved pages:

    .venv/bin/python -m pipelines.extract PATH [PATH ...]

prints one JSON object per input (plain or .gz HTML), in input order, with the
schema's field names.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import trafilatura
from lxml import html as lxml_html
from lxml.etree import ParserError

from crawler.items import FetchedPage
from pipelines import EXTRACTOR_VERSION
from pipelines.cleanup import clean_paragraphs
from pipelines.dates import parse_datetime
from pipelines.ids import article_id
from pipelines.rejections import PageRejected
from pipelines.metadata import (
    extract_authors,
    extract_canonical_url,
    extract_description,
    extract_image_credit,
    extract_language,
    extract_modified_at,
    extract_published_at,
    extract_rights,
    extract_title,
)
from schemas import SCHEMA_VERSION

# Fewer words than this after cleanup is a teaser, a video page or an index,
# not an article (calibrated on the fixture site's non-article pages; news
# briefs of wire services run 80 words and more).
MIN_BODY_WORDS = 40


class Rejected(Exception):
    """The page is not an archivable article; `reason` is machine-readable."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PageContext:
    """What the crawler knows about a page besides its HTML."""
    url: str
    source: str = "unknown"
    http_status: int = 200
    fetched_at: datetime | None = None
    default_tz: tzinfo = timezone.utc
    stop_lines: tuple[str, ...] = ()


def parse_html(page: bytes | str) -> lxml_html.HtmlElement:
    """Parse once; lxml detects the encoding of bytes from the <meta charset>."""
    try:
        tree = lxml_html.document_fromstring(page)
    except (ParserError, ValueError) as exc:
        raise Rejected("unparseable_html", str(exc) or "empty document") from exc
    return tree


def extract_article(page: bytes | str, context: PageContext) -> dict[str, Any]:
    """Return the article record for `page`, or raise `Rejected`."""
    tree = parse_html(page)
    fetched_at = context.fetched_at or datetime.now(timezone.utc)
    title = extract_title(tree)
    description = extract_description(tree)
    image_credit = extract_image_credit(tree)
    document = trafilatura.bare_extraction(
        tree, url=context.url, with_metadata=True, include_comments=False,
        include_tables=False, deduplicate=False)
    if document is None or not (document.text or "").strip():
        raise Rejected("not_article", "no article text found")
    cleaned = clean_paragraphs(
        document.text.split("\n"), title=title or document.title, description=description,
        image_credit=image_credit, stop_lines=context.stop_lines)
    body = "\n\n".join(cleaned.paragraphs)
    words = len(body.split())
    if words < MIN_BODY_WORDS:
        raise Rejected("too_short", f"{words} words of text after cleanup (minimum {MIN_BODY_WORDS})")
    canonical = extract_canonical_url(tree, context.url)
    return {
        "article_id": article_id(canonical),
        "source": context.source,
        "url": context.url,
        "canonical_url": canonical,
        "title": title or document.title,
        "body": body,
        "authors": extract_authors(tree, fallback=document.author),
        "published_at": extract_published_at(tree, context.default_tz, now=fetched_at)
        or _trafilatura_date(document.date, fetched_at),
        "modified_at": extract_modified_at(tree, context.default_tz, now=fetched_at),
        "dateline": cleaned.dateline,
        "rights": cleaned.rights or extract_rights(tree),
        "image_credit": cleaned.image_credit,
        "language": extract_language(tree) or document.language,
        "description": description,
        "fetched_at": fetched_at,
        "http_status": context.http_status,
        "content_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "extractor_version": EXTRACTOR_VERSION,
        "schema_version": SCHEMA_VERSION,
    }


def _trafilatura_date(value: str | None, now: datetime) -> datetime | None:
    return parse_datetime(value, timezone.utc, now) if value else None


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.extract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="HTML files, plain or .gz")
    parser.add_argument("--url", help="URL to resolve links against (default: file:// URL)")
    parser.add_argument("--source", default="unknown", help="source key to record")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        url = args.url or path.resolve().as_uri()
        try:
            record = extract_article(read_page(path), PageContext(url=url, source=args.source))
        except OSError as exc:
            record, status = {"url": url, "error": f"cannot read {path}: {exc.strerror}"}, 1
        except Rejected as exc:
            record = {"url": url, "rejected": exc.reason, "detail": exc.detail}
        print(json.dumps(record, ensure_ascii=False, default=_json_default))
    return status


if __name__ == "__main__":
    sys.exit(main())


class ExtractPipeline:
    """Item pipeline: FetchedPage -> article record, or PageRejected with the reason."""

    def __init__(self, default_tz: tzinfo, stop_lines: tuple[str, ...]):
        self.default_tz = default_tz
        self.stop_lines = stop_lines

    @classmethod
    def from_crawler(cls, crawler) -> "ExtractPipeline":
        source = crawler.spider.source
        return cls(source.tzinfo, source.stop_lines)

    def process_item(self, page: FetchedPage) -> dict[str, Any]:
        if page.error:
            raise PageRejected(page.error, page.error_detail or page.error)
        context = PageContext(url=page.url, source=page.source, http_status=page.http_status or 0,
                              fetched_at=page.fetched_at, default_tz=self.default_tz,
                              stop_lines=self.stop_lines)
        try:
            record = extract_article(page.html or "", context)
        except Rejected as exc:
            raise PageRejected(exc.reason, exc.detail) from exc
        return with_warc_pointer(with_listing_hints(record, page), page)


def with_listing_hints(record: dict[str, Any], page: FetchedPage) -> dict[str, Any]:
    """Fill what the page did not say from what its feed or sitemap said, and
    start the article at version 1 (the dedup stage numbers later versions)."""
    record["title"] = record["title"] or page.listed_title
    record["published_at"] = record["published_at"] or page.listed_published_at
    record["listed_modified_at"] = page.listed_modified_at
    record["keywords"] = list(page.listed_keywords)
    record["version"] = 1
    return record


def with_warc_pointer(record: dict[str, Any], page: FetchedPage) -> dict[str, Any]:
    """Where the page's bytes are in the raw archive (null when not recorded)."""
    record["warc_filename"] = page.warc_filename
    record["warc_record_offset"] = page.warc_record_offset
    record["warc_record_length"] = page.warc_record_length
    return record

"""The article schema: the contract with downstream readers.

Every field is declared here once, with its type, nullability and a description
that is also written into the Parquet file's field metadata, so a reader with
only the file in hand can learn what a column means. Parquet schemas are never
inferred from the first record (a late ``None`` would change a column's type
after the work is done): writers cast every batch to ``ARTICLE_SCHEMA``.

Changes to this contract are additive only: a new version may add fields
(nullable, or with a stated value for older rows), never rename, retype or
remove one. Files of every version read together when the reader passes the
current schema (pyarrow: ``ds.dataset(..., schema=ARTICLE_SCHEMA)``; DuckDB:
``union_by_name = true``); a column an older file lacks reads as null.

The version and its history: schemas/__init__.py.
"""

from __future__ import annotations

import pyarrow as pa

from schemas import SCHEMA_VERSION

TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")

# (name, type, nullable, description, example)
ARTICLE_FIELDS: list[tuple[str, pa.DataType, bool, str, str]] = [
    ("article_id", pa.string(), False,
     "Stable identifier: first 32 hex digits of SHA-256 of the canonical URL "
     "after canonicalisation (scheme and 'www.' dropped, query sorted, "
     "tracking parameters and fragment removed).",
     "3f1c0e5a9b7d4c2e8f6a1b0c9d8e7f6a"),
    ("source", pa.string(), False,
     "Key of the configured source (crawler/sources/<key>.toml).", "abc"),
    ("url", pa.string(), False,
     "URL the page was fetched from, after redirects.",
     "https://abcnewsradioonline.com/world-news/putin-tells-pompeo"),
    ("canonical_url", pa.string(), False,
     "The page's <link rel=canonical> (or og:url) when it points to the same "
     "site, else `url`.", "https://abcnewsradioonline.com/world-news/putin-tells-pompeo"),
    ("title", pa.string(), False, "Headline, without the site-name suffix.",
     "Putin tells Pompeo US and Russia can improve relations after Mueller report"),
    ("body", pa.string(), False,
     "Clean article text only: no title, dateline, photo credit, share rows, "
     "related links or copyright line. Paragraphs separated by one blank line.",
     "U.S. Secretary of State Mike Pompeo met ...\n\nPutin told Pompeo ..."),
    ("authors", pa.list_(pa.string()), False,
     "Author names, one per element, without 'By' or roles; empty when unknown.",
     '["Conor Finnegan"]'),
    ("published_at", TIMESTAMP_UTC, True,
     "First publication time in UTC, to the minute when the page states it "
     "(JSON-LD datePublished, article:published_time, <time>, visible text; "
     "a visible time without zone is read in the source's timezone). When only "
     "the day is known, 00:00 UTC of that day. Null when unknown.",
     "2019-05-14 16:58:00+00:00"),
    ("modified_at", TIMESTAMP_UTC, True,
     "Last modification time stated by the page, in UTC; null when not stated.",
     "2019-05-14 17:30:00+00:00"),
    ("dateline", pa.string(), True,
     "Wire dateline place that opened the story, without brackets or dashes.",
     "MOSCOW"),
    ("rights", pa.string(), True, "Copyright line of the page.",
     "Copyright © 2019, ABC Radio. All rights reserved."),
    ("image_credit", pa.string(), True, "Credit of the lead image.",
     "State Department photo/ Public Domain"),
    ("language", pa.string(), True,
     "ISO 639-1 code of the article's text (CLD2), else the page's markup "
     "(html lang, og:locale).", "en"),
    ("description", pa.string(), True, "Summary from meta description / og:description.",
     "Secretary of State Mike Pompeo met Russian President Vladimir Putin ..."),
    ("fetched_at", TIMESTAMP_UTC, False, "When the crawler received the page (UTC).",
     "2026-11-28 06:00:00+00:00"),
    ("http_status", pa.int16(), False, "HTTP status of the fetched page.", "200"),
    ("content_sha256", pa.string(), False, "SHA-256 (hex) of the UTF-8 `body`.",
     "9b74c9897bac770ffc029102a200c5de..."),
    ("extractor_version", pa.string(), False,
     "Our extraction version and trafilatura's, so rows can be re-processed "
     "selectively.", "pipelines-1.0+trafilatura-2.3.1"),
    ("schema_version", pa.int16(), False, "Version of this schema the row was written with.", "3"),
    # --- v2 ---
    ("version", pa.int32(), False,
     "1 for the first archived text of an article; each change of `body` seen later "
     "adds a row with the same `article_id` and version + 1 (v1 files lack it: "
     "read null as 1).", "1"),
    ("listed_modified_at", TIMESTAMP_UTC, True,
     "Last modification the feed or sitemap listed for the article when this "
     "version was fetched (sitemap <lastmod>, feed <updated>); null when not listed.",
     "2019-05-14 17:30:00+00:00"),
    ("keywords", pa.list_(pa.string()), True,
     "Keywords or categories the feed or news sitemap gave the article.", '["Russia", "diplomacy"]'),
]

# --- v3: the pointer to the raw bytes (as Common Crawl's index: warc_*) ---
WARC_FIELDS: list[tuple[str, pa.DataType, bool, str, str]] = [
    ("warc_filename", pa.string(), True,
     "WARC file holding the HTTP response this row was made from, relative to "
     "ARCHIVE_URI (raw/source=<key>/date=<fetch date>/<run_id>-<n>.warc.gz); an "
     "absolute path or s3:// URL when re-processed from a foreign WARC; null when "
     "nothing was received or WARC writing was off.",
     "raw/source=abc/date=2026-11-28/20261128T062000Z-a1b2c3d4-00001.warc.gz"),
    ("warc_record_offset", pa.int64(), True,
     "Byte offset of the (gzip member of the) WARC `response` record in `warc_filename`.",
     "48213"),
    ("warc_record_length", pa.int64(), True,
     "Length in bytes of that compressed `response` record: read bytes "
     "[offset, offset + length) and decompress to get the record.", "9120"),
]

ARTICLE_FIELDS += WARC_FIELDS

# --- v4: near-duplicates (pipelines/neardup.py) ---
ARTICLE_FIELDS += [
    ("simhash", pa.string(), True,
     "128-bit simhash of the body's word 3-shingles, 32 hex digits; bodies a few "
     "edits apart differ in few bits (null in rows written before v4).",
     "9f3a0c51d2e47b8801c6aa53f07e19d4"),
    ("duplicate_of", pa.string(), True,
     "`article_id` of the first copy seen (any source) of which this body is a near "
     "duplicate (syndicated wire copy with small edits); null for originals.",
     "3f1c0e5a9b7d4c2e8f6a1b0c9d8e7f6a"),
]


# --- v5: what the page says of the article besides its text (pipelines/metadata.py) ---
ARTICLE_FIELDS += [
    ("section", pa.string(), True,
     "Site section the page files the article under (JSON-LD articleSection, "
     "article:section); null when not stated.", "Politics"),
    ("tags", pa.list_(pa.string()), True,
     "Tags the page gives the article (news_keywords, keywords, article:tag or "
     "JSON-LD keywords: the first of these present), in page order; empty when none, "
     "null in rows written before v5. The feed's or sitemap's are `keywords`.",
     '["Mexico", "Mexico City", "Latin America"]'),
    ("image_url", pa.string(), True,
     "Absolute URL of the lead image (JSON-LD image, og:image, twitter:image); "
     "null when the page names none.", "https://dims.apnews.com/dims4/default/6732f88/lead.jpg"),
    ("image_caption", pa.string(), True,
     "Caption of the lead image, without its credit (that is `image_credit`): the "
     "JSON-LD image's caption, else the first caption printed beside an image.",
     "The gutted remains of the two buildings, which had about 140 apartments."),
]

def _field(name, type_, nullable, description, example) -> pa.Field:
    return pa.field(name, type_, nullable=nullable,
                    metadata={"description": description, "example": example})


ARTICLE_SCHEMA = pa.schema(
    [_field(*spec) for spec in ARTICLE_FIELDS],
    metadata={"schema_name": "news-archive.article", "schema_version": str(SCHEMA_VERSION)},
)

# Pages that did not become articles: one row per rejection, with the reason,
# so every fetched page is accounted for (see pipelines/rejections.py).
REJECTION_FIELDS: list[tuple[str, pa.DataType, bool, str, str]] = [
    ("source", pa.string(), False, "Key of the configured source.", "abc"),
    ("url", pa.string(), False, "URL that was requested or fetched.",
     "https://abcnewsradioonline.com/about"),
    ("reason", pa.string(), False,
     "Machine-readable reason, e.g. http_404, not_article, too_short, fetch_error.",
     "not_article"),
    ("detail", pa.string(), True, "Human-readable detail of the reason.",
     "no article body found"),
    ("http_status", pa.int16(), True, "HTTP status, null when nothing was received.", "404"),
    ("fetched_at", TIMESTAMP_UTC, False, "When the page was fetched or the fetch failed.",
     "2026-11-28 06:00:00+00:00"),
    ("excerpt", pa.string(), True, "First 300 characters of the page text.", "About us ..."),
    ("schema_version", pa.int16(), False, "Schema version.", "3"),
    *WARC_FIELDS,
]

REJECTION_SCHEMA = pa.schema(
    [_field(*spec) for spec in REJECTION_FIELDS],
    metadata={"schema_name": "news-archive.rejection", "schema_version": str(SCHEMA_VERSION)},
)

"""Versioned Parquet schemas of the archive (the contract with downstream teams).

The schemas are in schemas/article.py; the version every file and row carries
is here, so that code which only stamps rows with it (the extraction workers)
does not load pyarrow: ARTICLE_SCHEMA and REJECTION_SCHEMA load on first use.

History:
  v1  the first release.
  v2  `version` (article versions: corrections are new rows), `listed_modified_at`
      and `keywords` (what the feed or sitemap said of the article).
  v3  `warc_filename`, `warc_record_offset`, `warc_record_length` (articles and
      rejections): where the fetched bytes are, in the raw WARC archive.
  v4  `simhash` and `duplicate_of`: near-duplicate wire copy across sources.
  v5  `section`, `tags`, `image_url`, `image_caption`: what the page says of the
      article besides its text.
"""

SCHEMA_VERSION = 5

__all__ = ["ARTICLE_SCHEMA", "REJECTION_SCHEMA", "SCHEMA_VERSION"]


def __getattr__(name: str):
    if name in ("ARTICLE_SCHEMA", "REJECTION_SCHEMA"):
        from schemas import article
        return getattr(article, name)
    raise AttributeError(f"module 'schemas' has no attribute {name!r}")

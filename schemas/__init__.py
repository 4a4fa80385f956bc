"""Versioned Parquet schemas of the archive (the contract with downstream teams)."""

from schemas.article import (
    ARTICLE_SCHEMA,
    REJECTION_SCHEMA,
    SCHEMA_VERSION,
)

__all__ = ["ARTICLE_SCHEMA", "REJECTION_SCHEMA", "SCHEMA_VERSION"]

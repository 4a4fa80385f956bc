"""Stable identifiers: one article, one id, however its URL was spelled."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only say where a reader came from.
TRACKING_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                       "utm_id", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "ref",
                       "smid", "taid", "cid")


def canonical_key(url: str) -> str:
    """The URL as an identity: canonicalised by w3lib (query sorted, fragment and
    percent-encoding normalised), tracking parameters removed, and scheme and
    'www.' dropped, because sites serve the same article over both."""
    cleaned = url_query_cleaner(url, TRACKING_PARAMETERS, remove=True, keep_fragments=False)
    parts = urlsplit(canonicalize_url(cleaned))
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit(("", host, parts.path or "/", parts.query, ""))


def article_id(canonical_url: str) -> str:
    """First 32 hex digits of SHA-256 of `canonical_key(canonical_url)`."""
    return hashlib.sha256(canonical_key(canonical_url).encode("utf-8")).hexdigest()[:32]

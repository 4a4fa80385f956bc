"""Stable identifiers: one article, one id, however its URL was spelled."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only say where a reader came from.
TRACKING_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                       "utm_id", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "ref",
                       "smid", "taid", "cid")


# URLs that w3lib would leave as they are: http(s), a plain host, a path of
# unreserved characters, no query, fragment, percent-escape or userinfo. Most
# article URLs are like this; their key is computed here without w3lib
# (100 us a URL: loading the ledger of a million articles took minutes).
_PLAIN_URL_RE = re.compile(r"(?i)https?://([a-z0-9.-]+)(?::(\d{1,5}))?(/[A-Za-z0-9._~!$&'()*+,=:@/-]*)?")


def canonical_key(url: str) -> str:
    """The URL as an identity: canonicalised by w3lib (query sorted, fragment and
    percent-encoding normalised), tracking parameters removed, and scheme and
    'www.' dropped, because sites serve the same article over both."""
    plain = _PLAIN_URL_RE.fullmatch(url)
    if plain is not None and "/." not in url[8:]:   # dot segments: w3lib's to resolve
        host, port, path = plain.groups()
        host = host.lower()
        host = host[4:] if host.startswith("www.") else host
        if host:
            if port and int(port) not in (0, 80, 443):
                host = f"{host}:{int(port)}"
            return f"//{host}{path or '/'}"
    return _canonical_key_w3lib(url)


def _canonical_key_w3lib(url: str) -> str:
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

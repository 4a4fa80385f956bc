"""Sources as data: one TOML file per source in this directory.

A source names its entry points (feeds, sitemaps, robots.txt, pages), the
domains the crawler may fetch from, the timezone of times printed without one,
politeness and per-source cleanup rules. Adding a wire service means adding a
file here, not code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SOURCES_DIR = Path(__file__).parent


class SourceError(ValueError):
    """A source key or source file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    entry_points: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    timezone: str = "UTC"
    download_delay: float = 1.0
    stop_lines: tuple[str, ...] = field(default_factory=tuple)
    article_patterns: tuple[str, ...] = field(default_factory=tuple)
    max_age_days: int | None = None
    languages: tuple[str, ...] = field(default_factory=tuple)   # empty: any language
    # <meta> names holding the lead image's caption on this source's pages
    # (the wire services write it into og:image:alt); empty: found generically.
    caption_meta: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_entry_points(self, urls: list[str]) -> "Source":
        """The same source crawled from other entry points (a mirror, a staging copy,
        one feed): the allowed domains follow the hosts of those URLs."""
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SourceError(f"START_URLS: {url!r} is not an http(s) URL")
        hosts = tuple(dict.fromkeys(urlsplit(u).hostname for u in urls))
        return replace(self, entry_points=tuple(urls), allowed_domains=hosts)


def available_sources() -> list[str]:
    return sorted(p.stem for p in SOURCES_DIR.glob("*.toml"))


def load_source(key: str) -> Source:
    path = SOURCES_DIR / f"{key}.toml"
    if not key or not key.replace("_", "").replace("-", "").isalnum() or not path.is_file():
        known = ", ".join(available_sources()) or "none"
        raise SourceError(f"SOURCE={key!r}: no such source (known: {known}); "
                          f"add crawler/sources/{key or '<key>'}.toml to configure one")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{path}: invalid TOML: {exc}") from exc
    try:
        source = Source(
            key=key,
            name=data["name"],
            entry_points=tuple(data["entry_points"]),
            allowed_domains=tuple(data["allowed_domains"]),
            timezone=data.get("timezone", "UTC"),
            download_delay=float(data.get("politeness", {}).get("download_delay", 1.0)),
            stop_lines=tuple(data.get("cleanup", {}).get("stop_lines", [])),
            article_patterns=tuple(data.get("discovery", {}).get("article_patterns", [])),
            max_age_days=data.get("discovery", {}).get("max_age_days"),
            languages=tuple(code.lower() for code in data.get("languages", [])),
            caption_meta=tuple(data.get("metadata", {}).get("caption_meta", [])),
        )
    except KeyError as exc:
        raise SourceError(f"{path}: missing required key {exc.args[0]!r}") from exc
    try:
        source.tzinfo
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SourceError(f"{path}: unknown timezone {source.timezone!r}") from exc
    if not source.entry_points:
        raise SourceError(f"{path}: entry_points is empty")
    for pattern in source.article_patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SourceError(f"{path}: article pattern {pattern!r} is not a valid regex: {exc}") from exc
    return source

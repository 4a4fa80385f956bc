"""Dates: parse what pages state into aware UTC datetimes, keeping the time.

Pages state times in many shapes: ISO 8601 with an offset in JSON-LD and meta
tags, "May 14, 2019 12:58 PM" in visible text. dateutil parses them; a time
without a zone is read in the source's timezone (a wire service prints local
time), then everything is converted to UTC. A date without a time becomes
00:00 UTC of that day. A date in the future is never a publication date.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from dateutil import parser as dateutil_parser

# Pages and servers disagree on clocks; more than this ahead of "now" is wrong.
FUTURE_TOLERANCE = timedelta(days=1)
# Nothing before the web is a publication date of a fetched page.
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
           r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,4}|[+-]\d{2}:?\d{2}))?"
# "May 14, 2019 12:58 PM", "14 May 2019, 12:58", "Tuesday, May 14, 2019 at 12:58 p.m. EDT"
VISIBLE_DATE_RE = re.compile(
    rf"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}})"
    rf"(?:(?:\s*,|\s+at|\s*[-|·•])?\s*{_TIME})?", re.I)
_ISO_DATE_ONLY_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")

# US zone abbreviations printed by news sites; dateutil does not guess them.
_TZ_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
    "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
    "BST": 3600, "CET": 3600, "CEST": 7200,
}


def parse_datetime(value: str | None, default_tz: tzinfo = timezone.utc,
                   now: datetime | None = None) -> datetime | None:
    """Parse a stated date/time into aware UTC, or None when it is not a
    plausible publication time (unparseable, before 1990, in the future)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = dateutil_parser.parse(text, tzinfos=_TZ_ABBREVIATIONS)
    except (ValueError, OverflowError):
        return None
    if _ISO_DATE_ONLY_RE.match(text) or not _has_time(text):
        parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=timezone.utc)
    elif parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    parsed = parsed.astimezone(timezone.utc)
    now = now or datetime.now(timezone.utc)
    if parsed < EARLIEST or parsed > now + FUTURE_TOLERANCE:
        return None
    return parsed


def _has_time(text: str) -> bool:
    return bool(re.search(r"\d{1,2}:\d{2}", text))


def find_visible_date(text: str) -> str | None:
    """The first date (with its time, when printed) in a piece of visible text."""
    match = VISIBLE_DATE_RE.search(text)
    return match.group(0) if match else None


def looks_like_date_line(paragraph: str) -> bool:
    """True for a line that is nothing but a printed date/time (a byline date)."""
    if len(paragraph) > 60:
        return False
    match = VISIBLE_DATE_RE.search(paragraph)
    if not match:
        return False
    rest = (paragraph[:match.start()] + paragraph[match.end():]).strip(" |·•-–—,:")
    return rest.casefold() in ("", "updated", "published", "posted", "posted on", "updated on")

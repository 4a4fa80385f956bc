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

# Zone abbreviations news sites print, to their offset from UTC in hours;
# dateutil knows none but the machine's own. Names of several zones (IST:
# India, Ireland, Israel; AST: Atlantic, Arabia) are left out: a time
# followed by one is read as a time without a zone.
_ZONE_OFFSET_HOURS = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0,
    # North America
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "NST": -3.5, "NDT": -2.5,
    # Europe
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    # Africa
    "WAT": 1, "CAT": 2, "SAST": 2, "EAT": 3,
    # Asia and the Pacific
    "PKT": 5, "WIB": 7, "HKT": 8, "SGT": 8, "AWST": 8, "JST": 9, "KST": 9,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}


# "GMT+3" in a page is three hours ahead of UTC; dateutil reads it as a
# POSIX TZ string, three hours behind.
_GMT_OFFSET_RE = re.compile(r"\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b")


def _as_offset(match: re.Match[str]) -> str:
    sign, hours, minutes = match.groups()
    return f"{sign}{int(hours):02d}:{minutes or '00'}"


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's tzinfos for what follows a time: a known abbreviation, a
    numeric offset, else no zone (the source's timezone; dateutil would warn
    on stderr, and read the crawling machine's own zone name as local time)."""
    if name in _ZONE_OFFSET_HOURS:
        return timezone(timedelta(hours=_ZONE_OFFSET_HOURS[name]), name)
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    return None


def parse_datetime(value: str | None, default_tz: tzinfo = timezone.utc,
                   now: datetime | None = None) -> datetime | None:
    """Parse a stated date/time into aware UTC, or None when it is not a
    plausible publication time (unparseable, before 1990, in the future)."""
    if not value or not value.strip():
        return None
    text = _GMT_OFFSET_RE.sub(_as_offset, value.strip())
    try:
        parsed = dateutil_parser.parse(text, tzinfos=_zone,
                                       dayfirst=bool(_DAY_FIRST_RE.match(text)))
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


# "10.12.2022, 07:00:03" and "01-11-2023 10:29" put the day first (dotted and
# dashed numeric dates are European); dateutil reads month first by default.
_DAY_FIRST_RE = re.compile(r"^\s*\d{1,2}[.-]\s?\d{1,2}[.-]\s?\d{4}\b")


def _has_time(text: str) -> bool:
    return bool(re.search(r"\d{1,2}:\d{2}", text))


# Month names of the languages most pages are written in, to their number.
_MONTH_NAMES = {
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5,
    "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11,
    "dezember": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
    # Spanish, Italian, Portuguese, Dutch
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "settembre": 9, "ottobre": 10, "dicembre": 12, "janeiro": 1,
    "fevereiro": 2, "março": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "dezembro": 12, "januari": 1, "februari": 2, "maart": 3, "mei": 5,
    "augustus": 8,
}
_CLOCK = r"(?:\s*(?:,|um|à|a las|alle|om|at|-|\|)?\s*(?P<time>\d{1,2}[:.h]\d{2})(?:\s*(?:uhr|h))?)?"
# "24.01.2022", "24.1.2022, 10:15", "24/01/2022" (day first outside the US).
_NUMERIC_DATE_RE = re.compile(
    rf"(?<![\d.])(?P<day>\d{{1,2}})\.\s?(?P<month>\d{{1,2}})\.\s?(?P<year>(?:19|20)\d{{2}})(?!\d){_CLOCK}",
    re.I)
# "24. Januar 2022", "3 février 2021", "12 de marzo de 2020"
_NAMED_DATE_RE = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})\.?\s+(?:de\s+)?(?P<month>[^\W\d_]{3,10})\.?,?\s+(?:de\s+)?"
    rf"(?P<year>(?:19|20)\d{{2}})(?!\d){_CLOCK}", re.I)
# "2022-01-24" or "2022-01-24 10:15" printed in text.
_ISO_TEXT_DATE_RE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)"
    r"(?:[T ](?P<time>\d{2}:\d{2}))?")


def _iso(year: str, month: int, day: str, time: str | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= int(day) <= 31):
        return None
    text = f"{int(year):04d}-{month:02d}-{int(day):02d}"
    if time:
        hour, minute = re.split(r"[:.h]", time)[:2]
        if int(hour) < 24 and int(minute) < 60:
            text += f" {int(hour):02d}:{int(minute):02d}"
    return text


def find_numeric_or_foreign_date(text: str) -> str | None:
    """'24.01.2022', '24. Januar 2022, 10:15 Uhr', '3 février 2021', '2022-01-24'
    as an ISO string dateutil reads unambiguously (day first, as printed
    outside the US; English month names are VISIBLE_DATE_RE's job)."""
    found: list[tuple[int, str]] = []
    match = _NUMERIC_DATE_RE.search(text)
    if match:
        iso = _iso(match["year"], int(match["month"]), match["day"], match["time"])
        if iso:
            found.append((match.start(), iso))
    for match in _NAMED_DATE_RE.finditer(text):
        month = _MONTH_NAMES.get(match["month"].casefold())
        if month:
            iso = _iso(match["year"], month, match["day"], match["time"])
            if iso:
                found.append((match.start(), iso))
            break
    match = _ISO_TEXT_DATE_RE.search(text)
    if match:
        iso = _iso(match["year"], int(match["month"]), match["day"], match["time"])
        if iso:
            found.append((match.start(), iso))
    return min(found)[1] if found else None


def find_visible_date(text: str) -> str | None:
    """The first date (with its time, when printed) in a piece of visible text."""
    match = VISIBLE_DATE_RE.search(text)
    other = find_numeric_or_foreign_date(text)
    if match and other:
        return match.group(0) if match.start() <= text.find(other[:4]) else other
    return match.group(0) if match else other


def looks_like_date_line(paragraph: str) -> bool:
    """True for a line that is nothing but a printed date/time (a byline date)."""
    if len(paragraph) > 60:
        return False
    match = VISIBLE_DATE_RE.search(paragraph)
    if not match:
        return False
    rest = (paragraph[:match.start()] + paragraph[match.end():]).strip(" |·•-–—,:")
    return rest.casefold() in ("", "updated", "published", "posted", "posted on", "updated on")


def date_at_start(text: str) -> tuple[str, int] | None:
    """The date `text` opens with (as find_visible_date gives it) and where
    it ends, or None when the text does not start with a date."""
    match = VISIBLE_DATE_RE.match(text)
    if match:
        return match.group(0), match.end()
    for regex in (_NUMERIC_DATE_RE, _ISO_TEXT_DATE_RE):
        match = regex.match(text)
        if match:
            iso = _iso(match["year"], int(match["month"]), match["day"], match["time"])
            return (iso, match.end()) if iso else None
    match = _NAMED_DATE_RE.match(text)
    if match and _MONTH_NAMES.get(match["month"].casefold()):
        iso = _iso(match["year"], _MONTH_NAMES[match["month"].casefold()], match["day"],
                   match["time"])
        return (iso, match.end()) if iso else None
    return None

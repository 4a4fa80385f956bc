"""Dates printed in visible text: numeric and non-English forms."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipelines.dates import find_numeric_or_foreign_date, find_visible_date, parse_datetime

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("Veröffentlicht am 24.01.2022, 10:15 Uhr", "2022-01-24 10:15"),
    ("Stand: 10.12.2022, 07:00:03", "2022-12-10 07:00"),
    ("24. Januar 2022", "2022-01-24"),
    ("le 3 février 2021 à 14h30", "2021-02-03 14:30"),
    ("12 de marzo de 2020", "2020-03-12"),
    ("Posted 2022-01-24 10:15", "2022-01-24 10:15"),
    ("Version 1.2.2019 of the manual, 99.99.2020", "2019-02-01"),
])
def test_numeric_and_foreign_dates_become_iso(text, expected):
    assert find_numeric_or_foreign_date(text) == expected


@pytest.mark.parametrize("text", ["Preis: 12.50 Euro", "Tel. 030 12 34 56", "31.13.2020", "5 Mayonnaise 2020"])
def test_things_that_are_not_dates_are_ignored(text):
    assert find_numeric_or_foreign_date(text) is None


@pytest.mark.parametrize("text, expected", [
    ("May 14, 2019 12:58 PM", "May 14, 2019 12:58 PM"),
    ("Aktualisiert 24.01.2022", "2022-01-24"),
])
def test_find_visible_date_reads_english_and_other_forms(text, expected):
    assert find_visible_date(text) == expected


@pytest.mark.parametrize("value", ["2030-01-01", "2026-11-30T10:00:00Z", "1985-05-01"])
def test_future_and_prehistoric_dates_are_never_publication_dates(value):
    assert parse_datetime(value, timezone.utc, NOW) is None


def test_time_without_zone_is_read_in_the_source_timezone():
    from zoneinfo import ZoneInfo
    parsed = parse_datetime("2022-01-24 10:15", ZoneInfo("Europe/Berlin"), NOW)
    assert parsed == datetime(2022, 1, 24, 9, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    # Dotted and dashed numeric dates in meta tags put the day first.
    ("10.12.2022, 07:00:03", datetime(2022, 12, 10, 7, 0, 3, tzinfo=timezone.utc)),
    ("01-11-2023 10:29", datetime(2023, 11, 1, 10, 29, tzinfo=timezone.utc)),
    # ISO stays ISO.
    ("2022-10-12T07:00:03Z", datetime(2022, 10, 12, 7, 0, 3, tzinfo=timezone.utc)),
])
def test_parse_datetime_day_first_numeric(value, expected):
    assert parse_datetime(value, timezone.utc, NOW) == expected


@pytest.mark.parametrize("value, expected", [
    ("May 14, 2019 12:58 EET", datetime(2019, 5, 14, 10, 58, tzinfo=timezone.utc)),
    ("May 14, 2019 12:58 PM EDT", datetime(2019, 5, 14, 16, 58, tzinfo=timezone.utc)),
    ("2019-05-14 22:58 AEST", datetime(2019, 5, 14, 12, 58, tzinfo=timezone.utc)),
    ("2019-05-14 12:58 NST", datetime(2019, 5, 14, 16, 28, tzinfo=timezone.utc)),
    # Three hours ahead of UTC, as people write it (a POSIX TZ string is behind).
    ("May 14, 2019 12:58 GMT+3", datetime(2019, 5, 14, 9, 58, tzinfo=timezone.utc)),
    ("14.05.2019 12:58 UTC-04:00", datetime(2019, 5, 14, 16, 58, tzinfo=timezone.utc)),
])
def test_zone_abbreviations_and_offsets_news_sites_print(value, expected):
    assert parse_datetime(value, timezone.utc, NOW) == expected


@pytest.mark.parametrize("value", ["2019-05-14 12:58 ZZ", "2019-05-14 12:58 IST"])
def test_an_unknown_or_ambiguous_zone_is_the_source_timezone_without_a_warning(value):
    from zoneinfo import ZoneInfo
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # dateutil's UnknownTimezoneWarning went to the crawl's log
        parsed = parse_datetime(value, ZoneInfo("Europe/Berlin"), NOW)
    assert parsed == datetime(2019, 5, 14, 10, 58, tzinfo=timezone.utc)

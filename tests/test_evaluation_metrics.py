"""The harness's comparisons, on plain values."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from evaluation.datasets import html_to_text, parse_gold_date
from evaluation.metrics import (caption_exact, credit_matches, date_day_correct,
                                date_day_correct_utc, tags_exact, title_exact, title_exact_strict)


@pytest.mark.parametrize("pred, gold, expected", [
    ("Taylor Swift’s ‘Best Work’", "Taylor Swift's 'Best Work'", True),
    ("Minions – mit Farbe", "Minions - mit Farbe", True),
    ("Alles neu…", "Alles neu...", True),
    ("A  headline ", "A headline", True),
    ("A headline", "Another headline", False),
])
def test_title_exact_ignores_typography(pred, gold, expected):
    assert title_exact(pred, gold) is expected


def test_title_exact_strict_keeps_the_first_rounds_comparison():
    assert not title_exact_strict("Swift’s", "Swift's")


@pytest.mark.parametrize("pred, gold, expected", [
    # A date-only prediction is the stated local day.
    (datetime(2018, 6, 19, tzinfo=timezone.utc), "2018-06-19T05:50:00+09:00", True),
    (datetime(2018, 6, 18, tzinfo=timezone.utc), "2018-06-19T05:50:00+09:00", False),
    # A prediction with a time: the UTC day of the gold instant.
    (datetime(2018, 6, 18, 20, 50, tzinfo=timezone.utc), "2018-06-19T05:50:00+09:00", True),
    (datetime(2018, 6, 19, 10, 0, tzinfo=timezone.utc), "2018-06-19T05:50:00+09:00", False),
    ("2018-06-19", "2018-06-19T05:50:00+09:00", True),
    (None, "2018-06-19", False),
])
def test_date_day_correct(pred, gold, expected):
    assert date_day_correct(pred, parse_gold_date(gold)) is expected


def test_date_day_correct_utc_keeps_the_first_rounds_comparison():
    gold = parse_gold_date("2018-06-19T05:50:00+09:00")
    assert not date_day_correct_utc(datetime(2018, 6, 19, tzinfo=timezone.utc), gold)


def test_gold_date_written_year_day_month_is_read_as_such():
    from evaluation.datasets import parse_gold_date
    assert parse_gold_date("2022-29-11").day == "2022-11-29"
    assert parse_gold_date("2022-11-12").day == "2022-11-12"


def test_expected_html_is_read_as_utf8_one_block_a_line():
    # Readability's expected.html files declare no charset; read as Latin-1
    # their non-ASCII words were garbled and no system could match them.
    page = "<div><p>图为马素湘在悉尼。</p><p>Don’t — café</p></div>".encode("utf-8")
    assert [line for line in html_to_text(page).split("\n") if line] == [
        "图为马素湘在悉尼。", "Don’t — café"]


def test_tags_compare_as_sets_letter_case_aside():
    assert tags_exact(["Mexico City", "latin  America"], ["Latin America", "mexico city"])
    assert not tags_exact(["Mexico"], ["Mexico", "Latin America"])
    assert tags_exact([], [])


def test_an_empty_gold_caption_asks_for_none():
    assert caption_exact(None, "")
    assert not caption_exact("Photo of the day", "")
    assert caption_exact("Harry’s return", "Harry's return")


def test_a_credit_holds_every_credited_name_and_little_else():
    assert credit_matches("Photograph: Eva Manez/Reuters", ["Eva Manez/Reuters"])
    assert credit_matches("Scott Gilbertson; Getty Images", ["Scott Gilbertson", "Getty Images"])
    assert not credit_matches("Scott Gilbertson", ["Scott Gilbertson", "Getty Images"])
    assert not credit_matches("The gutted remains of the two buildings, which had about 140 "
                              "apartments. Photograph: Eva Manez/Reuters", ["Eva Manez/Reuters"])
    assert credit_matches(None, []) and not credit_matches("AP", [])

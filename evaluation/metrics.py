"""Scores: pure functions of (prediction, gold).

Body, trafilatura's set: its own protocol. Each `with` snippet found in the
output is a true positive, else a false negative; each `without` snippet found
is a false positive, else a true negative; counts are summed over the set
(micro average). Matching is substring after Unicode NFC and whitespace folding.

Body, other sets: bag-of-words and 4-gram-shingle precision/recall/F1 of the
output against the expected text, per page, then averaged over pages (macro).
Words are runs of letters/digits, case-folded; CJK and Thai are scored per
character because they are written without spaces. An empty output scores 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta, timezone

from evaluation.datasets import GoldDate

SHINGLE = 4

_TOKEN_RE = re.compile(
    r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|\w+")
# A day stated without zone is some local day: the UTC instant of a stated
# time lies within UTC-12 .. UTC+14 of it.
_WEST, _EAST = timedelta(hours=12), timedelta(hours=14)


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def snippet_counts(output: str | None, with_: list[str], without: list[str]) -> dict[str, int]:
    text = fold(output or "")
    tp = sum(1 for s in with_ if fold(s) in text)
    fp = sum(1 for s in without if fold(s) in text)
    return {"tp": tp, "fn": len(with_) - tp, "fp": fp, "tn": len(without) - fp}


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def tokens(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text or "").casefold())


def overlap_prf(pred: list, gold: list) -> tuple[float, float, float]:
    if not pred or not gold:
        return (0.0, 0.0, 0.0) if gold else (1.0, 1.0, 1.0) if not pred else (0.0, 0.0, 0.0)
    common = sum((Counter(pred) & Counter(gold)).values())
    return prf(common, len(pred) - common, len(gold) - common)


def shingles(toks: list[str], n: int = SHINGLE) -> list[tuple[str, ...]]:
    if len(toks) < n:
        return [tuple(toks)] if toks else []
    return [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def text_scores(output: str | None, gold: str) -> dict[str, float]:
    pt, gt = tokens(output), tokens(gold)
    wp, wr, wf = overlap_prf(pt, gt)
    sp, sr, sf = overlap_prf(shingles(pt), shingles(gt))
    return {"word_p": wp, "word_r": wr, "word_f1": wf, "shingle_p": sp, "shingle_r": sr,
            "shingle_f1": sf}


# Typographic and ASCII forms of the same quote, dash or ellipsis: a headline
# typed "Taylor Swift's" in one place is printed "Taylor Swift’s" in another,
# and the gold sets disagree on which they keep.
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"',
                             "”": '"', "„": '"', "‟": '"', "″": '"', "–": "-", "—": "-",
                             "‒": "-", "‐": "-", "…": "..."})


def normalize_title(title: str | None) -> str:
    """Whitespace folded, typographic quotes/dashes as ASCII."""
    return fold(title or "").translate(_TYPOGRAPHY)


def title_exact(pred: str | None, gold: str) -> bool:
    return normalize_title(pred) == normalize_title(gold)


def title_exact_strict(pred: str | None, gold: str) -> bool:
    """The first round's comparison: whitespace folding only."""
    return fold(pred or "") == fold(gold)


def _author_key(name: str) -> str:
    return fold(name).casefold().strip(" .,")


def authors_exact(pred: list[str], gold: list[str]) -> bool:
    return {_author_key(a) for a in pred if a.strip()} == {_author_key(a) for a in gold if a.strip()}


def date_day_correct(pred: datetime | str | None, gold: GoldDate) -> bool:
    """Correct to the day. Gold with a zone: same UTC day. Gold as a bare day
    (a local day): a prediction with a time must fall in that day in some zone
    UTC-12..UTC+14; a bare-day prediction (a string, or 00:00:00 UTC, which
    is how our extractor stores a date without time) must be that day."""
    if pred is None:
        return False
    if isinstance(pred, str):
        return pred[:10] == gold.day
    pred = pred.astimezone(timezone.utc)
    date_only = (pred.hour, pred.minute, pred.second, pred.microsecond) == (0, 0, 0, 0)
    if date_only:
        # A date printed without time is the publisher's local day, the day
        # the gold states ("2018-06-19T05:50+09:00" is 2018-06-18 in UTC).
        return pred.date().isoformat() == gold.day
    if gold.instant is not None:
        return pred.date() == gold.instant.date()
    start = datetime.fromisoformat(gold.day).replace(tzinfo=timezone.utc)
    return start - _EAST <= pred < start + timedelta(days=1) + _WEST


def date_day_correct_utc(pred: datetime | str | None, gold: GoldDate) -> bool:
    """The first round's comparison: against a gold with a zone, the UTC day,
    even for a prediction that states no time."""
    if isinstance(pred, datetime) and gold.instant is not None:
        return pred.astimezone(timezone.utc).date() == gold.instant.date()
    return date_day_correct(pred, gold)


def date_minute_correct(pred: datetime | str | None, gold: GoldDate) -> bool:
    """Correct to the minute (only asked where the gold states time and zone)."""
    if gold.instant is None or not isinstance(pred, datetime):
        return False
    def minute(value: datetime) -> datetime:
        return value.astimezone(timezone.utc).replace(second=0, microsecond=0)
    return minute(pred) == minute(gold.instant)


def tags_exact(pred: list[str], gold: list[str]) -> bool:
    """The same set of tags, letter case and spacing aside."""
    def keys(tags: list[str]) -> set[str]:
        return {fold(tag).casefold() for tag in tags if tag.strip()}
    return keys(pred) == keys(gold)


def caption_exact(pred: str | None, gold: str) -> bool:
    """The same caption as the gold's ("" in the gold: the image has none)."""
    return normalize_title(pred) == normalize_title(gold)


# A credit line carries its label and separators ("Photograph: Eva Manez/Reuters",
# "Scott Gilbertson; Getty Images"); so many characters beyond the gold's names
# are allowed.
CREDIT_SLACK = 25


def credit_matches(pred: str | None, gold: list[str]) -> bool:
    """Every credited name of the gold in the predicted credit, and little
    else; no gold names: no credit predicted."""
    if not gold:
        return pred is None
    if pred is None:
        return False
    text = fold(pred).casefold()
    names = [fold(name).casefold() for name in gold]
    return all(name in text for name in names) and len(text) <= len(" ".join(names)) + CREDIT_SLACK

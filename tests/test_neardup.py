"""Near-duplicate wire copy: variants of one story are marked, distinct stories
about the same event are not, across sources and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.digests import BLOCK_ROWS
from pipelines.ids import article_id
from pipelines.neardup import MAX_DISTANCE, NearDuplicateIndex
from pipelines.simhash import body_fingerprint, distance
from tests.archive_readers import read_dataset
from tests.conftest import clean_env, run_crawl
from tests.fixture_site import FixtureSite

TEXTS = Path(__file__).parent / "fixtures" / "neardup"
ORIGINAL = (TEXTS / "wire-original.txt").read_text()
PARAGRAPHS = ORIGINAL.strip().split("\n\n")


def variants() -> dict[str, str]:
    return {
        "affiliate copy: one paragraph rewritten, a footer added": (TEXTS / "wire-affiliate-copy.txt").read_text(),
        "one paragraph added": "\n\n".join(PARAGRAPHS[:3] + [
            "A new paragraph from the affiliate newsroom about local road closures and bus routes."]
            + PARAGRAPHS[3:]),
        "last paragraph cut": "\n\n".join(PARAGRAPHS[:-1]),
        "typos fixed and a word changed": ORIGINAL.replace("forty years", "40 years").replace(
            "gymnasium", "gym"),
    }


@pytest.mark.parametrize("name", sorted(variants()))
def test_variants_of_one_story_are_near(name):
    assert distance(body_fingerprint(ORIGINAL), body_fingerprint(variants()[name])) <= MAX_DISTANCE


def test_distinct_story_about_the_same_event_is_not_near():
    other = (TEXTS / "same-event-other-story.txt").read_text()
    assert distance(body_fingerprint(ORIGINAL), body_fingerprint(other)) > MAX_DISTANCE


def test_fingerprint_is_128_bits_of_hex():
    assert len(body_fingerprint(ORIGINAL)) == 32 and int(body_fingerprint(ORIGINAL), 16)


def test_index_points_every_copy_to_the_first():
    index = NearDuplicateIndex()
    original, copy1, copy2 = (body_fingerprint(t) for t in (
        ORIGINAL, variants()["one paragraph added"], variants()["last paragraph cut"]))
    a, b, c = (article_id(f"https://affiliate{n}.example/story") for n in range(3))
    assert index.first_copy(a, original) is None
    index.add(a, original)
    assert index.first_copy(b, copy1) == a
    index.add(b, copy1, a)
    assert index.first_copy(c, copy2) == a
    # An article is never a duplicate of itself (a later version of it).
    assert index.first_copy(a, original) is None


def html_page(title: str, text: str, boilerplate: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.strip().split("\n\n"))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="article:published_time" content="2019-06-04T15:00:00Z"></head><body>'
            f"<header>{boilerplate}</header><article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer><p>{boilerplate}</p></footer></body></html>")


def write_site(root: Path, pages: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    items = ""
    for name, html in pages.items():
        (root / name).write_text(html)
        items += f"<item><title>{name}</title><link>{{base}}/{name}</link></item>"
    (root / "feed.rss").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                                   f"{items}</channel></rss>")
    return root


def test_affiliate_copy_on_another_source_in_a_later_run_is_marked(tmp_path):
    archive = str(tmp_path / "archive")
    wire = write_site(tmp_path / "wire", {
        "flood.html": html_page("Flooding forces hundreds from homes", ORIGINAL, "Wire Service"),
        "shelter.html": html_page("A night in the shelter", (TEXTS / "same-event-other-story.txt").read_text(),
                                  "Wire Service")})
    affiliate = write_site(tmp_path / "affiliate", {
        "valley-flood.html": html_page("Valley flooding: families leave homes",
                                       variants()["affiliate copy: one paragraph rewritten, a footer added"],
                                       "Valley Radio 101.5 - Listen live")})
    with FixtureSite(wire) as site:
        first = run_crawl("abc", env=clean_env(ARCHIVE_URI=archive, START_URLS=site.url("feed.rss")))
        assert first.returncode == 0, first.stderr[-2000:]
    with FixtureSite(affiliate) as site:
        second = run_crawl("upi", env=clean_env(ARCHIVE_URI=archive, START_URLS=site.url("feed.rss")))
        assert second.returncode == 0, second.stderr[-2000:]
    rows = {r["title"]: r for r in read_dataset(archive, "articles", {}).to_pylist()}
    original = rows["Flooding forces hundreds from homes"]
    assert original["duplicate_of"] is None
    assert rows["A night in the shelter"]["duplicate_of"] is None
    copy = rows["Valley flooding: families leave homes"]
    assert (copy["source"], copy["duplicate_of"]) == ("upi", original["article_id"])


def test_fingerprint_values_stay_those_of_earlier_runs():
    """The cross-run index compares fingerprints written by earlier versions:
    the counting may change, the values may not (these were computed with the
    16-bit-lane version)."""
    assert body_fingerprint("The quick brown fox jumps over the lazy dog near the river bank "
                            "today.") == "050b902c4a14404c12c1d00ca0f1a007"
    assert body_fingerprint("two words") == "5dcc170cafbb63bdf60a44dcf8d9740a"


def test_fingerprint_of_a_very_long_repetitive_body_is_its_shingle_hash():
    """More than 65,535 equal shingles overflowed the old 16-bit counters."""
    assert body_fingerprint("x " * 70000) == body_fingerprint("x x x")


def test_index_finds_the_first_entry_within_the_distance_as_a_plain_scan_would():
    import random
    rng = random.Random(7)
    # More entries than a block holds (pipelines/digests.py: BLOCK_ROWS): the
    # scan goes on from block to block, in order of first sight.
    entries = [(f"{n:032x}", f"{rng.getrandbits(128):032x}") for n in range(BLOCK_ROWS * 2 + 100)]
    # Copies of the fourth entry in the second and the third block.
    for n in (BLOCK_ROWS + 7, BLOCK_ROWS * 2 + 50):
        entries[n] = (entries[n][0], f"{int(entries[3][1], 16) ^ (1 << n % 128):032x}")
    index = NearDuplicateIndex()
    for aid, fingerprint in entries:
        index.add(aid, fingerprint)
    # Queries near some entries (a few bits flipped), and far from all.
    queries = []
    for aid, fingerprint in rng.sample(entries, 40):
        value = int(fingerprint, 16)
        for bit in rng.sample(range(128), rng.choice([3, MAX_DISTANCE, MAX_DISTANCE + 1, 40])):
            value ^= 1 << bit
        queries.append(("f" * 32, f"{value:032x}"))
    queries.append(entries[5])      # an entry itself: not its own copy
    queries.append(entries[BLOCK_ROWS * 2 + 50])     # a copy: of the first one, blocks before
    known = [(other, int(fingerprint, 16)) for other, fingerprint in entries]
    for aid, fingerprint in queries:
        value = int(fingerprint, 16)
        plain = next((other for other, bits in known
                      if (value ^ bits).bit_count() <= MAX_DISTANCE and other != aid), None)
        assert index.first_copy(aid, fingerprint) == plain
    assert len(index) == BLOCK_ROWS * 2 + 100

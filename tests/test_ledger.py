"""What the ledger tells the spider to fetch again."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.ids import article_id
from pipelines.ledger import CrawlState, Ledger
from pipelines.storage import open_archive
from schemas import ARTICLE_SCHEMA
from tests.test_schema import content_sha256, row

A, B = article_id("https://news.example/a"), article_id("https://news.example/b")
TEXT = hashlib.sha256(b"the article's text").hexdigest()
FETCHED = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
BEFORE = datetime(2026, 10, 30, tzinfo=timezone.utc)
AFTER = datetime(2026, 11, 2, tzinfo=timezone.utc)


def ledger() -> Ledger:
    result = Ledger()
    result.remember({"article_id": A, "content_sha256": TEXT, "version": 1,
                     "url": "https://news.example/a?utm_source=rss", "canonical_url": None,
                     "listed_modified_at": None, "fetched_at": FETCHED})
    # Fetched at an AMP URL, canonical elsewhere: found under both.
    result.remember({"article_id": B, "content_sha256": TEXT, "version": 1,
                     "url": "https://news.example/amp/b", "canonical_url": "https://news.example/b",
                     "listed_modified_at": None, "fetched_at": FETCHED})
    result.rejected_urls[article_id("https://news.example/gone")] = FETCHED
    return result


@pytest.mark.parametrize("url, listed, unchanged_at, expected", [
    ("https://www.news.example/a", None, None, False),     # archived, nothing listed
    ("http://news.example/a", BEFORE, None, False),        # changed before we fetched it
    ("https://news.example/a", AFTER, None, True),         # changed since: a possible correction
    ("https://news.example/a", AFTER, AFTER, False),       # refetched at that lastmod, unchanged
    ("https://news.example/amp/b", None, None, False),     # archived, fetched at this URL
    ("https://news.example/b", BEFORE, None, False),       # ... canonical at this one
    ("https://news.example/gone", None, None, False),      # rejected for good
    ("https://news.example/gone", AFTER, None, True),      # listed as changed since the 404
    ("https://news.example/new", None, None, True),        # never seen
])
def test_needs_fetch(url, listed, unchanged_at, expected):
    assert ledger().needs_fetch(url, listed, unchanged_at) is expected


def test_an_article_found_by_another_url_answers_with_its_latest_version():
    corrected = ledger()
    corrected.remember({"article_id": B, "content_sha256": hashlib.sha256(b"corrected").hexdigest(),
                        "version": 2, "url": "https://news.example/b", "canonical_url": None,
                        "listed_modified_at": None, "fetched_at": AFTER})
    changed_in_between = datetime(2026, 11, 1, 18, 0, tzinfo=timezone.utc)   # FETCHED < it < AFTER
    assert corrected.article_for_url("https://news.example/amp/b") == B
    assert not corrected.needs_fetch("https://news.example/amp/b", changed_in_between)
    assert ledger().needs_fetch("https://news.example/amp/b", changed_in_between)


def test_only_a_ledger_loaded_for_an_extractor_answers_holds(tmp_path):
    """A crawl's ledger does not keep (article, text, extractor) of each row it
    writes (memory per article); asking it is a programming error, named."""
    with pytest.raises(RuntimeError, match="extractor_version"):
        ledger().holds(A, TEXT, "1.0")
    reprocessing = Ledger.load(open_archive(str(tmp_path), environ={}), "abc", extractor_version="1.0")
    reprocessing.remember({"article_id": A, "content_sha256": TEXT, "version": 1, "url": None,
                           "canonical_url": None, "extractor_version": "1.0"})
    assert reprocessing.holds(A, TEXT, "1.0")
    assert not reprocessing.holds(A, TEXT, "1.1")


def test_a_ledger_loaded_for_an_extractor_holds_the_texts_it_archived(tmp_path):
    """Re-processing skips a page whose text that extractor already archived
    (the archive's rows and the run's own), and only that."""
    directory = tmp_path / "articles" / "source=abc" / "date=2019-05-14"
    directory.mkdir(parents=True)
    rows = [{**row(A, 1), "extractor_version": "1.0"}, {**row(A, 2), "extractor_version": "1.0"},
            {**row(B, 1), "extractor_version": "0.9"}]
    pq.write_table(pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA), directory / "r.parquet")
    archive = open_archive(str(tmp_path), environ={})
    reprocessing = Ledger.load(archive, "abc", extractor_version="1.0")
    assert reprocessing.holds(A, content_sha256(A, 1), "1.0")      # an earlier version's text too
    assert reprocessing.holds(A, content_sha256(A, 2), "1.0")
    assert not reprocessing.holds(A, content_sha256(A, 3), "1.0")
    assert not reprocessing.holds(B, content_sha256(B, 1), "1.0")  # archived by another extractor
    assert not reprocessing.holds(A, content_sha256(A, 1), "0.9")
    assert reprocessing.latest(A).version == 2 and reprocessing.latest(B) is None
    assert not Ledger.load(archive, "abc", extractor_version="0.9").holds(A, content_sha256(A, 1), "0.9")


@pytest.mark.parametrize("stored, problem", [
    (b"{not json", "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"[1, 2]", "a JSON list, not an object"),
])
def test_a_crawl_state_that_cannot_be_read_is_ignored_with_a_warning(tmp_path, caplog, stored, problem):
    archive = open_archive(str(tmp_path))
    archive.publish("_state/abc/state.json", stored)
    state = CrawlState(archive, "abc")
    # Nothing remembered: every listing is fetched unconditionally.
    assert (state.request_headers("https://abcnews.example/feed.rss"), state.children_of("https://abcnews.example/")) == ({}, [])
    assert [r.getMessage() for r in caplog.records] == [
        f"ARCHIVE_URI {tmp_path}: _state/abc/state.json is {problem}; ignored: this run fetches "
        "every feed and sitemap in full, and a clean run writes it anew"]
    state.update_validators("https://abcnews.example/feed.rss", '"v2"', None)
    state.save()
    assert CrawlState(archive, "abc").request_headers("https://abcnews.example/feed.rss") == {"If-None-Match": '"v2"'}

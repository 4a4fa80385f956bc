"""Per-article state held as numbers: the same answers as a dict or a set."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.dupefilter import CompactDupeFilter
from pipelines import digests
from pipelines.digests import (AppendedColumns, DigestIndex, RunDatabaseError, digest_key, digest_words,
                               put_number, words_hex)


def test_digest_index_answers_as_a_dict_for_added_keys_and_overwrites():
    rng = random.Random(3)
    keys = [(7 << 64) | rng.getrandbits(64) for _ in range(6)]
    keys += [rng.getrandbits(128) for _ in range(19_999)]
    index, expected = DigestIndex(), {}
    for row, key in enumerate(keys):
        index[key] = row
        expected[key] = row
    for key in rng.sample(keys, 3_000):          # a later version of an article: a new row
        index[key] = expected[key] = rng.randrange(10**9)
    assert len(index) == len(expected) == 20_005
    assert all(index.get(key) == row for key, row in expected.items())
    assert index.get(rng.getrandbits(128)) is None
    assert (keys[0] >> 64 << 64) | 1 not in index


def test_digest_index_keys_loaded_and_added_are_one_index():
    loaded = [(high << 64) | low for high in (0, 5) for low in range(1, 200, 2)]
    index = DigestIndex.from_words(as_words(loaded), np.arange(len(loaded)))
    other = DigestIndex()                         # another index's keys are its own
    assert other.add(loaded[0]) and other.add(1 << 127) and len(other) == 2
    assert not index.add(loaded[3])               # loaded: already there
    assert index.add(2) and not index.add(2)      # added (a run's): on disk, once
    index[loaded[4]] = 1_000                      # a loaded key's row changes in place
    index[2] = 2_000                              # an added key's row changes on disk
    index[1 << 127] = 3_000
    assert (len(index), index.get(loaded[4]), index.get(2), index.get(1 << 127), index.get(loaded[5])) == (
        len(loaded) + 2, 1_000, 2_000, 3_000, 5)
    assert 4 not in index and (5 << 64) not in index and other.get(2) is None
    with pytest.raises(ValueError, match="128-bit"):
        index[1 << 128] = 1


def test_digest_indexes_added_to_from_two_threads_keep_every_key():
    # The run database is one per process; a pipeline's thread and the
    # reactor's may both add keys.
    indexes = [DigestIndex(), DigestIndex()]

    def fill(index: DigestIndex, start: int) -> None:
        for key in range(start, start + 3_000):
            index[key] = key * 2

    threads = [threading.Thread(target=fill, args=(index, n * 10_000)) for n, index in enumerate(indexes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [len(index) for index in indexes] == [3_000, 3_000]
    assert all(indexes[1].get(key) == key * 2 for key in range(10_000, 13_000))
    assert indexes[0].get(10_000) is None and indexes[1].get(0) is None


def test_a_full_run_database_names_its_directory_and_keeps_what_it_held(tmp_path, monkeypatch):
    monkeypatch.setenv("SQLITE_TMPDIR", str(tmp_path))
    monkeypatch.setattr(digests, "_run_db", None)            # a new run's database, in tmp_path
    monkeypatch.setattr(digests, "_run_db_directory", None)
    index = DigestIndex()
    index[1] = 10
    database = digests._run_database()
    # The disk fills: the database may not grow past the pages it has.
    database.execute(f"PRAGMA max_page_count = {database.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(RunDatabaseError) as failed:
        for key in range(2, 100_000):
            index[key] = key * 10
    assert str(failed.value) == (
        f"run database in {tmp_path}: database or disk is full (SQLITE_FULL); free space there, "
        "or set SQLITE_TMPDIR to another directory. This run's new articles from here on are not "
        "archived; their pages are fetched again by the next run")
    # The statement the full disk stopped was undone; every key added before it is there.
    added = len(index)
    assert 1 < added < 100_000
    assert [index.get(key) for key in range(1, added + 2)] == [key * 10 for key in range(1, added + 1)] + [None]
    assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def as_words(keys: list[int]) -> np.ndarray:
    return np.array([[key >> 64, key & (2**64 - 1)] for key in keys], dtype=np.uint64)


def test_digest_index_finds_keys_that_share_their_high_word():
    # Keys such as small numbers (article ids are hashes; a test's are often
    # not): thousands share a high word in the sorted arrays.
    keys = [(high << 64) | low for high in (0, 5) for low in range(1, 12_000, 2)]
    index = DigestIndex.from_words(as_words(keys), np.arange(len(keys)))
    assert all(index.get(key) == row for row, key in enumerate(keys))
    for absent in (0, 2, 12_000, 12_001, 3 << 64 | 1, 5 << 64, 5 << 64 | 11_999 + 2, 6 << 64 | 1):
        assert absent not in index


def test_digest_index_built_from_words_keeps_the_last_row_of_a_repeated_key():
    words = digest_words(["0" * 31 + "1", "f" * 32, "0" * 31 + "1"])
    index = DigestIndex.from_words(words, np.array([7, 8, 9]))
    assert (len(index), index.get(1), index.get((1 << 128) - 1)) == (2, 9, 8)
    assert index.add(2) and not index.add(2) and not index.add(1)


def test_appended_rows_go_into_blocks_and_the_loaded_columns_are_not_copied():
    loaded = {"n": np.array([10, 11, 12]), "words": np.array([[1, 2], [3, 4], [5, 6]], dtype=np.uint64)}
    columns = AppendedColumns(loaded, block_rows=4)
    for n in range(13, 23):
        block, index = columns.append()
        block["n"][index] = n
        block["words"][index] = [n, n + 1]
    assert len(columns) == 13
    # The loaded arrays are still the ones given (a million archived rows are
    # not copied for a run's first new one).
    assert columns.locate(0)[0]["n"] is loaded["n"]
    assert [int(block["n"][index]) for block, index in map(columns.locate, range(13))] == list(range(10, 23))
    assert [(start, values.tolist()) for start, values in columns.scan("n")] == [
        (0, [10, 11, 12]), (3, [13, 14, 15, 16]), (7, [17, 18, 19, 20]), (11, [21, 22])]
    block, index = columns.locate(12)
    assert block["words"][index].tolist() == [22, 23]
    with pytest.raises(IndexError):
        columns.locate(13)


def test_appended_columns_may_start_empty():
    columns = AppendedColumns({"n": np.empty(0, dtype=np.int64)}, block_rows=2)
    assert list(columns.scan("n")) == []
    for n in range(3):
        block, index = columns.append()
        block["n"][index] = n
    assert [(start, values.tolist()) for start, values in columns.scan("n")] == [(0, [0, 1]), (2, [2])]


def test_digests_round_trip_and_bad_ones_are_named():
    digest = "0123456789abcdef" * 4
    column = np.zeros((2, 4), dtype=np.uint64)
    put_number(column, 1, digest_key(digest.upper(), 64, "content_sha256"))
    assert words_hex(column[1]) == digest
    assert words_hex(digest_words([digest], 64)[0]) == digest
    assert digest_key("f" * 32) == (1 << 128) - 1
    with pytest.raises(ValueError, match=r"article_id 'a' is not 32 hex digits"):
        digest_key("a", what="article_id")
    with pytest.raises(ValueError, match=r"simhash 'xyz' is not 32 hex digits"):
        digest_words(["f" * 32, "xyz"], what="simhash")


def test_the_crawl_filters_duplicate_requests_as_scrapy_does_and_resumes_a_job(tmp_path):
    assert project_settings.DUPEFILTER_CLASS == "crawler.dupefilter.CompactDupeFilter"
    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    seen = CompactDupeFilter.from_crawler(crawler)
    article = "https://abcnewsradio.example/story?id=1&b=2"
    assert not seen.request_seen(Request(article))
    assert seen.request_seen(Request("https://abcnewsradio.example/story?b=2&id=1"))
    assert not seen.request_seen(Request(article, method="POST"))
    seen.close("finished")
    resumed = CompactDupeFilter.from_crawler(get_crawler(settings_dict={"JOBDIR": str(tmp_path)}))
    assert resumed.request_seen(Request(article))
    assert not resumed.request_seen(Request("https://abcnewsradio.example/other"))

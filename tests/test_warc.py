"""The raw archive: WARC files that validate, hold every fetched response, and
that every article and rejection row points into, byte for byte."""

from __future__ import annotations

import gzip
import io
import os
import re
from collections import Counter
from datetime import datetime, timezone

import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import ReplayIndex, WarcRecorderMiddleware, WarcReplayMiddleware
from crawler.spiders.news import NewsSpider
from pipelines.reprocess import Stats
from pipelines.storage import open_archive
from pipelines.warc import (
    DamagedWarc,
    HttpExchange,
    WarcFileWriter,
    WarcPointer,
    WarcSource,
    iter_responses,
    read_pointer,
)
from pipelines.writer import ParquetArchiveWriter
from tests.archive_readers import filesystem_and_root, list_files, read_dataset
from tests.conftest import REPLAY_WARC, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite

UTC = timezone.utc
WHEN = datetime(2026, 11, 28, 6, 20, 0, 123456, tzinfo=UTC)


def exchange(path: str = "/a.html", body: bytes = b"<html><p>text</p></html>",
             status: int = 200, when: datetime = WHEN, headers=None) -> HttpExchange:
    return HttpExchange(url=f"http://news.test{path}", status=status,
                        response_headers=headers or [("Content-Type", "text/html; charset=utf-8")],
                        body=body, fetched_at=when,
                        request_headers=[("User-Agent", "news-archive/0.1")])


def check_digests(data: bytes) -> list[tuple[str, bool | None]]:
    """(record type, digest check) of every record, as `warcio check` does."""
    results = []
    iterator = ArchiveIterator(io.BytesIO(data), check_digests=True)
    for record in iterator:
        record.content_stream().read()
        results.append((record.rec_type, record.digest_checker.passed))
    return results


def read_raw(archive_uri: str, relpath: str, env: dict) -> bytes:
    filesystem, root = filesystem_and_root(archive_uri, env)
    with filesystem.open_input_stream(f"{root}/{relpath}", compression=None) as stream:
        return stream.read()


# --- the writer ---------------------------------------------------------------

def test_records_validate_and_pointers_read_back(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    writer = WarcFileWriter(archive, "abc", "RUN", warcinfo={"software": "test"})
    pointers = [writer.write(exchange("/a.html", b"<html>A</html>"), {"fetch-purpose": "article"}),
                writer.write(exchange("/gone.html", b"Not Found", status=404))]
    assert list_files(str(tmp_path), "raw", {}) == []   # nothing visible before it is complete
    writer.close()
    assert writer.files_written == ["raw/source=abc/date=2026-11-28/RUN-00001.warc.gz"]
    data = (tmp_path / writer.files_written[0]).read_bytes()
    assert check_digests(data) == [("warcinfo", True), ("response", True), ("request", True),
                                   ("metadata", True), ("response", True), ("request", True)]
    # Each pointer is one gzip member holding exactly its response record.
    first = read_pointer(archive, pointers[0])
    assert (first.url, first.status, first.body, first.fetched_at) == (
        "http://news.test/a.html", 200, b"<html>A</html>", WHEN)
    assert read_pointer(archive, pointers[1]).status == 404
    member = data[pointers[0].offset:pointers[0].offset + pointers[0].length]
    record = gzip.decompress(member)
    assert record.startswith(b"WARC/1.1\r\n") and b"\r\nWARC-Type: response\r\n" in record
    assert record.endswith(b"\r\n\r\n<html>A</html>\r\n\r\n")


def test_files_rotate_by_size_and_by_fetch_date(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    writer = WarcFileWriter(archive, "abc", "RUN", max_file_bytes=1500)
    for n in range(4):
        writer.write(exchange(f"/{n}.html", os.urandom(1000)))   # incompressible
    writer.write(exchange("/next-day.html", when=datetime(2026, 11, 29, 0, 1, tzinfo=UTC)))
    writer.close()
    assert [f.rsplit("/", 2)[-2:] for f in writer.files_written] == [
        ["date=2026-11-28", "RUN-00001.warc.gz"], ["date=2026-11-28", "RUN-00002.warc.gz"],
        ["date=2026-11-28", "RUN-00003.warc.gz"], ["date=2026-11-28", "RUN-00004.warc.gz"],
        ["date=2026-11-29", "RUN-00005.warc.gz"]]
    for relpath in writer.files_written:   # every file opens with its warcinfo record
        assert check_digests((tmp_path / relpath).read_bytes())[0][0] == "warcinfo"


@pytest.mark.parametrize("encoding, headers", [
    ("gzip", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
    ("identity", [("Content-Type", "text/html")]),
])
def test_bodies_are_stored_as_transferred_and_read_decoded(tmp_path, encoding, headers):
    archive = open_archive(str(tmp_path), environ={})
    writer = WarcFileWriter(archive, "abc", "RUN")
    page = b"<html><p>caf\xc3\xa9</p></html>"
    stored = gzip.compress(page) if encoding == "gzip" else page
    pointer = writer.write(exchange(body=stored, headers=headers))
    writer.close()
    recorded = read_pointer(archive, pointer)
    assert (recorded.payload, recorded.body) == (stored, page)


def test_parquet_rows_are_published_after_the_warc_files_they_point_into(tmp_path):
    archive = open_archive(str(tmp_path), environ={})
    warc = WarcFileWriter(archive, "abc", "RUN")
    pointer = warc.write(exchange())
    pointed = []
    parquet_archive = open_archive(str(tmp_path), environ={})
    publish_file = parquet_archive.publish_file

    def checked_publish_file(relpath, local_path):
        pointed.append((tmp_path / pointer.filename).exists())
        return publish_file(relpath, local_path)

    parquet_archive.publish_file = checked_publish_file
    writer = ParquetArchiveWriter(str(tmp_path), "abc", "RUN", stats=Stats(), raw_archive=warc)
    writer.open_spider()
    writer.articles.archive = parquet_archive
    writer.articles.add({"published_at": WHEN, "fetched_at": WHEN, **pointer.as_fields(),
                         "article_id": "a", "source": "abc", "url": "u", "canonical_url": "u",
                         "title": "t", "body": "b", "authors": [], "http_status": 200,
                         "content_sha256": "h", "extractor_version": "x", "schema_version": 3,
                         "version": 1})
    writer.articles.flush()
    assert pointed == [True]


def test_recorder_is_off_when_warc_enabled_is_false():
    crawler = get_crawler(NewsSpider, {"WARC_ENABLED": False, "NEWS_SOURCE": "abc"})
    with pytest.raises(NotConfigured):
        WarcRecorderMiddleware.from_crawler(crawler)


def test_replay_never_fetches_what_the_warc_does_not_hold():
    middleware = WarcReplayMiddleware(ReplayIndex(WarcSource(str(REPLAY_WARC))))
    served = middleware.process_request(Request("http://abcnewsradioonline.com/feed.rss"))
    assert served.status == 200 and b"<rss" in served.body
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://abcnewsradioonline.com/not-recorded.html"))


# --- a crawl ------------------------------------------------------------------

def use_env(monkeypatch, env: dict) -> None:
    """The archive's AWS settings for this process too (boto3 reads os.environ)."""
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)


@pytest.fixture
def fresh_site():
    with FixtureSite(FIXTURE_SITE) as fixture:
        yield fixture


def test_crawl_keeps_every_response_and_every_row_points_to_its_page(fresh_site, archive,
                                                                    monkeypatch):
    archive_uri, env = archive
    use_env(monkeypatch, env)
    result = run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri,
                                   "START_URLS": fresh_site.url("/")})
    assert result.returncode == 0, result.stderr[-3000:]
    warc_files = list_files(archive_uri, "raw", env)
    assert warc_files and all(f.startswith("raw/source=abc/date=") and f.endswith(".warc.gz")
                              and "/." not in f for f in warc_files)

    recorded = Counter()
    for relpath in warc_files:
        checks = check_digests(read_raw(archive_uri, relpath, env))
        assert checks[0] == ("warcinfo", True)
        assert all(passed for kind, passed in checks[1:]), checks
        for response in WarcSource(relpath, open_archive(archive_uri, env)).responses():
            recorded[(response.url[len(fresh_site.base_url):], response.status)] += 1
    # Every response the site sent, and nothing else.
    assert recorded == Counter(fresh_site.responses)

    served = {}
    for path, status in fresh_site.responses:
        file = FIXTURE_SITE / path.lstrip("/")
        file = file / "index.html" if path.endswith("/") else file
        if status == 200:
            served[fresh_site.url(path)] = file.read_bytes().replace(
                b"{base}", fresh_site.base_url.encode())
    rows = (read_dataset(archive_uri, "articles", env).to_pylist()
            + read_dataset(archive_uri, "rejects", env).to_pylist())
    store = open_archive(archive_uri, env)
    pointed = 0
    for row in rows:
        pointer = WarcPointer.from_fields(row)
        if row.get("reason") == "robots_disallowed":   # never fetched: nothing to point to
            assert pointer is None
            continue
        response = read_pointer(store, pointer)
        assert response.url == row["url"]
        assert response.fetched_at == row["fetched_at"]
        assert response.status == row["http_status"]
        if response.status == 200:
            assert response.body == served[row["url"]]
        pointed += 1
    assert pointed == 5   # three articles, the 404 and the page too short


def test_a_truncated_warc_gives_its_whole_responses_then_says_where_it_is_cut():
    data = REPLAY_WARC.read_bytes()
    whole = [(r.url, r.body) for r in iter_responses(io.BytesIO(data), "abc-site.warc.gz")]
    assert len(whole) == 12
    cut_inside_a_record = 0
    for end in range(200, len(data), 397):
        read = []
        try:
            for response in iter_responses(io.BytesIO(data[:end]), "abc-site.warc.gz"):
                read.append((response.url, response.body))
        except DamagedWarc as exc:
            cut_inside_a_record += 1
            # Where: "the response record at byte 5385 is cut short: the file is
            # truncated", "no whole WARC record at byte 2758 (AttributeError: ...)".
            assert re.match(r"WARC abc-site\.warc\.gz: (the (\w+ )?record|no whole WARC record) at byte \d+ ",
                            str(exc))
        # Never a body cut short (warcio alone gives one): a prefix of the whole responses.
        assert read == whole[:len(read)]
    assert cut_inside_a_record > 20

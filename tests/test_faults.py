"""Every fault of a bad night is handled, counted under its own reason, and the
crawl finishes: each page ends archived or rejected with that reason."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest
from scrapy.http import Request

from crawler.middlewares import (META_REFRESH_HEAD_BYTES, MetaRefreshHeadMiddleware,
                                 PrivateNetworkGuardMiddleware, retry_after_seconds)
from crawler.run import EXIT_PARTIAL
from scrapy.exceptions import IgnoreRequest
from tests.archive_readers import read_dataset
from tests.conftest import clean_env, run_crawl, run_reprocess
from tests.fault_site import EXPECTED, FAULT_SETTINGS, FaultSite


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    archive = str(tmp_path_factory.mktemp("faults") / "archive")
    with FaultSite() as site:
        result = run_crawl("abc", env=clean_env(ARCHIVE_URI=archive, START_URLS=" ".join(
            site.url(p) for p in ("feed.rss", "bomb-feed.xml", "xxe-sitemap.xml", "malformed.rss",
                                  "self-index.xml"))), args=FAULT_SETTINGS, timeout=300)
    articles = read_dataset(archive, "articles", {}).to_pylist()
    rejects = read_dataset(archive, "rejects", {}).to_pylist()
    return site, result, articles, rejects, archive


def test_crawl_finishes_with_partial_failure_status(fault_crawl):
    site, result, articles, rejects, _ = fault_crawl
    # The refused entry points make the run a partial failure, not a crash.
    assert result.returncode == EXIT_PARTIAL, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path, reason", sorted(EXPECTED.items()))
def test_each_fault_ends_under_its_own_reason(fault_crawl, path, reason):
    site, result, articles, rejects, _ = fault_crawl
    archived = {a["url"][len(site.base_url):] for a in articles}
    rejected = {}
    for r in rejects:
        rejected.setdefault(r["url"][len(site.base_url):].split("?")[0], r["reason"])
    if reason is None:
        assert path in archived, rejected.get(path)
        assert path not in rejected
    else:
        assert rejected.get(path) == reason
        assert path not in archived


def test_charsets_are_decoded(fault_crawl):
    _, _, articles, *_ = fault_crawl
    by_title = {a["title"]: a for a in articles}
    assert "Le café reopened – its naïve owner said: “we are back”." in by_title[
        "Café reopens – owner is “back”"]["body"]
    assert "東京都は火曜日、新しい橋の工事が来月に完了すると発表しました。" in by_title[
        "新しい橋の工事が完了へ"]["body"]


def test_retry_after_was_honoured_then_the_page_fetched(fault_crawl):
    site, *_ = fault_crawl
    assert site.hits["/retry-after.html"] == 2
    assert site.hits["/rate-limited.html"] == 2


def test_hostile_entry_points_are_refused_by_reason(fault_crawl):
    site, result, *_ = fault_crawl
    assert "bomb-feed.xml refused: xml_entities_refused" in result.stderr
    assert "xxe-sitemap.xml refused: xml_entities_refused" in result.stderr
    assert "malformed.rss refused: malformed_feed" in result.stderr
    # A sitemap index that lists itself is read once.
    assert site.hits["/self-index.xml"] == 1
    assert site.hits["/bomb-item.html"] == 0


def test_reprocessing_the_raw_pages_gives_the_crawls_verdicts(fault_crawl, tmp_path):
    """The same source rules apply offline: what the crawl archived is archived,
    the German page is rejected for its language again."""
    site, _, articles, rejects, archive = fault_crawl
    raw = sorted(str(p) for p in Path(archive, "raw").rglob("*.warc.gz"))
    again = str(tmp_path / "again")
    result = run_reprocess("abc", *[arg for path in raw for arg in ("--warc", path)],
                           "--domain", "*", env=clean_env(ARCHIVE_URI=again))
    assert result.returncode == 0, result.stderr[-3000:]
    reprocessed = read_dataset(again, "articles", {}).to_pylist()
    assert sorted(a["url"] for a in reprocessed) == sorted(a["url"] for a in articles)
    reasons = {r["url"]: r["reason"] for r in read_dataset(again, "rejects", {}).to_pylist()}
    assert reasons[site.url("german.html")] == "wrong_language"


@pytest.mark.parametrize("value, seconds", [(b"7", 7.0), (b"Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
                                            (None, None), (b"soon", None)])
def test_retry_after_header(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_private_network_guard_refuses_redirect_targets_in_private_networks():
    guard = PrivateNetworkGuardMiddleware(allowed_hosts={"mirror.internal"})
    with pytest.raises(IgnoreRequest, match="resolves to a private address"):
        asyncio.run(guard.process_request(Request("http://localhost:8080/admin")))
    with pytest.raises(IgnoreRequest, match="private address"):
        asyncio.run(guard.process_request(Request("http://169.254.169.254/latest/meta-data/")))
    assert asyncio.run(guard.process_request(Request("http://mirror.internal/a"))) is None


def test_private_network_guard_looks_hosts_up_without_stopping_the_crawl(monkeypatch):
    """While a host's DNS answer is slow, the event loop (every other download)
    goes on; requests to that host meanwhile share its one lookup."""
    answered = threading.Event()
    lookups: list[str] = []

    def slow_dns(host, *args, **kwargs):
        lookups.append(host)
        # Answered only by a coroutine on the event loop: a lookup that blocked
        # the loop would wait here for the whole timeout.
        loop_ran = answered.wait(timeout=10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 ("93.184.215.14" if loop_ran else "10.0.0.1", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    guard = PrivateNetworkGuardMiddleware(allowed_hosts=set())

    async def crawl():
        async def other_download():
            await asyncio.sleep(0.05)
            answered.set()
        return await asyncio.gather(
            guard.process_request(Request("https://news.example/a")),
            guard.process_request(Request("https://news.example/b")),
            other_download())

    assert asyncio.run(crawl()) == [None, None, None]
    assert lookups == ["news.example"]


def test_private_network_guard_looks_again_after_a_failed_lookup(monkeypatch):
    """A lookup that fails lets the request go (its download fails with its own
    DNS error) but is not remembered: when the host later resolves to a
    private address, requests to it are refused."""
    answers = iter([OSError("Temporary failure in name resolution"),
                    [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 0))]])

    def flaky_dns(host, *args, **kwargs):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", flaky_dns)
    guard = PrivateNetworkGuardMiddleware(allowed_hosts=set())

    async def crawl():
        first = await guard.process_request(Request("https://news.example/a"))
        try:
            await guard.process_request(Request("https://news.example/b"))
        except IgnoreRequest as refused:
            return first, str(refused)
        return first, None

    assert asyncio.run(crawl()) == (
        None, "refused https://news.example/b: news.example resolves to a private address")


def _large_page(head: str) -> bytes:
    """A page over META_REFRESH_HEAD_BYTES, with `head` in its <head>."""
    filler = "<p>" + "The council met on Tuesday. " * 20 + "</p>"
    return (f"<html><head>{head}<title>Moved</title></head><body>"
            + filler * (META_REFRESH_HEAD_BYTES // len(filler) + 2) + "</body></html>").encode()


def test_meta_refresh_is_read_from_the_start_of_a_large_page():
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler
    middleware = MetaRefreshHeadMiddleware.from_crawler(get_crawler(settings_dict={
        "METAREFRESH_MAXDELAY": 100}))
    request = Request("https://example.com/old.html")
    moved = HtmlResponse(request.url, request=request, headers={"Content-Type": "text/html"},
                         body=_large_page('<meta http-equiv="refresh" content="0; url=/new.html">'))
    assert len(moved.body) > META_REFRESH_HEAD_BYTES
    redirected = middleware.process_response(request, moved)
    assert isinstance(redirected, Request) and redirected.url == "https://example.com/new.html"
    # A page that does not refresh (or waits longer than METAREFRESH_MAXDELAY)
    # goes on as it was received.
    for head in ("", '<meta http-equiv="refresh" content="300; url=/new.html">'):
        page = HtmlResponse(request.url, request=request, body=_large_page(head),
                            headers={"Content-Type": "text/html; charset=utf-8"})
        assert middleware.process_response(request, page) is page

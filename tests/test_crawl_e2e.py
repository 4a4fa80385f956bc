"""End to end: `make crawl` over the fixture site, read back as downstream teams do,
into a local directory and into a real S3 server."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from tests.archive_readers import (
    duckdb_connection,
    duckdb_glob,
    file_metadata,
    list_files,
    read_dataset,
)
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.referer import RefererMiddleware
from scrapy.utils.test import get_crawler

from crawler.sources import load_source
from crawler.spiders.news import NewsSpider
from schemas import SCHEMA_VERSION
from tests.conftest import FAST_CRAWL, clean_env, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.sitemap_site import article_path, make_news_site
from tests.test_extract import SOCHI_BODY

UTC = timezone.utc
EXPECTED = {
    "Envoys meet in Sochi as both sides signal a thaw after long freeze": {
        "published_at": datetime(2019, 5, 14, 16, 58, tzinfo=UTC), "authors": [],
        "dateline": "SOCHI, Russia", "rights": "Copyright © 2019, ABC Radio. All rights reserved.",
        "image_credit": "State Department photo/ Public Domain", "date": "2019-05-14"},
    "Senate passes stopgap budget hours before deadline": {
        "published_at": datetime(2019, 5, 15, 13, 30, tzinfo=UTC),
        "authors": ["Stephanie Ebbs", "Ben Gittleson"], "dateline": "WASHINGTON",
        "rights": "Copyright © 2019, ABC Radio. All rights reserved.",
        "image_credit": "Chip Somodevilla/Getty Images", "date": "2019-05-15"},
    "Storm knocks out power to 200,000 homes across three states": {
        "published_at": datetime(2019, 5, 16, 14, 5, tzinfo=UTC), "authors": ["Morgan Winsor"],
        "dateline": "NEW YORK", "rights": "Copyright © 2019, ABC Audio. All rights reserved.",
        "image_credit": "iStock/Thinkstock", "date": "2019-05-16"},
}
EXPECTED_REJECTIONS = {"/world-news/withdrawn-story.html": "http_404",
                       "/private/internal-memo.html": "robots_disallowed",
                       "/about.html": "too_short"}


@pytest.fixture
def fresh_site():
    with FixtureSite(FIXTURE_SITE) as fixture:
        yield fixture


def crawl(site, archive_uri, env):
    start_urls = " ".join(site.url(p) for p in ("robots.txt", "feed.rss", "atom.xml"))
    return run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri, "START_URLS": start_urls})


def test_crawl_archives_clean_articles_and_rejections(fresh_site, archive):
    archive_uri, env = archive
    result = crawl(fresh_site, archive_uri, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles written=3 " in result.stderr

    articles = read_dataset(archive_uri, "articles", env).to_pylist()
    assert sorted(a["title"] for a in articles) == sorted(EXPECTED)
    for article in articles:
        expected = EXPECTED[article["title"]]
        for field, value in expected.items():
            assert article[field] == value, (article["title"], field)
        assert article["source"] == "abc"
        assert article["http_status"] == 200
        assert "\n\n" in article["body"] and "Copyright" not in article["body"]
    sochi = next(a for a in articles if a["title"].startswith("Envoys"))
    assert sochi["body"] == SOCHI_BODY
    assert sochi["url"] == fresh_site.url("world-news/envoys-meet-in-sochi.html")

    rejects = read_dataset(archive_uri, "rejects", env).to_pylist()
    base = fresh_site.base_url
    assert {r["url"][len(base):]: r["reason"] for r in rejects} == EXPECTED_REJECTIONS
    # robots.txt was obeyed: the disallowed page was listed but never requested.
    assert "/private/internal-memo.html" not in fresh_site.requests


def test_files_are_partitioned_compressed_and_carry_the_schema_version(fresh_site, archive):
    archive_uri, env = archive
    assert crawl(fresh_site, archive_uri, env).returncode == 0
    files = list_files(archive_uri, "articles", env)
    assert [f.rsplit("/", 1)[0] for f in files] == [
        "articles/source=abc/date=2019-05-14", "articles/source=abc/date=2019-05-15",
        "articles/source=abc/date=2019-05-16"]
    for relpath in files:
        metadata = file_metadata(archive_uri, relpath, env)
        assert metadata[b"schema_version"] == str(SCHEMA_VERSION).encode()
    # No temporary or partial files visible to readers.
    assert all(f.endswith(".parquet") and "/." not in f for f in files)


def test_duckdb_reads_the_dataset_with_hive_partitions(fresh_site, archive):
    archive_uri, env = archive
    assert crawl(fresh_site, archive_uri, env).returncode == 0
    con = duckdb_connection(archive_uri, env)
    rows = con.execute(
        "SELECT title, strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), source, CAST(date AS VARCHAR) "
        f"FROM read_parquet('{duckdb_glob(archive_uri, 'articles')}', hive_partitioning = true) "
        "ORDER BY published_at").fetchall()
    assert rows == [
        ("Envoys meet in Sochi as both sides signal a thaw after long freeze",
         "2019-05-14 16:58", "abc", "2019-05-14"),
        ("Senate passes stopgap budget hours before deadline", "2019-05-15 13:30", "abc",
         "2019-05-15"),
        ("Storm knocks out power to 200,000 homes across three states", "2019-05-16 14:05",
         "abc", "2019-05-16"),
    ]


def test_a_sitemap_index_is_crawled_one_sitemap_at_a_time(tmp_path):
    """The next sitemap of an index is fetched when the queue runs low, not all
    at once: the scheduler holds about one sitemap's articles, not the index's."""
    sitemaps, per_sitemap, low_water, concurrency = 4, 30, 5, 4
    count = sitemaps * per_sitemap
    with FixtureSite(make_news_site(tmp_path / "site", count, per_sitemap=per_sitemap)) as site:
        archive_uri = str(tmp_path / "archive")
        result = run_crawl("abc", env=clean_env(ARCHIVE_URI=archive_uri, START_URLS=site.url("/sitemap.xml")),
                           args=[*FAST_CRAWL, "-s", f"DISCOVERY_QUEUE_LOW_WATER={low_water}",
                                 "-s", f"CONCURRENT_REQUESTS={concurrency}"])
        assert result.returncode == 0, result.stderr[-3000:]
        assert len(read_dataset(archive_uri, "articles", clean_env()).to_pylist()) == count

        requested = site.requests
        for k in range(1, sitemaps):
            before_next = requested[:requested.index(f"/sitemap-{k}.xml")]
            previous = {article_path(n) for n in range((k - 1) * per_sitemap, k * per_sitemap)}
            not_yet = previous - set(before_next)
            # Still queued (< low water) or taken by the downloader (<= its concurrency).
            assert len(not_yet) < low_water + concurrency, (k, sorted(not_yet))
        # Released from an article's callback or when the spider idles, a
        # sitemap is requested as listed by the index, not by that article.
        assert {site.referers[f"/sitemap-{k}.xml"] for k in range(sitemaps)} == {site.url("/sitemap.xml")}


def spider_with_full_queue(scheduled: list[str]) -> NewsSpider:
    """The spider of source abc holding entry points back, its scheduler full
    (nothing is released by the callbacks); `scheduled` receives what the
    engine is asked to crawl directly."""
    spider = NewsSpider(load_source("abc"))
    crawler = get_crawler(NewsSpider, {"NEWS_SOURCE": "abc"})
    crawler.engine = SimpleNamespace(scheduler=[None] * 500,
                                     crawl=lambda request: scheduled.append(request.url))
    spider._set_crawler(crawler)
    spider.queue_low_water = 100
    return spider


def test_an_entry_point_listed_again_is_not_held_again():
    """Robots.txt and an index often list the same sitemap: it is held once."""
    spider = spider_with_full_queue(scheduled=[])
    index, a, b = (f"https://abcnews.example/{name}.xml" for name in ("index", "a", "b"))
    assert list(spider._found_entry_points([a, b, a], Response(index))) == []
    assert list(spider._found_entry_points([b], Response(a))) == []
    assert [request.url for request in spider._held_entry_points] == [a, b]


def test_an_entry_point_held_from_a_no_referrer_page_is_released_without_referer():
    """The listing page asks for no Referer: the request released later, from
    another page's callback, carries none either (Scrapy's RefererMiddleware
    would name that other page)."""
    spider = spider_with_full_queue(scheduled=[])
    index = Response("https://abcnews.example/index.xml",
                     headers={"Referrer-Policy": "no-referrer"})
    list(spider._found_entry_points(["https://abcnews.example/a.xml"], index))
    held = spider._held_entry_points[0]
    releasing_page = Response("https://abcnews.example/story.html", request=Request(
        "https://abcnews.example/story.html"))
    released, = RefererMiddleware(spider.settings).process_spider_output(
        releasing_page, [held])
    assert "Referer" not in released.headers


def test_an_idle_spider_with_entry_points_held_releases_one_and_stays_open():
    scheduled: list[str] = []
    spider = spider_with_full_queue(scheduled)
    a, b = "https://abcnews.example/a.xml", "https://abcnews.example/b.xml"
    list(spider._found_entry_points([a, b], Response("https://abcnews.example/index.xml")))
    with pytest.raises(DontCloseSpider):
        spider._spider_idle()
    assert scheduled == [a]
    with pytest.raises(DontCloseSpider):
        spider._spider_idle()
    spider._spider_idle()   # nothing held: the spider may close
    assert scheduled == [a, b]

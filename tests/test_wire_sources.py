"""The configured wire services: every source file is usable, and AP and Reuters
crawl end to end from fixture mirrors of their sitemaps and article markup
(the real sites cannot be reached from the test machines)."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from crawler.sources import available_sources, load_source
from tests.archive_readers import read_dataset
from tests.conftest import clean_env, run_crawl
from tests.fixture_site import MIRRORS, FixtureSite

UTC = timezone.utc


def test_at_least_the_five_wire_services_and_abc_are_configured():
    assert {"abc", "apnews", "reuters", "upi", "prnewswire", "globenewswire"} <= set(available_sources())


@pytest.mark.parametrize("key", available_sources())
def test_source_entry_points_are_https_on_allowed_domains(key):
    source = load_source(key)
    for url in source.entry_points:
        host = urlsplit(url).hostname
        assert urlsplit(url).scheme == "https", url
        assert any(host == d or host.endswith("." + d) for d in source.allowed_domains), url


def crawl_mirror(key: str, mirror: str, entry: str, tmp_path) -> list[dict]:
    with FixtureSite(MIRRORS / mirror) as site:
        archive = str(tmp_path / "archive")
        result = run_crawl(key, env=clean_env(ARCHIVE_URI=archive, START_URLS=site.url(entry)))
        assert result.returncode == 0, result.stderr[-3000:]
    return read_dataset(archive, "articles", {}).to_pylist()


def test_apnews_from_robots_txt_of_a_mirror(tmp_path):
    [article] = crawl_mirror("apnews", "apnews", "robots.txt", tmp_path)
    assert article["source"] == "apnews"
    assert article["title"] == "Lawmakers agree on money for bridge inspections"
    assert article["authors"] == ["Kevin Freking", "Lisa Mascaro"]
    assert article["published_at"] == datetime(2019, 5, 14, 18, 20, 11, tzinfo=UTC)
    assert article["modified_at"] == datetime(2019, 5, 14, 19, 2, 40, tzinfo=UTC)
    assert article["dateline"] == "WASHINGTON"
    assert article["keywords"] == ["Congress", "Infrastructure"]      # the news sitemap's
    assert article["tags"] == ["Congress", "Bridges"]                  # the page's
    assert article["section"] == "Politics"
    # AP's rule (crawler/sources/apnews.toml): the caption, credit included, is
    # og:image:alt; the page prints none beside the image.
    assert article["image_url"] == "https://dims.apnews.com/dims4/default/bridge/1440x810.jpg"
    assert article["image_caption"] == "Traffic crosses the Arlington Memorial Bridge in Washington, May 13, 2019."
    assert article["image_credit"] == "AP Photo/Susan Walsh"
    assert article["body"].startswith("House and Senate negotiators agreed Tuesday")
    assert "Facebook" not in article["body"] and "Copy Link" not in article["body"]


def test_reuters_from_robots_txt_through_its_sitemap_index(tmp_path):
    [article] = crawl_mirror("reuters", "reuters", "robots.txt", tmp_path)
    assert article["title"] == "Rail strike halts trains across the country"
    assert article["authors"] == ["Kate Holton"]
    assert article["published_at"] == datetime(2019, 5, 14, 9, 12, tzinfo=UTC)
    assert article["listed_modified_at"] == datetime(2019, 5, 14, 9, 41, tzinfo=UTC)
    assert article["dateline"] == "LONDON"
    assert article["body"].startswith("A national rail strike halted most passenger trains")
    assert "Our Standards" not in article["body"] and "More from Reuters" not in article["body"]

"""What an entry point lists, on small documents."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crawler.discovery import (
    EntryKind,
    Discovered,
    classify,
    links_from_feed,
    links_from_json_feed,
    links_from_page,
    links_from_robots,
    links_from_sitemap,
)
from crawler.sources import SourceError, load_source

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>A</title><link>https://news.example/a</link><category>Politics</category>
<pubDate>Tue, 14 May 2019 16:58:00 GMT</pubDate></item>
<item><title>B</title><link>/b</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><entry><title>C</title><link rel="alternate" href="https://news.example/c"/>
<id>c</id><updated>2019-05-16T14:05:00Z</updated></entry></feed>"""
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/d</loc><lastmod>2019-05-15T10:00:00+00:00</lastmod>
<news:news><news:publication_date>2019-05-14T12:58:00-04:00</news:publication_date>
<news:title>D</news:title><news:keywords>Russia, diplomacy</news:keywords></news:news></url>
</urlset>"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
 {"id": "1", "url": "https://news.example/e", "title": "E", "date_published": "2019-05-17T08:00:00Z",
  "tags": ["weather"]}]}"""
UTC = timezone.utc
SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap></sitemapindex>"""


@pytest.mark.parametrize("url, body, kind", [
    ("https://news.example/robots.txt", b"Sitemap: https://news.example/s.xml", EntryKind.ROBOTS),
    ("https://news.example/feed", RSS, EntryKind.FEED),
    ("https://news.example/atom", ATOM, EntryKind.FEED),
    ("https://news.example/s.xml", NEWS_SITEMAP, EntryKind.SITEMAP),
    ("https://news.example/i.xml", SITEMAP_INDEX, EntryKind.SITEMAP_INDEX),
    ("https://news.example/feed.json", JSON_FEED, EntryKind.JSON_FEED),
    ("https://news.example/a", b"<!DOCTYPE html><html><body>x</body></html>", EntryKind.PAGE),
])
def test_classify_by_content(url, body, kind):
    assert classify(url, body) is kind


def test_rss_links_are_absolute_articles_with_their_hints():
    assert links_from_feed("https://news.example/feed", RSS) == [
        Discovered("https://news.example/a", title="A", keywords=("Politics",),
                   published=datetime(2019, 5, 14, 16, 58, tzinfo=UTC)),
        Discovered("https://news.example/b", title="B")]


def test_atom_updated_is_the_listed_modification():
    assert links_from_feed("https://news.example/atom", ATOM) == [
        Discovered("https://news.example/c", title="C",
                   lastmod=datetime(2019, 5, 16, 14, 5, tzinfo=UTC))]


def test_json_feed_items():
    assert links_from_json_feed("https://news.example/feed.json", JSON_FEED) == [
        Discovered("https://news.example/e", title="E", keywords=("weather",),
                   published=datetime(2019, 5, 17, 8, 0, tzinfo=UTC))]


def test_news_sitemap_lists_articles_with_google_news_fields():
    assert links_from_sitemap("https://news.example/s.xml", NEWS_SITEMAP) == [
        Discovered("https://news.example/d", title="D", keywords=("Russia", "diplomacy"),
                   published=datetime(2019, 5, 14, 16, 58, tzinfo=UTC),
                   lastmod=datetime(2019, 5, 15, 10, 0, tzinfo=UTC))]


def test_home_page_announces_every_feed_and_lists_articles_by_rule():
    page = b"""<html><head>
    <link rel="alternate" type="application/rss+xml" href="/feed.rss">
    <link rel="alternate" type="application/atom+xml" href="https://news.example/atom.xml">
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    <link rel="alternate" hreflang="de" href="/de/">
    <link rel="stylesheet" href="/s.css"></head><body>
    <a href="/world-news/a.html">A</a> <a href="/about.html">About</a>
    <a href="https://other.example/world-news/b.html">elsewhere</a>
    <a href="/world-news/a.html#comments">A again</a></body></html>"""
    assert links_from_page("https://news.example/", page, ("^/[a-z-]+-news/.+",)) == [
        Discovered("https://news.example/feed.rss", is_entry_point=True),
        Discovered("https://news.example/atom.xml", is_entry_point=True),
        Discovered("https://news.example/feed.json", is_entry_point=True),
        Discovered("https://news.example/world-news/a.html"),
    ]


def test_sitemap_index_lists_more_entry_points():
    assert links_from_sitemap("https://news.example/i.xml", SITEMAP_INDEX) == [
        Discovered("https://news.example/sitemap-1.xml", is_entry_point=True)]


def test_robots_sitemap_lines_are_entry_points():
    robots = "User-agent: *\nDisallow: /private/\nSitemap: https://news.example/news.xml\n"
    assert links_from_robots("https://news.example/robots.txt", robots) == [
        Discovered("https://news.example/news.xml", is_entry_point=True)]


def test_start_urls_replace_entry_points_and_allowed_domains():
    source = load_source("abc").with_entry_points(
        ["http://127.0.0.1:8000/feed.rss", "http://mirror.example/robots.txt"])
    assert source.entry_points == ("http://127.0.0.1:8000/feed.rss", "http://mirror.example/robots.txt")
    assert source.allowed_domains == ("127.0.0.1", "mirror.example")
    assert source.timezone == "America/New_York"


@pytest.mark.parametrize("key", ["", "../settings", "nope"])
def test_unknown_source_keys(key):
    with pytest.raises(SourceError, match="no such source"):
        load_source(key)

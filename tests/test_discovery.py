"""What an entry point lists, on small documents."""

from __future__ import annotations

import pytest

from crawler.discovery import (
    EntryKind,
    Discovered,
    classify,
    links_from_feed,
    links_from_robots,
    links_from_sitemap,
)
from crawler.sources import SourceError, load_source

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>A</title><link>https://news.example/a</link></item>
<item><title>B</title><link>/b</link></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><entry><title>C</title><link rel="alternate" href="https://news.example/c"/>
<id>c</id></entry></feed>"""
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/d</loc><news:news><news:title>D</news:title></news:news></url>
</urlset>"""
SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap></sitemapindex>"""


@pytest.mark.parametrize("url, body, kind", [
    ("https://news.example/robots.txt", b"Sitemap: https://news.example/s.xml", EntryKind.ROBOTS),
    ("https://news.example/feed", RSS, EntryKind.FEED),
    ("https://news.example/atom", ATOM, EntryKind.FEED),
    ("https://news.example/s.xml", NEWS_SITEMAP, EntryKind.SITEMAP),
    ("https://news.example/i.xml", SITEMAP_INDEX, EntryKind.SITEMAP_INDEX),
    ("https://news.example/a", b"<!DOCTYPE html><html><body>x</body></html>", EntryKind.PAGE),
])
def test_classify_by_content(url, body, kind):
    assert classify(url, body) is kind


def test_rss_links_are_absolute_articles():
    assert links_from_feed("https://news.example/feed", RSS) == [
        Discovered("https://news.example/a"), Discovered("https://news.example/b")]


def test_atom_links():
    assert links_from_feed("https://news.example/atom", ATOM) == [Discovered("https://news.example/c")]


def test_news_sitemap_lists_articles():
    assert links_from_sitemap("https://news.example/s.xml", NEWS_SITEMAP) == [
        Discovered("https://news.example/d")]


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

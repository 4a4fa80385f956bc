"""canonical_key's fast path (plain URLs) gives w3lib's answer."""

import pytest

from pipelines.ids import _PLAIN_URL_RE, _canonical_key_w3lib, article_id, canonical_key

URLS = [
    "https://abcnewsradioonline.com/national-news/2019/5/14/senate-votes.html",
    "http://www.abcnewsradioonline.com/national-news/story",
    "HTTPS://WWW.Example.COM/Path/With-Case_and.dots~",
    "https://example.com",
    "https://example.com:443/a",
    "http://example.com:80/a",
    "http://127.0.0.1:8080/national-news/story-00001.html",
    "https://example.com:0080/a",
    "https://example.com/a/./b",
    "https://example.com/a/../b",
    "https://example.com/a;params",
    "https://example.com/a?utm_source=x&b=2&a=1#frag",
    "https://example.com/caf%C3%A9",
    "https://www./a",
    "https://example.com/it's(1)*,+=:@!$&",
]


@pytest.mark.parametrize("url", URLS)
def test_canonical_key_matches_w3lib(url):
    assert canonical_key(url) == _canonical_key_w3lib(url)


def test_plain_urls_take_the_fast_path():
    assert _PLAIN_URL_RE.fullmatch(URLS[0])
    assert article_id(URLS[0]) == article_id(URLS[0].replace("https://", "http://www."))

"""Extraction of the fixture site's pages: exact clean text and exact fields."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipelines.extract import PageContext, Rejected, extract_article, strip_invalid_xml_chars
from schemas import SCHEMA_VERSION
from tests.fixture_site import FIXTURE_SITE

BASE = "http://news.example"
NEW_YORK = ZoneInfo("America/New_York")


def extract_fixture(path: str) -> dict:
    html = (FIXTURE_SITE / path).read_bytes().replace(b"{base}", BASE.encode())
    context = PageContext(url=f"{BASE}/{path}", source="abc", default_tz=NEW_YORK,
                          fetched_at=datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc))
    return extract_article(html, context)


SOCHI_BODY = "\n\n".join([
    "The top diplomats of the two countries met for three hours at a Black Sea residence on "
    "Tuesday, the first such meeting in more than a year, and said afterwards that they would "
    "keep talking.",
    "Both ministers described the talks as frank. Neither announced an agreement, but aides "
    "said a working group on consular staffing would meet again in June.",
    '"We have disagreements, and we said so plainly," the visiting minister told reporters. '
    '"But we also found three or four places where we can make progress."',
    "The meeting had been postponed twice. A planned stop in the capital was dropped on Monday "
    "so the delegation could brief allies in Brussels first.",
    "Analysts cautioned that similar meetings in the past had produced warm words and little "
    "else, pointing to the collapse of a 2017 agreement on embassy property.",
    "The two sides are expected to meet again on the margins of a summit in Japan next month.",
])


def test_sample_like_page_keeps_only_the_article_in_the_body():
    record = extract_fixture("world-news/envoys-meet-in-sochi.html")
    assert record["body"] == SOCHI_BODY
    assert record["title"] == "Envoys meet in Sochi as both sides signal a thaw after long freeze"
    assert record["dateline"] == "SOCHI, Russia"
    assert record["image_credit"] == "State Department photo/ Public Domain"
    assert record["rights"] == "Copyright © 2019, ABC Radio. All rights reserved."
    # "May 14, 2019 12:58 PM" printed without zone: New York time (EDT) -> UTC.
    assert record["published_at"] == datetime(2019, 5, 14, 16, 58, tzinfo=timezone.utc)
    assert record["authors"] == []
    assert record["language"] == "en"
    assert record["canonical_url"] == f"{BASE}/world-news/envoys-meet-in-sochi.html"


def test_json_ld_page_gives_people_as_authors_and_times_to_the_minute():
    record = extract_fixture("politics-news/senate-passes-stopgap-budget.html")
    assert record["title"] == "Senate passes stopgap budget hours before deadline"
    assert record["authors"] == ["Stephanie Ebbs", "Ben Gittleson"]
    assert record["published_at"] == datetime(2019, 5, 15, 13, 30, tzinfo=timezone.utc)
    assert record["modified_at"] == datetime(2019, 5, 15, 15, 5, tzinfo=timezone.utc)
    assert record["dateline"] == "WASHINGTON"
    assert record["image_credit"] == "Chip Somodevilla/Getty Images"
    assert record["rights"] == "Copyright © 2019, ABC Radio. All rights reserved."
    assert record["body"].startswith("The Senate voted 71 to 28 late Wednesday")
    assert record["body"].endswith("a White House spokesperson said the president would sign it.")
    assert "Related" not in record["body"] and "House delays vote" not in record["body"]
    assert record["body"].count("\n\n") == 3


def test_meta_tag_page_drops_share_row_repeated_title_and_follow_prompt():
    record = extract_fixture("national-news/storm-knocks-out-power.html")
    assert record["title"] == "Storm knocks out power to 200,000 homes across three states"
    assert record["authors"] == ["Morgan Winsor"]
    assert record["published_at"] == datetime(2019, 5, 16, 14, 5, tzinfo=timezone.utc)
    assert record["dateline"] == "NEW YORK"
    assert record["image_credit"] == "iStock/Thinkstock"
    assert record["rights"] == "Copyright © 2019, ABC Audio. All rights reserved."
    assert record["body"].startswith("A line of severe thunderstorms swept across the Ohio Valley")
    assert record["body"].endswith("Schools in more than a dozen districts canceled classes for the day.")
    for junk in ("Share", "Tweet", "Follow us", "Copyright", "200,000 homes across three states\n"):
        assert junk not in record["body"]


def test_article_id_ignores_tracking_parameters_of_the_canonical_url():
    record = extract_fixture("national-news/storm-knocks-out-power.html")
    from pipelines.ids import article_id
    assert record["article_id"] == article_id(f"{BASE}/national-news/storm-knocks-out-power.html")


def test_record_carries_versions_and_body_hash():
    import hashlib
    record = extract_fixture("world-news/envoys-meet-in-sochi.html")
    assert record["content_sha256"] == hashlib.sha256(SOCHI_BODY.encode()).hexdigest()
    assert record["schema_version"] == SCHEMA_VERSION
    assert record["extractor_version"].startswith("pipelines-")


def test_non_article_page_is_rejected_with_reason():
    with pytest.raises(Rejected) as info:
        extract_fixture("about.html")
    assert info.value.reason == "too_short"


@pytest.mark.parametrize("page", [b"", b"   ", b"<html></html>"])
def test_empty_pages_are_rejected_not_crashed(page):
    with pytest.raises(Rejected):
        extract_article(page, PageContext(url=f"{BASE}/empty"))


def test_cli_prints_one_json_object_per_input_in_order(tmp_path: Path):
    sochi = tmp_path / "sochi.html.gz"
    sochi.write_bytes(gzip.compress((FIXTURE_SITE / "world-news/envoys-meet-in-sochi.html").read_bytes()))
    about = tmp_path / "about.html"
    about.write_bytes((FIXTURE_SITE / "about.html").read_bytes())
    result = subprocess.run([sys.executable, "-m", "pipelines.extract", str(sochi), str(about)],
                            capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0]["title"] == "Envoys meet in Sochi as both sides signal a thaw after long freeze"
    assert lines[0]["body"] == SOCHI_BODY
    assert lines[0]["published_at"] is not None
    assert lines[1]["rejected"] == "too_short"


PARAGRAPH = ("The committee met on Tuesday and agreed on a budget for the coming year, "
             "after a long debate about roads, schools and the new library downtown.")


@pytest.mark.parametrize("inside", ["<!-- -->", "<!-- a note -->", "<?php echo 1 ?>"])
def test_comments_inside_a_paragraph_do_not_cut_it(inside):
    html = (f"<html><head><title>Budget agreed</title></head><body><article><h1>Budget agreed</h1>"
            f"<p>The committee met on Tuesday{inside} and agreed on a budget for the coming year, "
            f"after a long debate about roads, schools and the new library downtown.</p>"
            + f"<p>{PARAGRAPH}</p>" * 3 + "</article></body></html>")
    record = extract_article(html.encode(), PageContext(url=f"{BASE}/budget", min_body_words=0))
    assert record["body"].split("\n\n")[0] == PARAGRAPH


@pytest.mark.parametrize("attributes, kept", [
    ('style="display: none;"', False),
    ('style="color: red; display:none"', False),
    ('style="visibility:hidden"', False),
    # The hidden attribute: streamed rendering parks the article there.
    ('hidden="hidden"', True),
    ('hidden', True),
    ('style="border: none"', True),
    ('style="overflow: hidden"', True),
    ('class="hidden-xs"', True),
])
def test_drop_hidden_nodes(attributes, kept):
    from lxml import html as lxml_html
    from pipelines.extract import drop_hidden_nodes
    tree = lxml_html.document_fromstring(
        f"<html><body><p>Shown.</p><p {attributes}>Hidden text.</p> tail<p>End.</p></body></html>")
    text = drop_hidden_nodes(tree).text_content()
    assert ("Hidden text." in text) is kept
    assert "tail" in text and "Shown." in text and "End." in text


@pytest.mark.parametrize("body", [
    '<div class="byline">By <a rel="author" href="/a">Jane Roe</a></div><p>Text.</p>',
    # A byline inside a comment block is pruned; the article's one is found.
    '<div class="comments"><span class="author">Commenter</span></div>'
    '<p class="author-name">Anna Schmidt</p>',
    # A <time> inside the byline is pruned, its tail text kept.
    '<span class="author">Von <time>12.01.2022</time> Max Muster</span>',
    '<div id="author-box"><figure>x</figure><span>Lea Wolf</span>, Redaktion</div>',
    '<p>No byline here.</p>',
    '<div class="post-meta"><span class="date">May 3</span></div><p>Text.</p>',
    # Each kind of marker the candidate selection relies on.
    '<author>Jane Doe</author>',
    '<span itemprop="author name">Ann Lee</span>',
    '<div data-testid="AuthorCard"><span>Kim Park</span></div>',
    '<div data-component="Byline"><p>By Rob Stone</p></div>',
    '<p><rel>me</rel>Tom Hill</p>',
    '<div id="zuozhe">Li Wei</div>',
    '<span class="BBL">Ed Fox</span>',
    '<span class="user-screenname">Al Ray</span>',
    '<h4 class="posted-by">Bo Dee</h4>',
    # A match inside a discarded ancestor is skipped for a later one.
    '<section class="sidebar"><span class="author">Side Bar</span></section>'
    '<a class="author-name" href="/x">Real Name</a>',
])
def test_byline_author_matches_trafilatura(body):
    from trafilatura.metadata import extract_author
    from pipelines.extract import byline_author, parse_html
    tree = parse_html(f"<html><body>{body}</body></html>")
    assert byline_author(tree) == extract_author(tree)


@pytest.mark.parametrize("body, expected", [
    # The theme's author slot holds the account's login; the byline printed
    # above the text names the people.
    ('<span class="author">wuff</span><p>Von Roland Brockmann und Sebastian Drescher</p>',
     ["Roland Brockmann", "Sebastian Drescher"]),
    # Without a printed byline the login is all there is.
    ('<span class="author">wuff</span><p>Holz hacken im Winter.</p>', ["Wuff"]),
    # A person's name in the slot is not a login: it stays.
    ('<span class="author">Anna Schmidt</span><p>Von Roland Brockmann</p>', ["Anna Schmidt"]),
    # A gendered label ("Autor/in") is a label, not a word of the name.
    ('<span class="author">Autor/in: Korinna Hennig</span>', ["Korinna Hennig"]),
])
def test_a_printed_byline_outranks_a_login_in_the_author_slot(body, expected):
    from pipelines.extract import _byline_author, parse_html
    from pipelines.metadata import extract_authors
    tree = parse_html(f"<html><body>{body}</body></html>")
    assert extract_authors(tree, fallback=lambda: _byline_author(tree)) == expected


def test_control_characters_do_not_cost_the_text():
    # A stray vertical tab or form feed in the text made trafilatura's XML
    # conversion give up on the whole page; they are removed before parsing.
    paragraph = ("Die Landfläche für importierte Ernährungsgüter wächst seit Jahren "
                 "stetig\x0b weiter, vor allem für Futtermittel.\x0c ") * 6
    page = (f"<html><head><title>Fläche</title></head><body><article><h1>Fläche</h1>"
            f"<p>{paragraph}</p><p>{paragraph}</p></article></body></html>")
    record = extract_article(page, PageContext(url="https://example.org/a", source="t",
                                               min_body_words=0))
    assert "Futtermittel." in record["body"]
    assert "\x0b" not in record["body"] and "\x0c" not in record["body"]



@pytest.mark.parametrize("text, kept", [
    ("plain ASCII\n\ttext\r", "plain ASCII\n\ttext\r"),
    ("Fläche\x0b wächst\x0c", "Fläche wächst"),
    ("\x00nul \x08 and \x1f", "nul  and "),
    ("非字符\ufffe\uffff在此", "非字符在此"),
    ("a lone surrogate \ud800 stays", "a lone surrogate \ud800 stays"),
])
def test_strip_invalid_xml_chars(text, kept):
    assert strip_invalid_xml_chars(text) == kept

CROATIAN = ("Gradsko vijeće sastalo se u utorak i dogovorilo proračun za iduću godinu, "
            "nakon duge rasprave o cestama, školama i novoj knjižnici u središtu grada. ")
POLISH = ("Rada miejska zebrała się we wtorek i uzgodniła budżet na przyszły rok, po "
          "długiej debacie o drogach, szkołach i nowej bibliotece w centrum miasta. ")
ENGLISH = ("The city council met on Tuesday and agreed on the budget for next year, after a "
           "long debate about roads, schools and the new library in the city centre. ")


def news_page(lang: str | None, date: str, paragraph: str = CROATIAN) -> str:
    """A page stating its date only in words, where htmldate's text search finds it."""
    declared = f' lang="{lang}"' if lang else ""
    return (f"<html{declared}><head><title>Proračun dogovoren</title></head><body><article>"
            f"<h1>Proračun dogovoren</h1><span class=\"date\">{date}</span>"
            f"<p>{paragraph * 3}</p><p>{paragraph * 3}</p></article></body></html>")


@pytest.mark.parametrize("lang, text, source_languages, date, published", [
    # "listopad" is October in Croatian, November in Polish and Czech.
    ("hr", CROATIAN, (), "3. listopada 2021.", "2021-10-03"),
    ("pl", POLISH, (), "4. listopada 2021.", "2021-11-04"),
    # The text's language, whatever the page declares.
    ("pl", CROATIAN, (), "8. listopada 2021.", "2021-10-08"),
    # A text of two languages, and no declaration: its source's.
    (None, CROATIAN + ENGLISH, ("hr",), "5. listopada 2021.", "2021-10-05"),
    # The same words on pages in two languages, one after the other: htmldate's
    # cache of readings does not carry the first page's over.
    ("pl", POLISH, (), "7. listopada 2021.", "2021-11-07"),
    ("hr", CROATIAN, (), "7. listopada 2021.", "2021-10-07"),
])
def test_dates_in_words_are_read_in_the_article_language(lang, text, source_languages, date,
                                                         published):
    record = extract_article(news_page(lang, date, text),
                             PageContext(url="https://vijesti.example/grad/proracun",
                                         source="t", languages=source_languages,
                                         fetched_at=datetime(2026, 12, 3, tzinfo=timezone.utc)))
    assert record["published_at"] == datetime.fromisoformat(published).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("lang, text, detail", [
    ("pl", POLISH, "language 'pl', source takes hr, en"),
    # Mixed text: the page's declaration, here one no source takes.
    ("xx", CROATIAN + POLISH, "language 'xx', source takes hr, en"),
])
def test_a_page_in_a_language_its_source_does_not_take_is_rejected(lang, text, detail):
    with pytest.raises(Rejected) as rejected:
        extract_article(news_page(lang, "6. listopada 2021.", text),
                        PageContext(url="https://vijesti.example/grad/proracun", source="t",
                                    languages=("hr", "en")))
    assert (rejected.value.reason, rejected.value.detail) == ("wrong_language", detail)


@pytest.mark.parametrize("footer, url, expected", [
    # A copyright year is all htmldate finds: it answers 1 January; no day is known.
    ("<footer>© 2016 Example Media</footer>", "https://news.example/city/budget", None),
    ("<p>Stand: 2016</p>", "https://news.example/city/budget", None),
    # The page prints the day, or its URL holds it: New Year's Day it is.
    ("<p class='x'>Posted 1 January 2016</p>", "https://news.example/city/budget", "2016-01-01"),
    ("<footer>© 2016 Example Media</footer>", "https://news.example/2016/01/01/budget",
     "2016-01-01"),
])
def test_a_year_alone_is_no_publication_date(footer, url, expected):
    page = (f"<html lang='en'><body><article><h1>Budget agreed</h1><p>{ENGLISH * 4}</p>"
            f"{footer}</article></body></html>")
    record = extract_article(page, PageContext(url=url, source="t", min_body_words=0,
                                               fetched_at=datetime(2026, 12, 3, tzinfo=timezone.utc)))
    published = record["published_at"]
    assert (published.date().isoformat() if published else None) == expected


def test_a_page_loads_the_date_names_of_its_language_only():
    # "um 08:11 Uhr" has no year and no month name htmldate knows, so htmldate
    # looks for a month name of any language in it before asking dateparser;
    # every locale's names cost each extraction worker 7 MB. A fresh
    # interpreter, as a worker is: other tests load other languages.
    script = textwrap.dedent("""
        import sys
        from pipelines.extract import PageContext, extract_article
        sentence = "The city council agreed on next year's budget after a long debate. "
        page = ('<html lang="en"><head><title>Budget agreed</title></head><body><article>'
                '<h1>Budget agreed</h1><span class="date">um 08:11 Uhr</span>'
                f'<p>{sentence * 6}</p></article></body></html>')
        record = extract_article(page, PageContext(url="https://news.example/city/budget",
                                                   source="t", min_body_words=0))
        prefix = "dateparser.data.date_translation_data."
        print(record["published_at"], sorted(m[len(prefix):] for m in sys.modules
                                             if m.startswith(prefix)))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["None", "['en']"]


def test_the_crawl_reads_dates_in_its_source_languages():
    from crawler.sources import load_source
    from crawler.items import FetchedPage
    from pipelines.extract import ExtractPipeline
    pipeline = ExtractPipeline.for_source(load_source("abc"))
    page = FetchedPage(source="abc", url=f"{BASE}/national-news/a",
                       fetched_at=datetime(2026, 12, 3, tzinfo=timezone.utc), body=b"")
    assert pipeline.context(page).languages == ("en",)


def test_a_rejected_page_is_recorded_with_an_excerpt_of_its_text():
    from crawler.items import FetchedPage
    from pipelines.rejections import rejection_row
    page = FetchedPage(source="abc", url=f"{BASE}/login", http_status=200,
                       fetched_at=datetime(2026, 12, 3, tzinfo=timezone.utc),
                       body=b"<html><head><title>Sign in</title><script>var x = 1;</script>"
                            b"<style>p {color: red}</style></head>"
                            b"<body><p>Please sign in &amp; go on reading.</p></body></html>",
                       encoding="utf-8")
    row = rejection_row(page, "not_article", "no article text found")
    assert row["excerpt"] == "Sign in Please sign in & go on reading."


def test_justext_reads_every_language_stop_words_from_one_table():
    # trafilatura's justext fallback, for pages of no given language: the
    # stoplist is built once, lower-cased, as a table of hashes, and justext
    # takes it as it is (pipelines/extract.py says why).
    import justext.core
    import trafilatura.external
    from justext.utils import get_stoplist, get_stoplists
    stoplist = trafilatura.external.jt_stoplist_init()
    assert trafilatura.external.JT_STOPLIST is stoplist
    assert justext.core.define_stoplist(stoplist) is stoplist
    every_word = {word.lower() for language in get_stoplists() for word in get_stoplist(language)}
    assert all(word in stoplist for word in every_word)
    assert "The" not in stoplist and "the" in stoplist and "und" in stoplist
    page_words = ("trafilatura", "archive", "parquet", "wire", "simhash", "dateline",
                  "headline", "newsroom", "crawler", "pipeline")
    assert [word for word in page_words if word not in every_word]   # some are no stop word
    assert [word in stoplist for word in page_words] == [word in every_word for word in page_words]
    english = tuple(get_stoplist("English"))
    assert justext.core.define_stoplist(english) == {word.lower() for word in english}


def test_stop_word_hashes_answer_as_a_set_would():
    from pipelines.extract import StopWordHashes
    words = [f"w{k}" for k in range(0, 300, 3)]
    table = StopWordHashes(words + words[:10])     # duplicates are stored once
    assert len(table._table) == 256                # at most two thirds full
    assert [f"w{k}" in table for k in range(300)] == [k % 3 == 0 for k in range(300)]
    assert "" not in StopWordHashes([]) and "a" not in StopWordHashes(["b"])


@pytest.mark.parametrize("body, content_type", [
    ("<html><head><meta charset='utf-8'></head><body><p>Zürich – “quoted”</p></body></html>"
     .encode(), "text/html"),
    ("<html><body><p>Le café reopened – naïve</p></body></html>".encode("cp1252"),
     "text/html; charset=windows-1252"),
    ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=shift_jis">'
     "</head><body><p>東京都は火曜日</p></body></html>".encode("shift_jis"), "text/html"),
    (b"\xef\xbb\xbf<html><body><p>" + "Überschrift".encode() + b"</p></body></html>", "text/html"),
    ("<html><body><p>no charset anywhere: Gr\u00fc\u00dfe</p></body></html>".encode(), "text/html"),
])
def test_the_worker_decodes_a_page_as_scrapys_response_text(body, content_type):
    # The crawler hands its workers the bytes and the encoding Scrapy read
    # them in (crawler/spiders/news.py); the text must be the one Scrapy gives.
    from scrapy.http import HtmlResponse
    from pipelines.extract import decode_page
    response = HtmlResponse("https://example.com/a.html", body=body,
                            headers={"Content-Type": content_type})
    assert decode_page(response.body, response.encoding) == response.text


def test_a_rejected_page_is_excerpted_in_its_own_charset():
    from crawler.items import FetchedPage
    from pipelines.rejections import rejection_row
    page = FetchedPage(source="abc", url=f"{BASE}/fr", http_status=200,
                       fetched_at=datetime(2026, 12, 3, tzinfo=timezone.utc),
                       body="<html><body><p>Le café reopened – naïve</p></body></html>"
                            .encode("cp1252"), encoding="cp1252")
    # Detection alone reads these bytes as "Le cafķ reopened ¢ na’ve".
    assert rejection_row(page, "wrong_language", "fr")["excerpt"] == "Le café reopened – naïve"

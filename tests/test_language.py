"""The article's language: its text's, else the page's declaration."""

import pytest
from lxml import html as lxml_html

from pipelines.extract import PageContext, extract_article
from pipelines.language import declared_language, page_language, text_language

GERMAN = ("Die Brücke wird nach den Reparaturen im nächsten Monat wieder geöffnet, sagten "
          "Beamte am Dienstag. Ein Lastkahn hatte im März einen Pfeiler gerammt. ") * 3
ENGLISH = ("Officials said on Tuesday that the bridge would reopen next month after repairs "
           "to its deck and railings, which were damaged when a barge struck a pier. ") * 3
FRENCH = ("Le pont rouvrira le mois prochain après des réparations, ont déclaré mardi les "
          "autorités. Une barge avait heurté une pile en mars dernier. ") * 3


@pytest.mark.parametrize("markup, expected", [
    ('<html lang="en-US"><body></body></html>', "en"),
    ('<html xml:lang="de"><body></body></html>', "de"),
    ('<html><head><meta property="og:locale" content="fr_FR"></head><body></body></html>', "fr"),
    ('<html lang="{{ locale }}"><body></body></html>', None),
    ("<html><body></body></html>", None),
])
def test_declared_language(markup, expected):
    assert declared_language(lxml_html.document_fromstring(markup)) == expected


@pytest.mark.parametrize("text, expected", [
    (GERMAN, "de"),
    (FRENCH, "fr"),
    ("這是一個中文句子，用來測試語言檢測。今天天氣很好，我們去公園散步吧。" * 2, "zh"),
    ("שלום עולם, זהו משפט בעברית כדי לבדוק את זיהוי השפה של המערכת. " * 2, "he"),
    # Too short, or half one language and half another: no answer.
    ("Hello", None),
    (GERMAN[:160] + ENGLISH[:160], None),
    ("", None),
    ("lone surrogate \udcff " + ENGLISH, None),
])
def test_text_language(text, expected):
    assert text_language(text) == expected


@pytest.mark.parametrize("declared, text, expected", [
    # A content system's default declaration under a German article.
    ("en", GERMAN, "de"),
    # Nothing declared: the text's.
    (None, FRENCH, "fr"),
    # The text gives no reliable answer: the declaration.
    ("de", "Hallo", "de"),
    ("en", ENGLISH, "en"),
])
def test_page_language(declared, text, expected):
    assert page_language(declared, text) == expected


def test_an_article_is_in_its_text_language_whatever_the_page_declares():
    page = (f'<html lang="en-US"><head><title>Brücke wird wieder geöffnet</title></head><body>'
            f'<article><h1>Brücke wird wieder geöffnet</h1><p>{GERMAN}</p><p>{GERMAN}</p>'
            f'</article></body></html>')
    record = extract_article(page, PageContext(url="https://example.org/bruecke"))
    assert record["language"] == "de"

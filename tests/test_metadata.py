"""Metadata functions on small HTML strings, one case per example."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from datetime import datetime, timezone

from pipelines.metadata import (clean_authors, extract_authors, extract_image_caption_and_credit,
                                extract_image_url, extract_published_at, extract_rights,
                                extract_section, extract_tags, extract_title, given_name_first,
                                host_site_keys, parse_json_ld, title_from_segments, title_segments)


def tree(markup: str):
    return lxml_html.document_fromstring(f"<html><head>{markup}</head></html>"
                                         if "<body" not in markup else f"<html>{markup}</html>")


@pytest.mark.parametrize("markup, expected", [
    # The printed <h1> confirmed by <title> with a site suffix.
    ('<head><title>Storm hits coast › Nordish by Nature</title></head>'
     '<body><h1>Storm hits coast</h1></body>', "Storm hits coast"),
    # <h1> logo linking home is the site name, not the headline.
    ('<head><title>seelenradio » Nummer zwei: Leo</title></head>'
     '<body><h1><a href="/">seelenradio</a></h1><h2>Nummer zwei: Leo</h2></body>',
     "Nummer zwei: Leo"),
    # og:title equal to the <h1> wins over a different SEO headline in JSON-LD.
    ('<head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "SEO text"}'
     '</script><meta property="og:title" content="Nutzerbasierte Abrechnung: Stars fordern Modell">'
     '</head><body><h1>Nutzerbasierte Abrechnung: Stars fordern Modell</h1></body>',
     "Nutzerbasierte Abrechnung: Stars fordern Modell"),
    # Typographic quotes in the <h1>, ASCII ones in the metadata: the printed one.
    ('<head><meta property="og:title" content="A Paris-8, beaucoup d\'actions - Bondy Blog">'
     '</head><body><h1>A Paris-8, beaucoup d’actions</h1></body>', "A Paris-8, beaucoup d’actions"),
    # og:title equal to the site name is skipped; the only <h1> is the headline.
    ('<head><meta property="og:site_name" content="NMB-MEDIA"><meta property="og:title" '
     'content="NMB-MEDIA"></head><body><h1>Anpassung der Vorlagen</h1></body>',
     "Anpassung der Vorlagen"),
    # No heading: <title> minus the site name.
    ('<head><meta property="og:site_name" content="ABC News"><title>Envoys meet | ABC News</title>'
     '</head><body><p>x</p></body>', "Envoys meet"),
    # HTML entities left in JSON-LD are decoded.
    ('<head><script type="application/ld+json">{"@type": "NewsArticle", "headline": '
     '"Strava unveils &#8216;family&#8217; plan"}</script></head><body><p>x</p></body>',
     "Strava unveils ‘family’ plan"),
    # The only <h1> printed inside a longer og:title (a kicker before it): confirmed.
    ('<head><meta property="og:title" content="Corona-Lockerungen: Autohäuser rechnen mit '
     'Verlusten | MDR.DE"></head><body><h1>Autohäuser rechnen mit Verlusten</h1></body>',
     "Autohäuser rechnen mit Verlusten"),
    # The only <h1> holds og:title plus a kicker glued to it: og:title is the headline.
    ('<head><meta property="og:title" content="Lagen-Pyramide mit GA2"></head><body>'
     '<h1><span>Einheit der Woche</span>Lagen-Pyramide mit GA2</h1></body>',
     "Lagen-Pyramide mit GA2"),
    # The only <h1>, a headline that metadata words differently: the printed one.
    ('<head><meta property="og:title" content="Firmenwagen: Leasen oder Finanzieren? | Site">'
     '</head><body><h1>Firmenwagen: Leasing oder Finanzierung?</h1></body>',
     "Firmenwagen: Leasing oder Finanzierung?"),
    # A one-word <h1> is weaker than <title>.
    ('<head><title>Base URL test</title></head><body><h1>Lorem</h1></body>', "Base URL test"),
    # ... and two words do not outweigh og:title.
    ('<head><meta property="og:title" content="Minecraft 1.8 - The Bountiful Update"></head>'
     '<body><h1>Minecraft News</h1></body>', "Minecraft 1.8 - The Bountiful Update"),
    # An <h1> printed with the site's name (for screen readers) loses it.
    ('<head><meta property="og:site_name" content="Umweltbundesamt"><title>Atomkraft ist nicht '
     'nachhaltig | Umweltbundesamt</title></head><body><h1 class="visuallyhidden">Atomkraft ist '
     'nicht nachhaltig | Umweltbundesamt</h1></body>', "Atomkraft ist nicht nachhaltig"),
    # A hidden one-word <h1> leading <title> does not outrank the headline ending it.
    ('<head><title>News - Eawag</title><meta property="og:title" content="Auf das erste Elektron '
     'kommt es an"></head><body><h1 class="hidden">News</h1><h1>Auf das erste Elektron kommt es '
     'an</h1></body>', "Auf das erste Elektron kommt es an"),
    # The only <h1> continues the metadata title in lower case: the printed headline.
    ('<head><meta property="og:title" content="Ultium Cells erhöht Kapazität - Battery-News.de">'
     '<meta property="og:site_name" content="Battery-News.de"></head><body><h1>Ultium Cells '
     'erhöht Kapazität in Tennessee</h1></body>', "Ultium Cells erhöht Kapazität in Tennessee"),
    ('<head><title>Zitronenkuchen vom Blech | Backen</title></head><body><h1>Zitronenkuchen vom '
     'Blech: einfach köstlich!</h1></body>', "Zitronenkuchen vom Blech: einfach köstlich!"),
    # A meta "site name" that is the page's <title> and its <h1> is the headline.
    ('<head><meta name="application-name" content="Student halls too full to be safe"><title>'
     'Student halls too full to be safe</title></head><body><h1>Student halls too full to be safe'
     '</h1></body>', "Student halls too full to be safe"),
    # og:title cut at an unescaped double quote: <title> holds the whole headline.
    ('<head><title>Senador califica a Biden de "incapacitado"</title><meta property="og:title" '
     'content="Senador califica a Biden de "incapacitado""></head><body><p>x</p></body>',
     'Senador califica a Biden de "incapacitado"'),
    # og:title that <title> repeats before the site's name is whole, dashes and all.
    ('<head><title>Office 365 – HBDI – die Dritte | Damian Duchamps</title><meta '
     'property="og:title" content="Office 365 – HBDI – die Dritte"></head><body><h1><a href="/">'
     'Damian Duchamps</a></h1></body>', "Office 365 – HBDI – die Dritte"),
    # A blog's name as every page's <h1>, the post's headline an <h2>, the
    # <title> both: the headline.
    ('<head><title>Was ist Virales Marketing? |  DimidoBlog</title></head><body><h1>DimidoBlog'
     '</h1><h2>Was ist Virales Marketing?</h2><h2>Kategorien</h2></body>',
     "Was ist Virales Marketing?"),
    # ... but a two-word <h1> that <title> confirms stays the headline when
    # the rest of <title> is printed nowhere.
    ('<head><title>Brexit chaos | Daily Planet News</title></head><body><h1>Brexit chaos</h1>'
     '<h2>Most read</h2></body>', "Brexit chaos"),
    # A section's name as the only <h1>, the headline an <h2> that <title>
    # states whole: the headline.
    ('<head><title>Babies Who Eat Peanuts Early May Avoid Allergy</title></head><body><h1>'
     'Allergies Health Center</h1><h2>Tools &amp; Resources</h2><h2>Babies Who Eat Peanuts Early '
     'May Avoid Allergy</h2></body>', "Babies Who Eat Peanuts Early May Avoid Allergy"),
    # ... or as one of its segments, beside the site's name printed as <h1>.
    ('<head><title>Muffin Grundrezept : Muffin Rezepte</title></head><body><h1>Muffin Rezepte'
     '</h1><h2>Muffin Grundrezept</h2></body>', "Muffin Grundrezept"),
    # An <h2> that is only the metadata title's first words does not outrank
    # the only <h1>.
    ('<head><meta property="og:title" content="Best heated clothes airers to buy in 2024"></head>'
     '<body><h1>The best heated clothes airers to save money and energy</h1><h2>Best heated '
     'clothes airers</h2></body>', "The best heated clothes airers to save money and energy"),
    # A one-word og:title (a section's name) is weaker than a headline-sized <title>.
    ('<head><title>Impfen und Boostern ist bis Ende Februar noch überall möglich</title><meta '
     'property="og:title" content="Medienmitteilungen"></head><body><p>x</p></body>',
     "Impfen und Boostern ist bis Ende Februar noch überall möglich"),
])
def test_extract_title(markup, expected):
    assert extract_title(tree(markup), "http://example.com/a/b.html") == expected


@pytest.mark.parametrize("title, expected", [
    ("Site » Blog » Headline", ["Site", "Blog", "Headline"]),
    ("Headline | Site", ["Headline", "Site"]),
    ("Covid-19 in Berlin", ["Covid-19 in Berlin"]),
])
def test_title_segments(title, expected):
    assert title_segments(title) == expected


@pytest.mark.parametrize("names, expected", [
    (["By Stephanie Ebbs and Ben Gittleson"], ["Stephanie Ebbs", "Ben Gittleson"]),
    (["View all posts by Daniel Lemire"], ["Daniel Lemire"]),
    (["Benjamin Fischer und Marcus Theurer"], ["Benjamin Fischer", "Marcus Theurer"]),
    (["Von Anna Schmidt"], ["Anna Schmidt"]),
    (["Par Sébastien Farcis"], ["Sébastien Farcis"]),
    (["Nathan Willis March 25, 2015"], ["Nathan Willis"]),
    (["Frank Bueltge - http://bueltge.de"], ["Frank Bueltge"]),
    (["Name"], []),
    (["Super User"], []),
    (["cipha[at]cipha.net"], []),
    (["Email the author"], []),
    (["ABC News"], []),
    (["Associated Press"], []),
    (["Morgan Winsor", "morgan winsor"], ["Morgan Winsor"]),
    (["Jane Doe; John Roe"], ["Jane Doe", "John Roe"]),
    (["Post author By Helge Fahrnberger"], ["Helge Fahrnberger"]),
    (["Von FOCUS-Online-Experte Robin Tschöpe"], ["Robin Tschöpe"]),
    (["Auteur Anna Kubišta"], ["Anna Kubišta"]),
    (["Autor/in: Korinna Hennig"], ["Korinna Hennig"]), (["Autor*in Jana Roe"], ["Jana Roe"]),
    (["Sara Zinnecker Stand"], ["Sara Zinnecker"]),
    (["Redaktion datev.de"], []),
    (["publisher"], []),
    # The outlet a person writes for is no part of the name, nor a second author.
    (["By Jane Roe for The Guardian"], ["Jane Roe"]),
    (["By Jane Roe and John Doe for the New York Times"], ["Jane Roe", "John Doe"]),
    (["Jane Roe, Special to The Post"], ["Jane Roe"]),
    (["Organization for Transformative Works"], ["Organization for Transformative Works"]),
    # institutions posing as authors
    (["Bundesministerium für Wirtschaft und Energie"], []),
    (["Feuerwehr Oldenburg; Abteilung Wasserrettung"], []),
    (["Department of Health and Social Care"], []),
    (["Université de Lausanne"], []),
    (["Diakonie Deutschland"], []),
    (["Deutsches Rotes Kreuz"], []),
    (["Jane Roe, Stiftung Warentest"], ["Jane Roe"]),
])
def test_clean_authors(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("markup, expected", [
    ('<script type="application/ld+json">{"@type": "NewsArticle", "author": '
     '[{"@type": "Person", "name": "A Writer"}, {"@type": "Organization", "name": "ABC"}]}</script>',
     ["A Writer"]),
    ('<meta name="author" content="By Jane Doe">', ["Jane Doe"]),
    ('<meta name="author" content="https://facebook.com/someone">', []),
])
def test_extract_authors(markup, expected):
    assert extract_authors(tree(markup)) == expected


@pytest.mark.parametrize("names, expected", [
    # phrases in an author field: capitalised and lower-case words no name mixes
    (["deinen Hochzeitsbloggern"], []),
    (["Endlich mehr Beschleunigung wagen"], []),
    (["stol.it / Suedtirol Online"], []),
    # ... while a name may hold particles, a lower-case title, one lower-case word
    (["Ludwig van Beethoven"], ["Ludwig van Beethoven"]),
    (["dr. Anna Nowak"], ["dr. Anna Nowak"]),
    (["Jean d'Ormesson"], ["Jean d'Ormesson"]),
    (["Mobasir hassan"], ["Mobasir hassan"]),
    (['Amanda "Tania Mae" Tan'], ['Amanda "Tania Mae" Tan']),
    # a label with no name after it
    (["Article by"], []),
    # a JSON-LD author holding a serialised list of links
    (["['<a href=\"/pl/eksperci/jan-nowak\" hreflang=\"pl\">Jan Nowak</a>', "
      "'<a href=\"/pl/eksperci/anna-roe\">Anna Roe</a>']"], ["Jan Nowak", "Anna Roe"]),
])
def test_clean_authors_drops_phrases_labels_and_markup(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("name, expected", [
    ("Harm, Robert", "Robert Harm"),
    ("Jong, Michiel de", "Michiel de Jong"),
    ("Kooman, F.", "F. Kooman"),
    ("van der Berg, Anna Maria", "Anna Maria van der Berg"),
    ("Müller-Lüdenscheidt, Hans", "Hans Müller-Lüdenscheidt"),
    # two people, an organisation, a suffix: not one "Family, Given" name
    ("Jane Roe, John Doe", "Jane Roe, John Doe"),
    ("bergportal GmbH, digvis GmbH", "bergportal GmbH, digvis GmbH"),
    ("King, Martin Luther, Jr.", "King, Martin Luther, Jr."),
])
def test_given_name_first(name, expected):
    assert given_name_first(name) == expected


@pytest.mark.parametrize("markup, expected", [
    # Dublin Core names the author "Family, Given", one tag each
    ('<meta name="DC.creator" content="Harm, Robert">', ["Robert Harm"]),
    ('<meta name="DC.Creator" content="Jong, Michiel de"><meta name="DC.Creator" content="Kooman, F.">',
     ["Michiel de Jong", "F. Kooman"]),
    ('<meta name="citation_author" content="Adwan, Marwan H."><meta name="citation_author" '
     'content="Roe, Jane">', ["Marwan H. Adwan", "Jane Roe"]),
    # the author <meta> comes first
    ('<meta name="DC.creator" content="Kooman, F."><meta name="author" content="Jane Roe">',
     ["Jane Roe"]),
])
def test_catalogue_author_fields_name_every_author_given_name_first(markup, expected):
    assert extract_authors(tree(markup)) == expected


@pytest.mark.parametrize("names, expected", [
    (["Chris Jung"], ["Chris Jung"]),
    (["Nikhil Marathe"], ["Nikhil Marathe"]),
    (["Loïc Le Clerc"], ["Loïc Le Clerc"]),
    (["Joshua Sokol May 3, 2019"], ["Joshua Sokol"]),
    (["Lucas Nolan22 Dec 2016651"], ["Lucas Nolan"]),
])
def test_clean_authors_cuts_dates_but_not_names_that_look_like_months(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("names, expected", [
    (["Joe Wee, February 3, 2015"], ["Joe Wee"]),
    (["Last Updated: January 7, 2025"], []),
    (["Aleš Vávra před 3 hodinami"], ["Aleš Vávra"]),
    (["Anna Schmidt vor 2 Stunden"], ["Anna Schmidt"]),
    (["Username"], []),
    (["Submitted by Jane Doe"], ["Jane Doe"]),
    (["Submitted"], []),
    (["Maya Updated"], ["Maya"]),
])
def test_clean_authors_drops_date_labels_and_relative_times(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("names, expected", [
    (["Dana Ford, Tom Watkins, CNN"], ["Dana Ford", "Tom Watkins"]),
    (["AFP"], []),
    (["Kooman, F."], ["Kooman"]),
    (["Al Li"], ["Al Li"]),
    (["GILLIAN MOHNEY"], ["GILLIAN MOHNEY"]),
])
def test_clean_authors_drops_outlet_acronyms_and_lone_initials(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("name, description, expected", [
    # A WordPress display name, and Yoast's author bio opening with the full name.
    ("Nils", "Nils Pickert ist freier Autor und Journalist.", ["Nils Pickert"]),
    ("Stefanus", "Stefanus Stahl - Maschinenbauer, Abenteurer und ICB-Projektleiter.",
     ["Stefanus Stahl"]),
    # A capitalised word after the surname may be a noun ("Journalistin"):
    # the name is not guessed.
    ("Anna", "Anna Schmidt Journalistin bei der Zeitung.", ["Anna"]),
    # A description that does not open with the name.
    ("Nils", "Writes about children and equality.", ["Nils"]),
])
def test_a_one_word_json_ld_author_is_completed_from_its_description(name, description,
                                                                      expected):
    markup = ('<script type="application/ld+json">{"@type": "BlogPosting", "author": '
              f'{{"@type": "Person", "name": "{name}", "description": "{description}"}}}}'
              '</script>')
    assert extract_authors(tree(markup)) == expected


def test_authors_from_any_json_ld_object_when_no_article_names_one():
    markup = ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage", '
              '"author": {"@type": "Person", "name": "Doris Schuppe"}}]}</script>')
    assert extract_authors(tree(markup)) == ["Doris Schuppe"]


@pytest.mark.parametrize("text, expected", [
    ('{"a": 1}', {"a": 1}),
    ("\n  <![CDATA[\n  {\"a\": 1}\n  ]]>\n", {"a": 1}),
    ('<!--//--><![CDATA[//><!--\n{"a": 1}\n//--><!]]>', {"a": 1}),
    ('<!-- {"a": 1} -->', {"a": 1}),
    ('{"a": "line\nbreak"}', {"a": "line\nbreak"}),
    ("{not json", None),
    ("  ", None),
])
def test_parse_json_ld_unwraps_cdata_and_comments(text, expected):
    assert parse_json_ld(text) == expected


def test_published_date_from_json_ld_wrapped_in_cdata():
    markup = ('<script type="application/ld+json"><![CDATA[ {"@type": "Article", '
              '"datePublished": "2001-10-29T01:59:14Z"} ]]></script>'
              '<meta property="article:published_time" content="2008-02-17">')
    assert extract_published_at(tree(markup)) == datetime(2001, 10, 29, 1, 59, 14,
                                                           tzinfo=timezone.utc)


@pytest.mark.parametrize("url, expected", [
    ("https://www.lastampa.it/cronaca/a.html", {"lastampa", "lastampait"}),
    ("http://mactechnews.de/forum/x", {"mactechnews", "mactechnewsde"}),
    ("http://fakehost/test/a.html", set()),
    (None, set()),
])
def test_host_site_keys(url, expected):
    assert host_site_keys(url) == expected


@pytest.mark.parametrize("title, site_keys, headings, expected", [
    # The host spelled as a site name, at either end.
    ("Perturbazione polare al Sud - La Stampa", {"lastampa"}, set(), "Perturbazione polare al Sud"),
    ("Gefahrstoffe | MacTechNews.de", {"mactechnewsde"}, set(), "Gefahrstoffe"),
    # Three or more segments: site, blog and section are short, the headline long.
    ("Disfunctions » Blog Archiv » Podcasts in Plex einbinden", set(), set(),
     "Podcasts in Plex einbinden"),
    ("EFC Bembel - Eintracht stellt Weichen für die Zukunft - Presse - News", set(), set(),
     "Eintracht stellt Weichen für die Zukunft"),
    # A segment printed as a heading is the headline, even when shorter.
    ("Gregory's Digital Home | Mercurial on Python 3", set(), {"Mercurial on Python 3"},
     "Mercurial on Python 3"),
    # Two unknown segments: left for strip_site_name to judge.
    ("Alles neu | Bibliothek 2.0", set(), set(), "Alles neu | Bibliothek 2.0"),
    ("One headline without separators", {"site"}, set(), "One headline without separators"),
])
def test_title_from_segments(title, site_keys, headings, expected):
    assert title_from_segments(title, site_keys, headings) == expected


def test_title_newlines_are_folded():
    markup = ("<head><title>\n  Gregory's Home\n | Mercurial on Python 3\n</title></head>"
              "<body><h2>Mercurial on Python 3</h2><p>x</p></body>")
    assert extract_title(tree(markup), "http://gregoryszorc.com/a") == "Mercurial on Python 3"


@pytest.mark.parametrize("markup, expected", [
    ("<body><p>Text.</p><footer><p>© 2020 Site Ltd. All rights reserved.</p></footer></body>",
     "© 2020 Site Ltd. All rights reserved."),
    ("<body><small>COPYRIGHT 2019 <a href='/'>Site</a></small></body>", "COPYRIGHT 2019 Site"),
    # The marker in a tail text: the block around it.
    ("<body><div><b>Site</b> all rights reserved</div></body>", "Site all rights reserved"),
    ("<body><p>We reserved a table.</p><p>(c) 2021 Site</p></body>", "(c) 2021 Site"),
    ("<body><p>No rights line here.</p></body>", None),
])
def test_extract_rights_from_the_page(markup, expected):
    assert extract_rights(tree(markup), ld=[]) == expected


@pytest.mark.parametrize("markup, expected", [
    # A related post's date before the article's own.
    ('<body><ul class="related-posts"><li><time datetime="2009-04-11">x</time></li></ul>'
     '<article><time datetime="2019-10-22">Oct 22</time></article></body>', datetime(2019, 10, 22)),
    ('<body><aside><time datetime="2023-08-29T10:00Z">x</time></aside>'
     '<time datetime="2023-08-30T15:45Z">y</time></body>', datetime(2023, 8, 30, 15, 45)),
    ('<body><div id="comment-12"><span class="date">10.05.2015</span></div>'
     '<div class="post-date">21.01.2015</div></body>', datetime(2015, 1, 21)),
    # Layout flags on wrappers and classes of <body> do not hide the date.
    ('<body class="one-sidebar"><div class="layout has-sidebar"><time datetime="2022-02-02">x'
     '</time></div></body>', datetime(2022, 2, 2)),
])
def test_published_date_skips_related_posts_comments_and_asides(markup, expected):
    assert extract_published_at(tree(markup)) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("markup, expected", [
    # A ticker's <time> first, the article's microdata date after it.
    ('<body><div class="ticker"><time datetime="2023-10-10T12:20:56Z">x</time></div><article>'
     '<time itemprop="datePublished" datetime="2023-10-18T09:45:00Z">18. Okt 2023</time></article>'
     '</body>', datetime(2023, 10, 18, 9, 45)),
    # ... also in an <aside> of an item typed as an article, and given as content.
    ('<body><time datetime="2020-07-06">x</time><article itemscope itemtype="https://schema.org/'
     'NewsArticle"><aside class="meta"><span itemprop="datePublished" content="2023-10-18">18. '
     'Okt</span></aside></article></body>', datetime(2023, 10, 18)),
    # An <aside> outside such an item is another story's.
    ('<body><aside><span itemprop="datePublished" content="2019-01-01">x</span></aside>'
     '<time datetime="2023-10-18">y</time></body>', datetime(2023, 10, 18)),
])
def test_published_date_from_microdata_before_other_times(markup, expected):
    assert extract_published_at(tree(markup)) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("markup, expected", [
    ('<body><h1><span class="article-heading__kicker">Klimaschutz</span><span class="visually-hidden">'
     ': </span><span class="article-heading__title">Bohren, bis es heiß wird</span></h1></body>',
     "Bohren, bis es heiß wird"),
    ('<body><h1> <span class="dachzeile">Nach Lockerungen</span> <span class="headline">Autohäuser '
     'rechnen mit Anlauf</span> </h1></body>', "Autohäuser rechnen mit Anlauf"),
    ('<body><h1><span class="kicker">Brexit</span>Parliament delays\n   vote</h1></body>',
     "Parliament delays vote"),
    ('<body><h1><span class="title-head">Zoonosen</span><span aria-hidden="true"> – </span>'
     '<span>Wie Umweltzerstörung Epidemien begünstigt</span></h1></body>',
     "Zoonosen Wie Umweltzerstörung Epidemien begünstigt"),
    ('<body><h1>Plain <b>headline</b></h1></body>', "Plain headline"),
    # A forum's prefix label, a topic label.
    ('<body><h1><a href="/t/1"><span class="label label--blue">Patch Notes</span>Patchnotes 4.47 - '
     'Bugfix Build</a></h1></body>', "Patchnotes 4.47 - Bugfix Build"),
    ('<body><h1><div class="topic-label">100. Geburtstag</div> Margot Friedländer wird 100</h1>'
     '</body>', "Margot Friedländer wird 100"),
    # The part classed as the headline, beside a kicker in another style.
    ('<body><h1><span class="fake-h5">Strompreisbremse</span><span>: </span><span class="headline">'
     'Bundesregierung drosselt Bioenergie</span></h1></body>', "Bundesregierung drosselt Bioenergie"),
    # ... but not a kicker that is also classed "headline".
    ('<body><h1><span class="headline headline--topline">Auftragshoch</span><span class="headline">'
     ': </span><span class="headline headline--1">Luftfahrt hebt ab</span></h1></body>',
     "Luftfahrt hebt ab"),
])
def test_title_without_kicker(markup, expected):
    assert extract_title(tree(markup), "http://example.com/a/b.html") == expected


YOAST_GRAPH = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
               '{"@type": "Article", "headline": "H", "author": {"@id": "https://x.org/#/schema/person/1"},'
               ' "publisher": {"@id": "https://x.org/#organization"}},'
               '{"@type": "Person", "@id": "https://x.org/#/schema/person/1", "name": "Evan Symon"}]}'
               '</script>')


def test_authors_json_ld_reference_resolved():
    """Yoast SEO names the article's author by @id; the Person is elsewhere in the graph."""
    assert extract_authors(tree(f"<head>{YOAST_GRAPH}</head><body><p>x</p></body>")) == ["Evan Symon"]


@pytest.mark.parametrize("markup, expected", [
    # The site's own name as meta author is the publisher.
    ('<head><meta property="og:site_name" content="CyberCook"><meta name="author" '
     'content="CyberCook"></head><body><p>x</p></body>', []),
    # An organisation by its legal form or as a domain name.
    ('<head><meta name="author" content="wegewerk GmbH"></head><body><p>x</p></body>', []),
    ('<head><meta name="author" content="kath.net"></head><body><p>x</p></body>', []),
    # The site's name after an article ("Die FURCHE" on furche.at).
    ('<head><meta property="og:site_name" content="Furche"><meta name="author" '
     'content="Die FURCHE"></head><body><p>x</p></body>', []),
    # A JSON-LD author typed Person stays, even when the blog is named after her.
    ('<head><meta property="og:site_name" content="Haki Benita"><script type="application/ld+json">'
     '{"@type": "BlogPosting", "author": {"@type": "Person", "name": "Haki Benita"}}</script>'
     '</head><body><p>x</p></body>', ["Haki Benita"]),
    # ... but not when an organisation publishes the site under that name.
    ('<head><script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": '
     '"Person", "name": "Cyber Cook"}, "publisher": {"@type": "Organization", "name": '
     '"CyberCook"}}</script></head><body><p>x</p></body>', []),
    ('<head><script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": '
     '"Person", "name": "Jane Roe"}, "publisher": {"@type": "Organization", "name": '
     '"CyberCook"}}</script></head><body><p>x</p></body>', ["Jane Roe"]),
    # The site's name written with its accents, the host without them.
    ('<head><meta name="author" content="Cyber Cóok"></head><body><p>x</p></body>', []),
])
def test_authors_publisher_is_not_an_author(markup, expected):
    assert extract_authors(tree(markup), url="https://www.cybercook.com.br/receita") == expected


@pytest.mark.parametrize("byline, expected", [
    # The outlet closes the list of people; the bureau's place follows it.
    ("By Nada Tawfik, BBC News, New York", ["Nada Tawfik"]),
    ("JOSH BOAK and Jane Roe, AP, Washington", ["JOSH BOAK", "Jane Roe"]),
    ("Jane Roe, The Daily Planet, Metropolis", ["Jane Roe"]),
    # Without an outlet every name stays.
    ("Jane Roe, John Doe, Max Mustermann", ["Jane Roe", "John Doe", "Max Mustermann"]),
])
def test_authors_bureau_after_the_outlet_is_not_an_author(byline, expected):
    markup = ('<head><meta property="og:site_name" content="The Daily Planet">'
              f'<meta name="author" content="{byline}"></head><body><p>x</p></body>')
    assert extract_authors(tree(markup)) == expected


def test_authors_fall_through_to_byline_when_meta_is_not_a_person():
    markup = '<head><meta name="author" content="LAOLA1.at"></head><body><p>x</p></body>'
    assert extract_authors(tree(markup), fallback=lambda: "Alexander Karper") == ["Alexander Karper"]


@pytest.mark.parametrize("names, expected", [
    (["GIROMATCH, Frankfurt a. M, Germany"], []),     # an organisation's address
    (["dpa"], []), (["Dpa"], []),                      # agencies in any case
    (["Art Edwards says"], []),                        # a commenter
    (["Stand"], []), (["Zuletzt geändert"], []),       # date labels
    (["No Author"], []), (["anónimo"], []),
])
def test_clean_authors_not_people(names, expected):
    assert clean_authors(names) == expected


@pytest.mark.parametrize("names, expected", [
    # A role after the name, with its qualifier; a desk of three words stays a desk.
    (["Ben Silverman Games Editor"], ["Ben Silverman"]),
    (["Adam Aaronson PhillyVoice Staff"], ["Adam Aaronson"]),
    (["Our Foreign Staff"], []),
    # A credit or a link printed after the name.
    (["Christian Seiler Illustration von"], ["Christian Seiler"]),
    (["Jil Schuller Alle Artikel"], ["Jil Schuller"]),
    # A degree after a comma is no second author.
    (["Grant Tinsley, PhD"], ["Grant Tinsley"]),
    # Two people in an interview's byline.
    (["Richard David Precht im Gespräch mit Karin Fischer"], ["Richard David Precht", "Karin Fischer"]),
    # A login name with dots for spaces; a domain stays a domain (and is no person).
    (["robert.stitz"], ["Robert Stitz"]), (["edilson.la.rosa"], ["Edilson La Rosa"]),
    (["tennisnet.com"], ["tennisnet.com"]), (["Isabella.DiBiase"], ["Isabella.DiBiase"]),
    # A profile's address is not a name.
    (["facebook.com/vegolosi"], []),
    # A login with digits is none, not a name without its digits; a date after a name is cut.
    (["happyface313"], []), (["CC7567"], []), (["Jane Roe 12.05.2020"], ["Jane Roe"]),
])
def test_clean_authors_roles_credits_degrees_logins(names, expected):
    assert clean_authors(names) == expected


def test_labelled_author_kept_on_a_blog_named_after_her():
    markup = ('<head><meta property="og:site_name" content="Wolfgang Michal"><meta '
              'name="twitter:label1" content="Written by"><meta name="twitter:data1" '
              'content="Wolfgang Michal"></head><body><p>x</p></body>')
    assert extract_authors(tree(markup), url="https://www.wolfgangmichal.de/a") == ["Wolfgang Michal"]


@pytest.mark.parametrize("site_name, meta_author, byline, expected", [
    # The site's name and its author in one field.
    ("unocero", "unocero - Alberto Ávila", "", ["Alberto Ávila"]),
    # The publisher as the author: no one, so the printed byline is read.
    ("Jobs &amp; Hire", "Jobs &amp; Hire", "<p class=byline>By Jose de la Cruz</p>", ["Jose de la Cruz"]),
    # The site's name and its tagline: no one either.
    ("L-MAG", "L-MAG – Das Magazin für Lesben", "<p>Von Claudia Lindner</p>", ["Claudia Lindner"]),
])
def test_the_sites_own_name_in_the_meta_author_is_not_a_person(site_name, meta_author, byline, expected):
    markup = (f'<head><meta property="og:site_name" content="{site_name}">'
              f'<meta name="author" content="{meta_author}"></head><body>{byline}<p>x</p></body>')
    assert extract_authors(tree(markup), url="https://www.example.com/a") == expected


def test_byline_category_list_is_not_authors():
    markup = '<head></head><body><p>x</p></body>'
    assert extract_authors(tree(markup), fallback="CSP; International; Photovoltaik; Speicher") == []


def test_one_word_person_named_like_the_site_is_the_publisher():
    markup = ('<head><script type="application/ld+json">{"@type": "BlogPosting", "author": '
              '{"@type": "Person", "name": "hejfish"}}</script></head><body><p>x</p></body>')
    assert extract_authors(tree(markup), url="https://www.hejfish.com/news/1") == []


def _dated_page(printed: str) -> str:
    return ('<head><script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2020-01-03T09:48:24Z", "dateModified": "2020-01-06T09:22:36Z"}'
            f'</script></head><body><h1>H</h1><div class="date">{printed}</div><p>x</p></body>')


@pytest.mark.parametrize("printed, day", [
    # The page prints the update's day only: that is the date it gives readers.
    ("Monday, 6 January 2020", 6),
    # It prints the publication day: the stated publication date.
    ("Friday, 3 January 2020", 3),
    # Nothing printed: the stated publication date.
    ("", 3),
])
def test_published_at_printed_update(printed, day):
    value = extract_published_at(tree(_dated_page(printed)),
                                 now=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert value.day == day


@pytest.mark.parametrize("metas, expected_day", [
    # Only a generic <meta name="date">: the date printed for readers wins.
    ('<meta name="date" content="2020-04-30">', 29),
    # A specific publication meta is kept.
    ('<meta property="article:published_time" content="2020-04-30T08:00:00Z">', 30),
])
def test_published_at_generic_date_meta(metas, expected_day):
    markup = (f'<head>{metas}</head><body><h1>H</h1><span class="date">29.04.2020, 12:01</span>'
              '<p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert value.day == expected_day


def test_published_at_generic_date_meta_confirmed_by_the_page():
    # The header's clock prints today's date as "date"; the breadcrumb prints
    # the meta's day: the meta is the article's date.
    markup = ('<head><meta name="date" content="2017-05-01T17:05:00+0200"></head><body>'
              '<header><span class="site-date">Mittwoch, 26.02.2020</span></header>'
              '<div class="crumbs"><span>Kultur</span><span>01.05.2017</span></div>'
              '<h1>H</h1><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert value == datetime(2017, 5, 1, 15, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("clock, expected", [
    # A forum's clock is the reader's current time, not the post's.
    ("Aktuelle Zeit: 14.10.2020, 12:18", "2009-01-21"),
    ("It is currently Wed Oct 14, 2020 12:18 pm", "2009-01-21"),
])
def test_published_at_skips_a_printed_clock(clock, expected):
    markup = (f'<body><p class="time">{clock}</p><h1>H</h1>'
              '<p class="post-date">21.01.2009, 05:42</p><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert value.date().isoformat() == expected


@pytest.mark.parametrize("times, expected", [
    # A lone meta against every <time> of the article, printed: the page's day.
    ('<time datetime="2022-01-25">25.01.2022</time>' * 2, "2022-01-25"),
    # The <time>s disagree among themselves: the meta.
    ('<time datetime="2022-01-25">25.01.2022</time><time datetime="2022-01-24">24.01.2022</time>',
     "2022-01-15"),
    # The <time>'s day is not printed: the meta.
    ('<time datetime="2022-01-25"></time>', "2022-01-15"),
])
def test_published_at_lone_meta_against_the_time_elements(times, expected):
    markup = ('<head><meta property="article:published_time" content="2022-01-15"></head>'
              f'<body><h1>H</h1><div class="meta">{times}</div><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert value.date().isoformat() == expected


@pytest.mark.parametrize("body, expected", [
    ('<h1>H</h1><address>By Tim Anderson</address><p>Text.</p>', ["Tim Anderson"]),
    ('<h1>H</h1><p>Veröffentlicht am 13. März 2019 von Michael Veeser-Dombrowski</p>',
     ["Michael Veeser-Dombrowski"]),
    ('<h1>H</h1><p>Von Volkmar Kabisch, Jan Lukas Strozyk und Benedikt Strunz, NDR</p>',
     ["Volkmar Kabisch", "Jan Lukas Strozyk", "Benedikt Strunz"]),
    ('<h1>H</h1><em>Written by: Julie Mollins</em>', ["Julie Mollins"]),
    # After a comma, a role running on in lower case is no second author ("de"
    # of "der" is no name particle either); names after "and" stay.
    ('<h1>H</h1><p>Autorin: Uta Staschewski, Projektleiterin der HSS in Tunesien.</p>',
     ["Uta Staschewski"]),
    ('<h1>H</h1><p>By Jane Roe, John Doe and Ann Lee July 11, 2011</p>',
     ["Jane Roe", "John Doe", "Ann Lee"]),
    ('<h1>H</h1><p>Von Anna de Vries und Peter Meier am 3. Mai</p>', ["Anna de Vries", "Peter Meier"]),
    # Running text, a place or a lone noun after "von"/"by" is not a byline.
    ('<h1>H</h1><p>Die Unterlagen stammen von etwa einem Jahr.</p>', []),
    ('<h1>H</h1><p>Von Helsingborg nach Malmö</p>', []),
    # A byline inside the comments is a commenter's.
    ('<h1>H</h1><div class="comments"><p>By Jane Roe</p></div>', []),
])
def test_printed_byline(body, expected):
    assert extract_authors(tree(f"<head></head><body>{body}</body>")) == expected


@pytest.mark.parametrize("body, expected", [
    # The label in its own element, the name after it in the block.
    ('<h1>H</h1><ul><li><strong>Autorin/Autor</strong> Roman Goncharenko</li></ul>',
     ["Roman Goncharenko"]),
    ('<h1>H</h1><ul><li>Von: <a href="/p/1">Bill MCCARTHY</a>, <a href="/p/2">Marisha GOLDHAMER'
     '</a></li></ul>', ["Bill MCCARTHY", "Marisha GOLDHAMER"]),
    # The label alone in its element, the name in the next, no space between
    # them in the markup (ABC's owned stations).
    ('<h1>H</h1><div><span>By</span><span><a href="/team/ab">Alex Bozarjian</a></span>'
     '<span><img alt="KTRK logo" src="l.png"></span></div><div>Wednesday, November 8, 2023</div>',
     ["Alex Bozarjian"]),
    # A name with its copy for screen readers is one name.
    ('<h1>H</h1><p>Par <a href="/a/om">Olivier Minot<span class="sr-only">Olivier Minot</span>'
     '</a></p>', ["Olivier Minot"]),
    # The name ends with its element: the next element's words are not part of it.
    ('<h1>H</h1><div><span>by</span><a href="/u/s">Sleyca Reed</a><h2>ONE HUNDRED TWO</h2></div>',
     ["Sleyca Reed"]),
    # Read from the label on, whatever the block printed before it; the next
    # label ends the name.
    ('<h1>H</h1><div><span>Datum:</span> 19.11.2021<br><span>Autor:</span> Fritz Imhof<br>'
     '<span>Quelle:</span> Livenet</div>', ["Fritz Imhof"]),
    ('<h1>H</h1><div><span>Datum:</span> 19.11.2021<br><span>Ein Beitrag von Anna Berg</span>'
     '</div>', ["Anna Berg"]),
    ('<h1>H</h1><div class="article"><byline>Von David Hutzler, dpa</byline><p>Niedrige Zinsen'
     ' und der anhaltende Aktienboom ziehen immer mehr junge Menschen an die Börse. So zumindest'
     ' die allgemeine Wahrnehmung.</p></div>',
     ["David Hutzler"]),
    # A label opening a tail is running text, not a byline.
    ('<h1>H</h1><p>Firefox began as a branch of the <a href="/m">Mozilla codebase</a> by '
     '<a href="/h">Dave Hyatt</a>, <a href="/j">Joe Hewitt</a> and <a href="/b">Blake Ross</a>.'
     '</p>', []),
])
def test_printed_byline_label_apart(body, expected):
    assert extract_authors(tree(f"<head></head><body>{body}</body>")) == expected


def test_a_theme_byline_naming_the_site_does_not_hide_the_article_byline():
    markup = ('<head><meta property="og:site_name" content="The Planetary Press"></head><body>'
              '<h1>H</h1><div class="td-post-author-name">By <a href="/author/x">The '
              'Planetary Press</a></div><p><em>Courtesy of Forests News</em></p>'
              '<p><em>Written by: <a href="https://example.org/j">Julie Mollins</a> </em></p>'
              '<p>Indigenous Peoples have managed landscapes for millennia.</p></body>')
    assert extract_authors(tree(markup)) == ["Julie Mollins"]


def test_published_at_update_stamped_before_publication_is_not_the_date():
    # A post scheduled for the 25th was last saved on the 7th: the modified
    # date lies before the publication and is not the page's date, even when
    # a theme prints it.
    markup = ('<head><meta property="article:published_time" content="2022-12-25T11:00:02+00:00">'
              '<meta property="article:modified_time" content="2022-12-07T09:10:52+00:00">'
              '</head><body><h1>H</h1><span class="date">2022-12-07 10:10</span><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert value.date().isoformat() == "2022-12-25"


@pytest.mark.parametrize("url, expected", [
    # Only a printed date (another item's, an update): the URL's day wins.
    ("https://blog.example.org/2017/06/07/post/", "2017-06-07"),
    # No date in the URL: the printed one.
    ("https://blog.example.org/post/", "2019-01-07"),
])
def test_published_at_printed_only_yields_to_url_day(url, expected):
    markup = '<body><h1>H</h1><span class="date">Jan 7 2019, 16:05</span><p>x</p></body>'
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc),
                                 url=url)
    assert value.date().isoformat() == expected


def test_published_at_stated_date_is_not_overridden_by_url_day():
    markup = ('<head><meta property="article:published_time" content="2021-03-14T20:10:50Z">'
              '</head><body><h1>H</h1><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc),
                                 url="https://example.org/2021/03/08/story/")
    assert value.date().isoformat() == "2021-03-14"


@pytest.mark.parametrize("body, expected", [
    ('<p>Veröffentlicht am 16.08.2019</p>', "2019-08-16"),
    ('<p class="footer">Letzte Änderung: 31.10.2023<br>Erschienen am: 01.11.2023</p>',
     "2023-11-01"),
    ('<div>Published on <span>May 3, 2021</span></div>', "May 3, 2021"),
    # A comment's date is another item's.
    ('<div class="comments"><p>Posted on 24.08.2019</p></div>', None),
    # No label: nothing.
    ('<p>Am 16.08.2019 fand das Fest statt.</p>', None),
])
def test_labelled_published_date(body, expected):
    from pipelines.metadata import labelled_published_date
    value = labelled_published_date(tree(f"<body><h1>H</h1>{body}</body>"))
    assert (value if value is None or not value[0].isdigit() else value[:10]) == expected


@pytest.mark.parametrize("printed, expected", [
    # JSON-LD and article:published_time disagree; the page prints the meta's day.
    ("06.01.2022", "2022-01-06"),
    # It prints the JSON-LD's day.
    ("4. Januar 2022", "2022-01-04"),
    # It prints neither: the JSON-LD date as before.
    ("", "2022-01-04"),
])
def test_published_at_disagreeing_stated_dates_printed_one_wins(printed, expected):
    markup = ('<head><script type="application/ld+json">{"@type": "NewsArticle", '
              '"datePublished": "2022-01-04T07:29:00.000Z"}</script>'
              '<meta property="article:published_time" content="2022-01-06T08:29:34"></head>'
              f'<body><h1>H</h1><div class="info-item">{printed}</div><p>x</p></body>')
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert value.date().isoformat() == expected


@pytest.mark.parametrize("metas, expected", [
    # Yoast's Twitter card pair names the author.
    ('<meta name="twitter:label1" content="Verfasst von"><meta name="twitter:data1" '
     'content="Karoline Herr">', ["Karoline Herr"]),
    # Another label (reading time) is not an author.
    ('<meta name="twitter:label1" content="Est. reading time"><meta name="twitter:data1" '
     'content="5 Minuten">', []),
    ('<meta name="shareaholic:article_author_name" content="Wolf Gang">', ["Wolf Gang"]),
])
def test_authors_from_sharing_plugin_meta(metas, expected):
    assert extract_authors(tree(f"<head>{metas}</head><body><p>x</p></body>")) == expected


@pytest.mark.parametrize("body, expected", [
    ('<div class="metaInfo"><strong>Ein Artikel von Pamela Sladky | 27.01.2022 - 12:45</strong>'
     '</div>', ["Pamela Sladky"]),
    ('<p>Auteur : Kossivi Tiassou</p>', ["Kossivi Tiassou"]),
    ('<p><em>Text von Christian Seiler</em></p>', ["Christian Seiler"]),
    # "Text" without a colon opens a heading, not a byline.
    ('<h3>Text Without Notes</h3>', []),
])
def test_authors_printed_byline_more_labels(body, expected):
    assert extract_authors(tree(f"<body><h1>H</h1>{body}<p>x</p></body>")) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Von Günter W. Kienitz", "Günter W. Kienitz"),
    ("T. V. Raman", "T. V. Raman"),
    ("Isabella.DiBiase", "Isabella.DiBiase"),
    # A full stop after the last name ends the sentence.
    ("By Jane Roe.", "Jane Roe"),
    ("Anna Schmidt", "Anna Schmidt"),
])
def test_restore_dotted_names(raw, expected):
    from trafilatura.json_metadata import normalize_authors
    from pipelines.metadata import restore_dotted_names
    assert restore_dotted_names(normalize_authors(None, raw), raw) == expected


@pytest.mark.parametrize("body, expected", [
    # The date printed after a calendar icon.
    ('<span class="icon-calendar"></span> 12.01.2022', "2022-01-12"),
    ('<i class="fa fa-calendar"></i> 16.10.2021', "2021-10-16"),
])
def test_published_at_date_after_calendar_icon(body, expected):
    markup = f'<body><h1>H</h1><div class="info">{body}</div><p>x</p></body>'
    value = extract_published_at(tree(markup), now=datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert value.date().isoformat() == expected


_LONG = (" und die Branche hatte die Bundesregierung mehrfach gewarnt, doch nun ist es "
         "trotzdem so gekommen, wie viele befürchtet hatten.")


@pytest.mark.parametrize("para, expected", [
    ("29.11.2022 – Mehrfach" + _LONG, "2022-11-29"),
    ("(21. November 2022) Energieverbraucher" + _LONG, "2022-11-21"),
    ("Karlsruhe, (12.11.2021). Traditionell" + _LONG, "2021-11-12"),
    # A date inside the sentence is not a dateline.
    ("Am 16.08.2019 fand das Fest statt" + _LONG, None),
])
def test_dateline_date(para, expected):
    from pipelines.metadata import dateline_date
    assert dateline_date(tree(f"<body><h1>H</h1><p>{para}</p></body>")) == expected


def test_date_at_start():
    from pipelines.dates import date_at_start
    assert date_at_start("May 3, 2021 - text")[0] == "May 3, 2021"
    assert date_at_start("3. Mai 2021: text")[0] == "2021-05-03"
    assert date_at_start("text 3. Mai 2021") is None


@pytest.mark.parametrize("body, expected", [
    # WordPress's hCard in the entry meta names the author (a blog handle).
    ('<div class="entry-meta">Veröffentlicht <span class="by-author"><span class="author vcard">'
     '<a class="url fn n" href="/author/marc/">marc</a></span></span></div>', ["marc"]),
    # A commenter's card is another person.
    ('<div class="comments"><div class="comment-author vcard"><cite class="fn">Eve Doe</cite>'
     '</div></div>', []),
    # "fn" elsewhere (a footnote) is no author.
    ('<p><sup class="fn">1</sup></p>', []),
])
def test_authors_from_hcard(body, expected):
    assert extract_authors(tree(f"<body><h1>H</h1><p>x</p>{body}</body>")) == expected


AP_LD = ('<script type="application/ld+json">{"@type": "NewsArticle", "articleSection": '
         '["Politics", "U.S. News"], "keywords": ["Kamala Harris", "web", "Kamala Harris"], '
         '"image": [{"@type": "ImageObject", "url": "/lead.jpg", "caption": "Harris speaks. '
         '(AP Photo/Jacquelyn Martin)"}]}</script>')


@pytest.mark.parametrize("markup, expected", [
    # The keyword metas hold the whole list; article:tag is often cut short.
    ('<meta name="news_keywords" content="Mexico, Mexico City ,Latin America">'
     '<meta property="article:tag" content="Mexico">', ["Mexico", "Mexico City", "Latin America"]),
    ('<meta name="keywords" content="UK riots,Hull,hull"><meta property="article:tag" content="Hull">',
     ["UK riots", "Hull"]),
    # One tag a meta (Open Graph), in page order.
    ('<meta property="article:tag" content="Kitchen"><meta property="article:tag" content="Life hacks">',
     ["Kitchen", "Life hacks"]),
    # JSON-LD keywords when no meta has any; duplicates dropped.
    (AP_LD, ["Kamala Harris", "web"]),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "keywords": "AI, RPA"}</script>',
     ["AI", "RPA"]),
    ('<meta name="parsely-tags" content="Kitchen,Cleaning">', ["Kitchen", "Cleaning"]),
    ('<meta name="description" content="No tags here">', []),
])
def test_extract_tags(markup, expected):
    assert extract_tags(tree(markup)) == expected


@pytest.mark.parametrize("markup, expected", [
    (AP_LD + '<meta property="article:section" content="World">', "Politics"),
    ('<meta property="article:section" content=" UK  News ">', "UK News"),
    ('<meta name="parsely-section" content="Sport">', "Sport"),
    ('<meta name="description" content="No section">', None),
])
def test_extract_section(markup, expected):
    assert extract_section(tree(markup)) == expected


@pytest.mark.parametrize("markup, expected", [
    # JSON-LD's image first, made absolute against the page's URL.
    (AP_LD + '<meta property="og:image" content="https://cdn.example/og.jpg">',
     "https://news.example/lead.jpg"),
    ('<meta property="og:image" content="//cdn.example/og.jpg">', "https://cdn.example/og.jpg"),
    ('<meta name="twitter:image" content="https://cdn.example/tw.jpg">', "https://cdn.example/tw.jpg"),
    ('<link rel="image_src" href="/src.jpg">', "https://news.example/src.jpg"),
    ('<meta property="og:image" content="data:image/png;base64,AAAA">', None),
])
def test_extract_image_url(markup, expected):
    assert extract_image_url(tree(markup), "https://news.example/2024/story.html") == expected


@pytest.mark.parametrize("markup, expected", [
    # The JSON-LD image's caption; the credit closing it is the credit.
    (AP_LD, ("Harris speaks.", "AP Photo/Jacquelyn Martin")),
    # The lead figure's caption without its credit element.
    ('<body><figure><img src="a.jpg"><figcaption>The gutted remains of two buildings. '
     '<span class="credit">Photograph: Eva Manez/Reuters</span></figcaption></figure>'
     '<figure><img src="b.jpg"><figcaption>Another picture</figcaption></figure></body>',
     ("The gutted remains of two buildings.", "Eva Manez/Reuters")),
    # A credit printed as text at the caption's end.
    ('<body><figure><img src="a.jpg"><figcaption>All six British players won (Photos: Getty/AP)'
     '</figcaption></figure></body>', ("All six British players won", "Getty/AP")),
    ('<body><figure><img src="a.jpg"><figcaption>Harry and Meghan <cite>Getty</cite>'
     '</figcaption></figure></body>', ("Harry and Meghan", "Getty")),
    # No figure: an element classed caption beside the image.
    ('<body><div class="photo"><img src="a.jpg"><span class="newsCaption">A Spotify chief '
     'spoke (Image: Getty)</span></div></body>', ("A Spotify chief spoke", "Getty")),
    # A caption-classed element with no image beside it is not a caption.
    ('<body><form><label class="caption">Forgot your password?</label></form></body>', (None, None)),
    # Captions of related stories' pictures do not count.
    ('<body><aside class="related"><figure><img src="r.jpg"><figcaption>Other story</figcaption>'
     '</figure></aside></body>', (None, None)),
    ('<body><figure><img src="a.jpg"><figcaption>Photo: Jane Roe</figcaption></figure></body>',
     (None, "Jane Roe")),
    ('<body><figure><img src="a.jpg"><figcaption>Fotoğraf : Didem Mente/AA</figcaption></figure>'
     '</body>', (None, "Didem Mente/AA")),
    # The wire services' own credit after the caption's last sentence; a gallery's counter.
    ('<body><figure><img src="a.jpg"><figcaption>[1/5] A journalist takes a selfie in Maras, '
     'Turkey, February 11, 2023. REUTERS/Issam Abdallah</figcaption></figure></body>',
     ("A journalist takes a selfie in Maras, Turkey, February 11, 2023.", "REUTERS/Issam Abdallah")),
    ('<body><figure><img src="a.jpg"><figcaption>He met Reuters reporters. He left at 5/6 pm.'
     '</figcaption></figure></body>', ("He met Reuters reporters. He left at 5/6 pm.", None)),
    ('<body><figure><img src="a.jpg"><figcaption>06/06/21 Taxe multinationales : un porte-parole '
     'sur France Info</figcaption></figure></body>',
     ("06/06/21 Taxe multinationales : un porte-parole sur France Info", None)),
    # A caption that is a credit alone is the credit.
    ('<body><figure><img src="a.jpg"><figcaption>Chip Somodevilla/Getty Images</figcaption>'
     '</figure></body>', (None, "Chip Somodevilla/Getty Images")),
    # JSON-LD's credit, and a credit element beside the image when no caption names one.
    ('<script type="application/ld+json">{"@type": "NewsArticle", "image": {"url": "/a.jpg", '
     '"creditText": "Etlaq"}}</script>', (None, "Etlaq")),
    ('<body><div><img src="a.jpg"><span class="image-credit">Image Credits: Strava</span></div>'
     '</body>', (None, "Strava")),
])
def test_extract_image_caption_and_credit(markup, expected):
    assert extract_image_caption_and_credit(tree(markup)) == expected


REUTERS_ALT = ('<meta property="og:image:alt" content="Fire is seen on an airplane in this picture '
               'obtained from social media. @SubasTheOne/via REUTERS THIS IMAGE HAS BEEN SUPPLIED BY A '
               'THIRD PARTY. MANDATORY CREDIT. NO RESALES. NO ARCHIVES.">')


def test_a_sources_caption_meta_gives_caption_and_credit():
    # Reuters' own rule; the picture desk's usage notice is neither.
    assert extract_image_caption_and_credit(tree(REUTERS_ALT), caption_meta=("og:image:alt",)) == (
        "Fire is seen on an airplane in this picture obtained from social media.",
        "@SubasTheOne/via REUTERS")
    # Elsewhere og:image:alt describes the picture for screen readers: not a caption.
    assert extract_image_caption_and_credit(tree(REUTERS_ALT)) == (None, None)

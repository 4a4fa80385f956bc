"""Article metadata read from the parsed page: one ``extract_<field>`` per field.

Each function takes the lxml tree (parsed once per page by ``pipelines.extract``)
and applies a fixed precedence: JSON-LD, then meta tags, then markup, then
visible text. They are pure: same tree in, same value out.
"""

from __future__ import annotations

import json
import re
import unicodedata
import weakref
from copy import deepcopy
from html import unescape as html_unescape
from itertools import chain
from datetime import date, datetime, timezone, tzinfo
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from courlan import extract_domain
from lxml import etree, html as lxml_html

from pipelines.cleanup import is_rights_line, normalize_text
from pipelines.dates import date_at_start, find_visible_date, parse_datetime

ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting",
                 "analysisnewsarticle", "backgroundnewsarticle", "opinionnewsarticle",
                 "reviewnewsarticle", "liveblogposting", "report", "webpage"}

PUBLISHED_META = ("article:published_time", "og:article:published_time", "datepublished",
                  "pubdate", "publish-date", "publish_date", "parsely-pub-date",
                  "sailthru.date", "dc.date.issued", "dc.date", "dcterms.created", "date")
MODIFIED_META = ("article:modified_time", "og:updated_time", "og:article:modified_time",
                 "datemodified", "last-modified", "dcterms.modified")

# Class/id words of elements that print the article's date.
_DATE_CLASS_RE = re.compile(r"date|time|publish|posted|byline|meta|calendar", re.I)
_FIGURE_TEXT_CLASS_RE = re.compile(r"credit|caption|copyright-image|photographer", re.I)
_SITE_SUFFIX_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ")

_TEXT_NODES = etree.XPath("//body//text()")


def texts_containing(tree: lxml_html.HtmlElement, pattern: re.Pattern[str]) -> list[Any]:
    """The body's text nodes (with getparent() and is_tail) in which `pattern`
    finds a match, in document order. One pass in Python: an XPath test of N
    contains() has libxml2 copy every text node N times (2-3 ms a page)."""
    return [text for text in _TEXT_NODES(tree) if pattern.search(text)]


def any_of(*words: str) -> re.Pattern[str]:
    """A pattern finding any of `words`, as written (case-sensitive)."""
    return re.compile("|".join(map(re.escape, words)))


_PAGE_METAS: "weakref.WeakKeyDictionary[Any, list[tuple[str, str]]]" = weakref.WeakKeyDictionary()


def page_metas(tree: lxml_html.HtmlElement) -> list[tuple[str, str]]:
    """The page's <meta> tags as (name, content) in the page's order: the
    name is the property, else the name, else the itemprop, lower-cased;
    the content stripped; a tag without either is left out. Read once a
    page and kept while the tree lives: the metadata functions ask about 14
    times a page, and walking the <meta> tags each time cost 1.2 ms a page on
    make eval's Readability, newspaper4k and Fundus pages."""
    metas = _PAGE_METAS.get(tree)
    if metas is None:
        metas = []
        for meta in tree.iter("meta"):
            key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
            content = (meta.get("content") or "").strip()
            if key and content:
                metas.append((key, content))
        _PAGE_METAS[tree] = metas
    return metas


def meta_values(tree: lxml_html.HtmlElement, *names: str) -> dict[str, list[str]]:
    """Every non-empty <meta> content among `names` (property, name or
    itemprop), by lower-cased name, in the page's order."""
    wanted = {n.lower() for n in names}
    found: dict[str, list[str]] = {}
    for key, content in page_metas(tree):
        if key in wanted:
            found.setdefault(key, []).append(content)
    return found


def meta_content(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    """First non-empty <meta> content among `names`, in the order of `names`."""
    found = meta_values(tree, *names)
    return next((found[name.lower()][0] for name in names if name.lower() in found), None)


# XHTML-era pages wrap script bodies in CDATA sections or HTML comments
# ("<![CDATA[ {...} ]]>", "<!--//--><![CDATA[//><!-- {...} //--><!]]>"); lxml's
# HTML parser keeps the markers as text and json.loads rejects them.
_SCRIPT_WRAPPER_RE = re.compile(r"^\s*(?://\s*)?(?:<!--(?://-->)?\s*)?(?://\s*)?(?:<!\[CDATA\[)?"
                                r"(?://\s*><!--)?|(?://\s*)?(?:-->|\]\]>|//-->|<!\]\]>)+\s*$")


def parse_json_ld(text: str) -> Any:
    """One JSON-LD block to Python, or None: CDATA/comment wrappers removed,
    raw control characters (newlines inside strings) tolerated."""
    body = _SCRIPT_WRAPPER_RE.sub("", text or "").strip()
    if not body:
        return None
    try:
        return json.loads(body, strict=False)
    except ValueError:
        return None


def _json_ld_objects(tree: lxml_html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every object of every JSON-LD block (following @graph and lists)."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        data = parse_json_ld(script.text_content())
        if data is not None:
            yield from _walk_json_ld(data)


def json_ld_articles(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    """Article-like objects of every JSON-LD block (following @graph and lists)."""
    objects: list[dict[str, Any]] = []
    every = list(_json_ld_objects(tree))
    for obj in every:
        types = obj.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in ARTICLE_TYPES for t in types):
            objects.append(obj)
    if objects:
        objects = [resolve_json_ld_refs(obj, every, ("author",)) for obj in objects]
    # NewsArticle before a generic WebPage describing the same page.
    objects.sort(key=lambda o: str(o.get("@type")).lower() == "webpage")
    return objects


def resolve_json_ld_refs(obj: dict[str, Any], objects: list[dict[str, Any]],
                         keys: tuple[str, ...]) -> dict[str, Any]:
    """`obj` with its `keys` references ({"@id": ".../#/schema/person/1"}, as
    Yoast SEO writes an article's author) replaced by the objects of the same
    page's JSON-LD that carry that @id."""
    def resolve(item: Any) -> Any:
        if isinstance(item, list):
            return [resolve(i) for i in item]
        if isinstance(item, dict) and "@id" in item and "name" not in item:
            for other in objects:
                if other is not item and other.get("@id") == item["@id"] and "name" in other:
                    return other
        return item
    if not any(isinstance(obj.get(k), (dict, list)) for k in keys):
        return obj
    return {**obj, **{k: resolve(obj[k]) for k in keys if k in obj}}


def _walk_json_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_json_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_json_ld(data["@graph"])


def _json_ld_value(objects: list[dict[str, Any]], key: str) -> Any:
    for obj in objects:
        value = obj.get(key)
        if value:
            return value
    return None


# Separators between a headline and the site name / section in <title>:
# spaced dashes, bars, guillemets, colons ("Headline | Site", "Site » Blog »
# Headline", "Headline :: Site"). An unspaced hyphen is part of a word.
_TITLE_SEPARATOR_RE = re.compile(r"\s+(?:[-–—|·•»›:/~]{1,2})\s+|\s*(?:\||»|›|::)\s*")


def title_segments(title: str) -> list[str]:
    """'Site » Blog » Headline' -> ['Site', 'Blog', 'Headline']."""
    return [part.strip() for part in _TITLE_SEPARATOR_RE.split(title) if part.strip()]


def strip_site_name(title: str, site_name: str | None) -> str:
    """'Headline | ABC News Radio' -> 'Headline'."""
    for sep in _SITE_SUFFIX_SEPARATORS:
        if sep in title:
            head, _, tail = title.rpartition(sep)
            if site_name and tail.strip().casefold() == site_name.strip().casefold():
                return head.strip()
            if not site_name and len(tail.split()) <= 4 and len(head) > 2 * len(tail):
                return head.strip()
    return title.strip()


def strip_known_site_names(title: str, site_names: set[str]) -> str:
    """Cut a known site name and what lies beyond it from either end of a title:
    'Headline :  Blog | Tagline' with site 'Blog' -> 'Headline'."""
    keys = {name.casefold() for name in site_names if name}
    if not keys:
        return title
    parts = _TITLE_SEPARATOR_RE.split(title)
    for i, part in enumerate(parts):
        if part.strip().casefold() in keys and len(parts) > 1:
            before, after = parts[:i], parts[i + 1:]
            rest = before if len(" ".join(before)) >= len(" ".join(after)) else after
            if rest:
                return _rejoin(title, rest)
    return title


def _rejoin(title: str, parts: list[str]) -> str:
    """The span of `title` from the first to the last of `parts`, separators kept."""
    first, last = parts[0].strip(), parts[-1].strip()
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if start >= 0 and end > start else " ".join(parts)


def fold_spaces(text: str) -> str:
    """All whitespace, newlines included, to single spaces (titles are one line)."""
    return " ".join(text.split())


def _letters_key(text: str) -> str:
    """'La República' and larepublica.pe alike: 'larepublica'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def host_site_keys(url: str | None) -> set[str]:
    """The page's host as a site name would spell it without spaces and dots:
    'www.lastampa.it' -> {'lastampa', 'lastampait'}, so 'La Stampa' and
    'MacTechNews.de' in a <title> are recognised as the site. The name is
    the label before the public suffix ('www.cybercook.com.br' -> 'cybercook')."""
    domain = extract_domain(url) if url else None
    if not domain or "." not in domain:
        return set()
    name, suffix = domain.split(".", 1)
    return {_letters_key(name), _letters_key(name + suffix)} - {""}


def title_from_segments(title: str, site_keys: set[str], headings: set[str]) -> str:
    """The headline among a <title>'s segments ('Site » Blog » Headline',
    'Headline - Section - Site'): segments naming the site (by og:site_name,
    a home-linked logo or the host) go; a segment printed as a heading on the
    page is the headline; of three or more, the longest (site, section and
    tagline are short)."""
    segments = title_segments(title)
    if len(segments) < 2:
        return title
    kept = [seg for seg in segments
            if seg.casefold() not in site_keys and _letters_key(seg) not in site_keys]
    if not kept:
        return title
    heading_keys = {typography_key(h) for h in headings}
    printed = [seg for seg in kept if typography_key(seg) in heading_keys]
    if printed:
        return max(printed, key=len)
    if len(kept) >= 3:
        return max(kept, key=len)
    return _rejoin(title, kept) if len(kept) < len(segments) else title


def extract_site_name(tree: lxml_html.HtmlElement) -> str | None:
    return meta_content(tree, "og:site_name", "application-name")


# A heading longer than this is a paragraph styled as a heading.
MAX_HEADING_CHARS = 300


def home_link_texts(tree: lxml_html.HtmlElement, url: str | None = None) -> set[str]:
    """Texts of headings that link to the site's home page: the blog's name
    printed as an <h1> logo, never the article's headline."""
    names: set[str] = set()
    for link in tree.xpath("//h1//a[@href] | //a[@href][.//h1]"):
        href = link.get("href", "").strip()
        path = urlsplit(urljoin(url or "", href)).path if url else urlsplit(href).path
        if path in ("", "/", "/index.html", "/index.php") and not urlsplit(href).query:
            text = normalize_text(link.text_content())
            if text:
                names.add(text)
    return names


# Parts of a heading that are not the headline: the kicker / Dachzeile above
# it ("Klimaschutz", "Nach Corona-Lockerungen") and separators printed only
# for screen readers (": ", " - ").
# Prefix labels of forums and blogs ("<span class="label label--blue">Patch
# Notes</span>", "topic-label") are kickers too: "label" as a class word.
_KICKER_CLASS_RE = re.compile(
    r"kicker|dachzeile|topline|toptitle|overline|eyebrow|roofline|titleheader|visually-hidden|"
    r"sr-only|screen-reader|invisible|(?:^|[\s_-])label(?:$|[\s_-])", re.I)


def headline_part(heading: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """The element inside a heading classed as its headline ("headline",
    "article__headline", "ts-headline") when the heading holds more than it
    (a kicker, a section printed in another style): that element's text is
    the headline. "subheadline", "headline-wrapper" and a kicker classed
    "headline headline--topline" are not it."""
    for el in heading.iterdescendants():
        if isinstance(el.tag, str) and not _is_kicker(el) and any(
                re.split(r"__|-", cls)[-1].casefold() == "headline"
                for cls in el.get("class", "").split()):
            text = el.text_content().strip()
            if not re.search(r"\w", text):     # a separator styled like the headline
                continue
            return el if text != heading.text_content().strip() else None
    return None


def headline_text(heading: lxml_html.HtmlElement) -> str:
    """The heading's text without its kicker and screen-reader-only parts."""
    part = headline_part(heading)
    if part is not None:
        return part.text_content()
    if not any(_is_kicker(el) for el in heading.iterdescendants()):
        return heading.text_content()
    copy = deepcopy(heading)
    copy.tail = None
    for el in [el for el in copy.iterdescendants() if _is_kicker(el)]:
        if el.getparent() is not None:
            el.text, el[:] = " ", []
            el.drop_tag()
    rest = copy.text_content()
    return rest if rest.strip() else heading.text_content()


def _is_kicker(el: lxml_html.HtmlElement) -> bool:
    return isinstance(el.tag, str) and (el.get("aria-hidden") == "true"
                                        or bool(_KICKER_CLASS_RE.search(el.get("class", ""))))


def site_name_headings(tree: lxml_html.HtmlElement, meta_titles: list[str]) -> set[str]:
    """<h1>s of one or two words that name the site: blog themes print the
    blog's name as every page's <h1> and the post's headline as an <h2>, and
    the <title> joins the two ("Was ist Virales Marketing? | DimidoBlog").
    Such an <h1> is a segment of a metadata title whose other segment, of
    three words or more, is printed as an <h2>."""
    subheadings = {typography_key(h.text_content()) for h in tree.iter("h2")
                   if len(h.text_content()) <= MAX_HEADING_CHARS}
    names: set[str] = set()
    for h1 in tree.iter("h1"):
        text = fold_spaces(normalize_text(h1.text_content()))
        if not text or is_headline_sized(text):
            continue
        key = typography_key(text)
        for title in meta_titles:
            segments = {typography_key(seg) for seg in title_segments(title)}
            if key in segments and any(seg != key and seg in subheadings and is_headline_sized(seg)
                                       for seg in segments):
                names.add(text)
    return names


def heading_candidates(tree: lxml_html.HtmlElement, site_names: set[str],
                       tag: str = "h1") -> list[str]:
    """Distinct non-empty texts of the `tag` headings, in page order, without
    the site's name (a heading that is only the site's name is skipped; one
    printed as "Headline | Site", often for screen readers, loses the site's
    name)."""
    keys = {n.casefold() for n in site_names}
    seen: list[str] = []
    for h in tree.iter(tag):
        text = strip_known_site_names(fold_spaces(normalize_text(headline_text(h))), site_names)
        if text and len(text) <= MAX_HEADING_CHARS and text.casefold() not in keys \
                and text not in seen:
            seen.append(text)
    return seen


_TYPOGRAPHY = str.maketrans({"–": "-", "—": "-", "‒": "-", "“": '"', "”": '"', "„": '"',
                             "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "…": "..."})


def typography_key(text: str) -> str:
    """Case and typographic quotes/dashes do not matter when comparing the
    printed headline with metadata that was typed with ASCII ones."""
    return " ".join(text.translate(_TYPOGRAPHY).casefold().split())


def heading_support(heading: str, meta_titles: list[str]) -> tuple[int, bool]:
    """How many meta titles carry `heading` (whole, or as a leading/trailing
    segment) and whether one starts with it."""
    key = typography_key(heading)
    votes, leads = 0, False
    for title in meta_titles:
        t = typography_key(title)
        segments = [typography_key(seg) for seg in title_segments(title)]
        if t == key or key in segments or t.startswith(key) or t.endswith(key) \
                or _contains_phrase(t, key):
            votes += 1
            leads = leads or t.startswith(key)
    return votes, leads


def stated_whole(heading: str, meta_titles: list[str]) -> bool:
    """A metadata title is `heading` whole: equal to it, one of its segments
    ("Muffin Grundrezept : Muffin Rezepte"), or it followed by separated
    segments ("30.11. | Buch der Woche - Nikole Hannah-Jones"). Not a phrase
    inside a title nor a title's first words ("Dezuka Suisan" of "Dezuka
    Suisan: Deep-Fried Fish Cakes"): a subheading often repeats those."""
    key = typography_key(heading)
    for title in meta_titles:
        t = typography_key(title)
        if t == key or key in {typography_key(seg) for seg in title_segments(title)} \
                or leads_longer_title(t, key):
            return True
    return False


def ranked_support(heading: str, meta_titles: list[str]) -> tuple[int, bool, bool]:
    """heading_support, with a headline-sized <h1> (three words or more) before
    a one- or two-word one on equal votes: a page's hidden "News" or "Zoll"
    <h1> leads "News - Eawag" as much as the headline ends it."""
    votes, leads = heading_support(heading, meta_titles)
    return votes, votes > 0 and is_headline_sized(heading), leads


def _contains_phrase(text: str, phrase: str) -> bool:
    """`phrase` of at least three words inside `text`, on word boundaries
    ('corona-lockerungen: autohäuser rechnen mit ...' holds the printed
    'autohäuser rechnen mit ...')."""
    if len(phrase.split()) < 3:
        return False
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        at = text.find(phrase, at + 1)
    return False


def extract_title(tree: lxml_html.HtmlElement, url: str | None = None,
                  ld: list[dict[str, Any]] | None = None) -> str | None:
    """The headline a reader sees.

    1. An <h1> that the page's own metadata confirms (JSON-LD headline,
       og:title, twitter:title or <title> equal to it, made of it plus a
       site name, or holding it as a phrase of three words or more), or an
       <h2> the metadata states whole (`stated_whole`: a section's or the
       site's name printed as <h1>, the headline as <h2>, as on WebMD): the
       most confirmed one, a leading one on ties, an <h1> on full ties.
    2. The only <h1> holding a metadata title plus a kicker: that title.
    3. The only <h1> of three words or more: the printed headline, even when
       the metadata words it differently (SEO titles).
    4. Else JSON-LD headline, og:title, a two-word only <h1>, <title>, a
       one-word only <h1>; metadata without the site name (og:site_name, an
       <h1> logo linking home, the host).
    Candidates that are only the site's name are skipped."""
    ld = json_ld_articles(tree) if ld is None else ld
    home_names = home_link_texts(tree, url)
    site_name = extract_site_name(tree)
    if site_name and site_name not in home_names and printed_as_headline(tree, site_name):
        site_name = None
    title_el = tree.find(".//title")
    headline = _json_ld_value(ld, "headline")
    metas = [headline if isinstance(headline, str) else None,
             meta_content(tree, "og:title"), meta_content(tree, "twitter:title"),
             title_el.text_content() if title_el is not None else None]
    cleaned_metas = [fold_spaces(normalize_text(html_unescape(m))) if isinstance(m, str) else ""
                     for m in metas]
    site_names = home_names | ({site_name} if site_name else set()) \
        | site_name_headings(tree, [m for m in cleaned_metas if m])
    site_keys = {n.casefold() for n in site_names}
    cleaned_metas = ["" if m.casefold() in site_keys else m for m in cleaned_metas]
    cleaned_metas = [uncut_title(m, cleaned_metas[3]) for m in cleaned_metas[:3]] + cleaned_metas[3:]
    meta_titles = [m for m in cleaned_metas if m]
    headings = heading_candidates(tree, site_names)
    best, best_score = None, (0, False, False)
    subheadings = [h for h in heading_candidates(tree, site_names, "h2")
                   if h not in headings and stated_whole(h, meta_titles)]
    for heading in headings + subheadings:
        score = ranked_support(heading, meta_titles)
        if score > best_score:
            best, best_score = heading, score
    if best is not None:
        return best
    segment_keys = site_keys | {_letters_key(n) for n in site_names} | host_site_keys(url)
    printed = _printed_headings(tree)

    def without_site(candidate: str) -> str:
        return strip_site_name(title_from_segments(
            strip_known_site_names(candidate, site_names), segment_keys, printed), site_name)

    page_title = cleaned_metas[3]
    metas_without_site = [m if m and leads_longer_title(page_title, m) else
                          without_site(m) if m else "" for m in cleaned_metas[:3]] \
        + [without_site(page_title) if page_title else ""]
    if len(headings) == 1:
        inner = headline_inside_heading(headings[0], metas_without_site)
        if inner:
            return inner
        if is_headline_sized(headings[0]):
            return headings[0]
    # A one-word <h1> ('Lorem', 'Willkommen') or meta title ('Medienmitteilungen',
    # a section's name) is weaker evidence than <title>.
    only = headings if len(headings) == 1 else []
    short = [h for h in only if not is_headline_sized(h, 2)] \
        + [m for m in metas_without_site[:3] if m and not is_headline_sized(m, 2)]
    candidates = [m for m in metas_without_site[:3] if m not in short] \
        + [h for h in only if h not in short] + metas_without_site[3:] + short
    for candidate in candidates:
        if candidate:
            return candidate
    return None


def leads_longer_title(page_title: str, title: str) -> bool:
    """<title> is `title` plus separated segments ("Office 365 – HBDI – die
    Dritte | Damian Duchamps' Blog" for og:title "Office 365 – HBDI – die
    Dritte"): the site's name was added to `title`, which is the headline
    whole, its own dashes included."""
    return len(page_title) > len(title) and page_title.startswith(title) \
        and bool(_TITLE_SEPARATOR_RE.match(page_title, len(title)))


_QUOTE_AFTER_CUT_RE = re.compile(r"\s*[\"“„«]")


def uncut_title(meta: str, page_title: str) -> str:
    """A meta title cut at an unescaped double quote (content="Senador
    califica a Biden de "incapacitado"" ends at 'de'): <title>, which holds
    the quote, instead."""
    if meta and len(page_title) > len(meta) and page_title.startswith(meta) \
            and _QUOTE_AFTER_CUT_RE.match(page_title, len(meta)):
        return page_title
    return meta


def printed_as_headline(tree: lxml_html.HtmlElement, site_name: str) -> bool:
    """A site name from metadata that is both the page's <title> and a
    headline-sized <h1> (an application-name repeating the headline): not the
    site's name, or the page would have no title at all."""
    title_el = tree.find(".//title")
    key = typography_key(site_name)
    if not is_headline_sized(site_name) or title_el is None \
            or typography_key(title_el.text_content()) != key:
        return False
    return any(typography_key(h.text_content()) == key for h in tree.iter("h1"))


def headline_inside_heading(heading: str, meta_titles: list[str]) -> str | None:
    """A metadata title printed inside the only <h1> together with a kicker,
    a date or a section name ('Tunesien Große Aufgaben für die neue
    Regierung' holding og:title 'Große Aufgaben für die neue Regierung'): the
    metadata title is the headline."""
    key = typography_key(heading)
    for title in meta_titles:
        inner = typography_key(title)
        # Plain substring: kicker elements are often glued to the headline
        # ("Einheit der WocheLagen-Pyramide mit GA2").
        if title and len(inner) < len(key) and inner in key and is_headline_sized(title, 2) \
                and not continues_sentence(heading, title):
            return title
    return None


_CONTINUATION_RE = re.compile(r"[:,;]?\s+[^\W\d_A-ZÀ-ÖØ-Þ]")


def continues_sentence(heading: str, title: str) -> bool:
    """`heading` is `title` continued in lower case ("... Gigafactory-Kapazität
    in Tennessee", "... vom Blech: einfach köstlich!"): the metadata shortened
    the printed headline; a kicker, a date or a site name glued after it
    starts otherwise."""
    h, t = (" ".join(x.translate(_TYPOGRAPHY).split()) for x in (heading, title))
    if h[:len(t)].casefold() != t.casefold():
        return False
    return bool(_CONTINUATION_RE.match(h, len(t)))


# CJK headlines run without spaces: about two characters make a word.
_CJK_TITLE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def is_headline_sized(heading: str, words: int = 3) -> bool:
    """Three words or more: one or two words printed as the only <h1> are
    a section, a site or a label ('Politics', 'Details', 'News'), not a
    headline the metadata forgot."""
    return len(heading.split()) >= words or len(_CJK_TITLE_RE.findall(heading)) >= 2 * words


def _printed_headings(tree: lxml_html.HtmlElement) -> set[str]:
    """Texts of the page's h1-h3 headings, for recognising the headline among
    a title's segments."""
    return {fold_spaces(h.text_content()) for h in tree.iter("h1", "h2", "h3")
            if len(h.text_content()) <= MAX_HEADING_CHARS}


def extract_description(tree: lxml_html.HtmlElement) -> str | None:
    value = meta_content(tree, "description", "og:description", "twitter:description")
    return normalize_text(value) if value else None


def extract_canonical_url(tree: lxml_html.HtmlElement, url: str) -> str:
    """<link rel=canonical> or og:url, when it stays on the page's site; else `url`."""
    candidates = [link.get("href") for link in tree.xpath('//link[@rel="canonical"]')]
    candidates.append(meta_content(tree, "og:url"))
    page_host = _site_host(url)
    for href in candidates:
        if not href or not href.strip():
            continue
        absolute = urljoin(url, href.strip())
        if urlsplit(absolute).scheme in ("http", "https") and _site_host(absolute) == page_host:
            return absolute
    return url


def _site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def extract_published_at(tree: lxml_html.HtmlElement, default_tz: tzinfo = timezone.utc,
                         now: datetime | None = None,
                         ld: list[dict[str, Any]] | None = None,
                         url: str | None = None) -> datetime | None:
    """JSON-LD datePublished, meta tags, <time datetime>, then a printed date.

    A page that prints its last update instead of its first publication
    (JSON-LD datePublished the 3rd, dateModified the 6th, "Monday, 6 January
    2020" under the headline) is dated as printed: see `printed_update`.
    A date found only in the text yields to a full date in the URL's path
    (see `url_path_date`)."""
    structured = _structured_date_count(tree, ld)
    stated = [d for d in (parse_datetime(v, default_tz, now)
                          for v in _stated_published_values(tree, ld)) if d is not None]
    if len(stated) == 1:
        stated += filter(None, [time_elements_day(tree, default_tz, now)])
    chosen = printed_among_stated(stated, tree, default_tz, now)
    if chosen is not None:
        return chosen
    for index, value in enumerate(_date_candidates(tree, "datePublished", PUBLISHED_META, ld)):
        parsed = parse_datetime(value, default_tz, now)
        if parsed:
            if index >= structured:
                return prefer_url_date(parsed, url_path_date(url, now))
            # A generic meta whose day the page prints is confirmed (the first
            # date printed may be a header's clock showing today's date).
            if _only_generic_date_meta(tree, value, ld) \
                    and first_printed_among(tree, {parsed.date()}, default_tz, now) is None:
                first = next(_printed_dates(tree), None)
                printed = parse_datetime(first, default_tz, now) if first else None
                return printed or parsed
            modified = extract_modified_at(tree, default_tz, now=now, ld=ld)
            if modified is not None and modified.date() != parsed.date():
                first = next(_printed_dates(tree), None)
                printed = parse_datetime(first, default_tz, now) if first else None
                return printed_update(parsed, modified, printed)
            return parsed
    return None


# Meta names that date the document, not necessarily the article: content
# systems fill them with the time the page was generated or last saved.
GENERIC_DATE_META = ("date", "dc.date", "dcterms.created")


def _only_generic_date_meta(tree: lxml_html.HtmlElement, value: str,
                            ld: list[dict[str, Any]] | None) -> bool:
    """`value` is the page's only stated date and comes from a generic
    <meta name="date"> (no JSON-LD date, no article:published_time): a date
    printed for readers is more telling ('date' 2020-04-30 on an article
    printed '29.04.2020, 12:01')."""
    ld = json_ld_articles(tree) if ld is None else ld
    if isinstance(_json_ld_value(ld, "datePublished"), str):
        return False
    specific = [n for n in PUBLISHED_META if n not in GENERIC_DATE_META]
    if meta_content(tree, *specific):
        return False
    return meta_content(tree, *GENERIC_DATE_META) == value


def printed_update(published: datetime, modified: datetime,
                   printed: datetime | None) -> datetime:
    """The stated publication date, unless the first date printed for
    readers is the update's day and not the publication's: then the update
    is the date the page gives."""
    if printed is not None and printed.date() == modified.date() \
            and printed.date() != published.date() and modified > published:
        return modified
    return published


# Labels that introduce the publication date in running text, in the
# languages most pages are written in. Update labels ("Aktualisiert",
# "Letzte Änderung", "Updated") are deliberately absent.
_PUBLISHED_LABEL_RE = re.compile(
    r"\b(?:veröffentlicht|erschienen|erstellt|publiziert|published|posted|publié|"
    r"mis en ligne|publicado|pubblicato|gepubliceerd)"
    r"(?:\s+(?:am|on|le|el|em|il|op))?\s*:?\s*(?:den\s+)?", re.I)


def labelled_published_date(tree: lxml_html.HtmlElement) -> str | None:
    """The date printed right after a publication label ("Veröffentlicht am
    16.08.2019", "Erschienen am: 01.11.2023", "Published on May 3, 2021",
    "Publié le 3 février 2021"), outside comments, sidebars and teasers: for
    pages that state no date anywhere else, a better guess than the text
    search (which took a comment's date or a "last changed" stamp)."""
    for text in _TEXT_NODES(tree):
        if len(text) > 200:
            continue
        for label in _PUBLISHED_LABEL_RE.finditer(text):
            parent = text.getparent()
            if parent is None or in_other_content(parent):
                break
            after = text[label.end():].strip()
            if not after:   # the date is printed in the next element
                block = parent.text_content()
                after = block[block.find(text) + len(text):] if text in block else ""
            after = after[:80]
            printed = find_visible_date(after)
            if printed and 0 <= after.find(printed[:4]) <= 12:
                return printed
    return None


def _stated_published_values(tree: lxml_html.HtmlElement,
                             ld: list[dict[str, Any]] | None) -> list[str]:
    """Every publication date the page states for machines: JSON-LD
    datePublished, then each publication <meta> present (not the generic
    'date'/'dc.date', often the time the page was generated)."""
    ld = json_ld_articles(tree) if ld is None else ld
    values = []
    value = _json_ld_value(ld, "datePublished")
    if isinstance(value, str):
        values.append(value)
    wanted = set(PUBLISHED_META) - set(GENERIC_DATE_META)
    values += [content for key, content in page_metas(tree) if key in wanted]
    return values


def time_elements_day(tree: lxml_html.HtmlElement, default_tz: tzinfo,
                      now: datetime | None) -> datetime | None:
    """The date every <time datetime> outside other items' blocks states,
    when there is at least one and they all agree on the day. Set against a
    lone <meta> that says otherwise (article:published_time the 15th, five
    <time>s "25.01.2022" under a calendar icon), it lets the day the page
    prints decide (printed_among_stated)."""
    times = [parse_datetime(el.get("datetime"), default_tz, now) for el in tree.iter("time")
             if el.get("datetime") and not in_other_content(el)]
    if not times or None in times or len({t.date() for t in times}) != 1:
        return None
    return times[0]


def printed_among_stated(stated: list[datetime], tree: lxml_html.HtmlElement,
                         default_tz: tzinfo, now: datetime | None) -> datetime | None:
    """When the stated publication dates disagree on the day (JSON-LD the
    4th, article:published_time the 6th; 'pubdate' December, 'DC.date.issued'
    February), the one whose day the page prints first (in any short text
    outside other items' blocks); None when they agree or the page prints
    none of them."""
    days = {d.date() for d in stated}
    if len(days) < 2:
        return None
    printed = first_printed_among(tree, days, default_tz, now)
    return next(d for d in stated if d.date() == printed) if printed else None


def first_printed_among(tree: lxml_html.HtmlElement, days: set[date], default_tz: tzinfo,
                         now: datetime | None) -> date | None:
    """The first of `days` the page prints in a short text outside other
    items' blocks."""
    for text in _TEXT_NODES(tree):
        if len(text) > 1000 or len(text.strip()) > 120:
            continue
        found = find_visible_date(text)
        printed = parse_datetime(found, default_tz, now) if found else None
        if printed is not None and printed.date() in days:
            parent = text.getparent()
            if parent is not None and parent.tag not in ("script", "style") \
                    and not in_other_content(parent):
                return printed.date()
    return None


# A dateline opening the article's first paragraph: "29.11.2022 – Mehrfach
# ...", "(21. November 2022) Energieverbraucher ...", "Karlsruhe, 12.11.2021.
# ...": an optional place, the date, optionally in parentheses, a separator.
_DATELINE_START_RE = re.compile(r"^(?:[A-ZÀ-Ý][\w./ -]{1,30},\s*(?:den\s+)?)?\(?")
_DATELINE_END_RE = re.compile(r"^\s*\)?\s*(?:[–—:.-]|\)|\s)")
_FIRST_PARAGRAPHS = 3
MIN_PARAGRAPH = 100


def dateline_date(tree: lxml_html.HtmlElement) -> str | None:
    """The date a dateline prints at the start of one of the first long
    paragraphs (press releases and association news carry no other date)."""
    seen = 0
    for para in tree.iter("p"):
        text = " ".join(para.text_content().split())
        if len(text) < MIN_PARAGRAPH or in_other_content(para):
            continue
        start = _DATELINE_START_RE.match(text)
        found = date_at_start(text[start.end():start.end() + 60])
        if found and _DATELINE_END_RE.match(text[start.end() + found[1]:]):
            return found[0]
        seen += 1
        if seen >= _FIRST_PARAGRAPHS:
            break
    return None


def _structured_date_count(tree: lxml_html.HtmlElement,
                           ld: list[dict[str, Any]] | None) -> int:
    """How many of `_date_candidates`' first values are stated for machines
    (JSON-LD, meta, <time datetime>) rather than printed."""
    ld = json_ld_articles(tree) if ld is None else ld
    count = int(isinstance(_json_ld_value(ld, "datePublished"), str))
    count += int(bool(meta_content(tree, *PUBLISHED_META)))
    count += len(microdata_published(tree))
    count += sum(1 for el in tree.iter("time")
                 if el.get("datetime") and not in_other_content(el))
    return count


def states_day(tree: lxml_html.HtmlElement, url: str | None, day: datetime,
               now: datetime | None) -> bool:
    """The page prints `day`'s date (in a short text outside other items'
    blocks) or its URL's path holds it."""
    in_url = url_path_date(url, now)
    return (in_url is not None and in_url.date() == day.date()) \
        or first_printed_among(tree, {day.date()}, timezone.utc, now) is not None


_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)")


def url_path_date(url: str | None, now: datetime | None = None) -> datetime | None:
    """The day a URL's path names as /YYYY/MM/DD/ (blogs and news sites file
    articles under their publication day), or None."""
    match = _URL_DATE_RE.search(urlsplit(url).path) if url else None
    if not match:
        return None
    try:
        day = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=timezone.utc)
    except ValueError:
        return None
    return day if day <= (now or datetime.now(timezone.utc)) else None


def prefer_url_date(printed: datetime, in_url: datetime | None) -> datetime:
    """A date read from the page's text only (no JSON-LD, meta or <time>
    value) is often another item's (a comment, an update, the day before in a
    list); the publication day filed in the URL is the article's."""
    if in_url is not None and printed.date() != in_url.date():
        return in_url
    return printed


def _printed_dates(tree: lxml_html.HtmlElement) -> Iterator[str]:
    """Dates printed for readers: <time> text, then elements whose class or
    id says "date" (or the text after such an empty element, a calendar
    icon), outside other items' blocks."""
    for time_el in tree.iter("time"):
        if not in_other_content(time_el):
            printed = find_visible_date(time_el.text_content())
            if printed:
                yield printed
    for el in tree.xpath("//body//*[@class or @id]"):
        if _DATE_CLASS_RE.search(f'{el.get("class", "")} {el.get("id", "")}'):
            text = el.text_content()
            if not text.strip() and el.tail:
                # an icon (<i class="fa fa-calendar"></i> 16.10.2021): the date follows it
                text = el.tail
            if len(text) < 200 and not _CLOCK_LABEL_RE.match(text):
                printed = find_visible_date(text)
                if printed and not in_other_content(el):
                    yield printed


# A clock, not a dateline: forums and portals print the reader's current time
# ("Aktuelle Zeit: 14.10.2020, 12:18", "It is currently Sat Oct 19, 2019").
_CLOCK_LABEL_RE = re.compile(
    r"\s*(?:aktuelle zeit|it is currently|current time|heure actuelle|hora actual|"
    r"heute ist|today is)\b", re.I)


def extract_modified_at(tree: lxml_html.HtmlElement, default_tz: tzinfo = timezone.utc,
                        now: datetime | None = None,
                        ld: list[dict[str, Any]] | None = None) -> datetime | None:
    ld = json_ld_articles(tree) if ld is None else ld
    candidates = [_json_ld_value(ld, "dateModified"),
                  meta_content(tree, *MODIFIED_META)]
    for value in candidates:
        if isinstance(value, str):
            parsed = parse_datetime(value, default_tz, now)
            if parsed:
                return parsed
    return None


def _date_candidates(tree: lxml_html.HtmlElement, json_ld_key: str,
                     meta_names: tuple[str, ...],
                     ld: list[dict[str, Any]] | None = None) -> Iterator[str]:
    ld = json_ld_articles(tree) if ld is None else ld
    value = _json_ld_value(ld, json_ld_key)
    if isinstance(value, str):
        yield value
    value = meta_content(tree, *meta_names)
    if value:
        yield value
    if json_ld_key == "datePublished":
        yield from microdata_published(tree)
    for time_el in tree.iter("time"):
        if time_el.get("datetime") and not in_other_content(time_el):
            yield time_el.get("datetime")
    yield from _printed_dates(tree)


_MICRODATA_PUBLISHED = etree.XPath("//body//*[@itemprop='datePublished'][@content or @datetime]")


def microdata_published(tree: lxml_html.HtmlElement) -> list[str]:
    """schema.org microdata in the page's body (<time itemprop="datePublished"
    datetime="...">, <span itemprop="datePublished" content="...">) outside
    other items' blocks: the article's own date, before any other <time> (the
    first <time>s of a page are often a ticker's or a teaser's). A value whose
    item (the nearest itemscope) is typed as an article is the article's even
    inside an <aside> of it."""
    return [el.get("datetime") or el.get("content") for el in _MICRODATA_PUBLISHED(tree)
            if _microdata_item_is_article(el) or not in_other_content(el)]


def _microdata_item_is_article(el: lxml_html.HtmlElement) -> bool:
    for ancestor in el.iterancestors():
        if ancestor.get("itemscope") is not None:
            kind = ancestor.get("itemtype", "").rstrip("/").rsplit("/", 1)[-1].casefold()
            return kind in ARTICLE_TYPES
    return False


# Blocks holding other items' dates: related posts, comments, sidebars,
# widgets. A date inside one is not this article's. Matched on the first word
# of a class or id ("related-posts", "comment-list", "sidebar"), so layout
# flags such as "has-sidebar" or "no-sidebars" on a wrapper do not count;
# <body> and <html> classes describe the page, not a block.
_OTHER_CONTENT_WORDS = {"related", "comment", "comments", "sidebar", "widget", "recommended",
                        "popular", "trending"}
_OTHER_CONTENT_TAGS = {"aside", "footer", "nav"}


def in_other_content(el: lxml_html.HtmlElement) -> bool:
    """True when `el` sits in a block listing other content."""
    for ancestor in el.iterancestors():
        if ancestor.tag in ("body", "html"):
            return False
        if ancestor.tag in _OTHER_CONTENT_TAGS:
            return True
        for token in f'{ancestor.get("class", "")} {ancestor.get("id", "")}'.split():
            if re.split(r"[-_]+", token.casefold(), maxsplit=1)[0] in _OTHER_CONTENT_WORDS:
                return True
    return False


def extract_authors(tree: lxml_html.HtmlElement,
                    fallback: str | Callable[[], str | None] | None = None,
                    ld: list[dict[str, Any]] | None = None, url: str | None = None) -> list[str]:
    """Author names from the article's JSON-LD, any JSON-LD person, meta
    author, then `fallback` (trafilatura's byline guess; a callable is only
    called when needed): the first source that still
    names someone after cleaning (a meta author 'LAOLA1.at' or a theme's
    'ThemeGrill' no longer hides the byline). Names equal to the site's
    own name are the publisher, not an author."""
    ld = json_ld_articles(tree) if ld is None else ld
    publisher = publisher_names(tree, ld, url)

    def people(names: list[str], typed_people: bool = False) -> list[str]:
        # A typed Person of two words or more is trusted over the site name.
        if not typed_people:
            names = [without_publisher(before_outlet(n, publisher), publisher) for n in names]
        return [n for n in clean_authors(names)
                if not is_publisher_name(n, set() if typed_people and len(n.split()) > 1
                                         else publisher)]

    value = _json_ld_value(ld, "author")
    names: list[str] = []
    typed = True
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and _is_person(item, default=True):
            names.append(person_name(item))
            typed = typed and _is_person(item)
        elif isinstance(item, str):
            names.append(html_unescape(item))
            typed = False
    # An author typed "Person" in JSON-LD is one, even when the blog is
    # named after its author ('Haki Benita' on Haki Benita's blog); not when
    # an organisation publishes the site under that name (a "Person" 'Ultima
    # Hora' on the newspaper Ultima Hora's site: its desk's byline).
    found = people(names, typed_people=typed and not published_by_organisation(ld))
    if not found:
        found = people(_json_ld_people(tree))
    if not found:
        found = people([name for name in meta_authors(tree) if not name.startswith("http")])
    if not found:
        # "Written by X" in a sharing plugin's tags names a person even on a
        # blog named after her, as a typed JSON-LD Person does.
        labelled = labelled_meta_author(tree)
        found = people([labelled], typed_people=True) if labelled else []
    if not found and fallback:
        guess = fallback() if callable(fallback) else fallback
        found = people(guess.split(";")) if guess else []
        if is_category_list(found):
            found = []
    if not found:
        card = hcard_author(tree)
        found = people([card]) if card else []
    if not found:
        # The first printed byline naming someone: a theme's "By <site name>"
        # slot does not hide the article's own "Written by: Jane Roe".
        found = next(filter(None, (people([name]) for name in printed_bylines(tree))), [])
    return found


AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author")
# Library-catalogue fields: Dublin Core's creator and Highwire Press's
# citation_author, one tag per author, each named "Family, Given".
CATALOGUE_AUTHOR_META = ("dc.creator", "dcterms.creator", "citation_author")


def meta_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """The author <meta>'s value; else every value of the first catalogue
    field present, given name first; else the New York Times' "byl"."""
    found = meta_values(tree, *AUTHOR_META, *CATALOGUE_AUTHOR_META, "byl")
    for key in AUTHOR_META:
        if key in found:
            return found[key][:1]
    for key in CATALOGUE_AUTHOR_META:
        if key in found:
            return [given_name_first(value) for value in found[key]]
    return found.get("byl", [])[:1]


# Lower-case words before a family name ("Ludwig van Beethoven", "Michiel de Jong").
NAME_PARTICLES = ("van", "von", "vom", "de", "der", "den", "du", "da", "di", "del", "della",
                  "degli", "das", "dos", "do", "la", "le", "les", "ten", "ter", "te", "zu", "zum",
                  "zur", "al", "el", "bin", "ibn", "af", "av", "op")
_PARTICLE = "(?:" + "|".join(NAME_PARTICLES) + ")"
_FAMILY_GIVEN_RE = re.compile(
    rf"((?:{_PARTICLE}\s+)*[A-ZÀ-ÖØ-Þ][\w'’-]+)\s*,\s*"
    rf"([A-ZÀ-ÖØ-Þ][\w'’-]*\.?(?:[\s-]+[A-ZÀ-ÖØ-Þ][\w'’-]*\.?){{0,2}}(?:\s+{_PARTICLE})*)")


def given_name_first(name: str) -> str:
    """'Harm, Robert' -> 'Robert Harm', 'Jong, Michiel de' -> 'Michiel de
    Jong', 'Kooman, F.' -> 'F. Kooman': a catalogue's "Family, Given" as a
    byline prints it. Anything else (two names, an organisation) unchanged."""
    match = _FAMILY_GIVEN_RE.fullmatch(" ".join(name.split()))
    return f"{match[2]} {match[1]}" if match else name


_FN_XPATH = etree.XPath("//body//*[contains(@class, 'fn')]")
_HCARD_AUTHOR_CLASSES = {"author", "byline", "entry-author", "post-author"}


def hcard_author(tree: lxml_html.HtmlElement) -> str | None:
    """The name an hCard microformat marks as the post's author (class "fn"
    inside an element classed "author"/"byline": WordPress themes print
    '<span class="author vcard"><a class="url fn n">marc</a></span>'), outside
    comments and sidebars. Blog handles are printed this way; trafilatura's
    byline search misses many of these cards."""
    for el in _FN_XPATH(tree):
        if "fn" not in el.get("class", "").split() or in_other_content(el):
            continue
        for ancestor in el.iterancestors():
            if ancestor.tag == "body":
                break
            if _HCARD_AUTHOR_CLASSES & set(ancestor.get("class", "").split()):
                name = " ".join(el.text_content().split())
                return name or None
    return None


def restore_dotted_names(normalized: str | None, raw: str) -> str | None:
    """trafilatura's author normalisation turns dots into spaces: 'Günter W.
    Kienitz' -> 'Günter W Kienitz', 'T. V. Raman' -> 'T V Raman',
    'Isabella.DiBiase' -> 'Isabella DiBiase'. Each name is given back as the
    byline prints it when the printed form differs only by those dots."""
    if not normalized:
        return normalized
    names = []
    for name in normalized.split("; "):
        words = name.split()
        pattern = r"(?<![\w.])" + r"(?:\.\s*|\s+)".join(map(re.escape, words)) + r"\.?(?![\w.])"
        match = re.search(pattern, raw)
        printed = match.group(0) if match else ""
        if "." in printed and re.sub(r"[.\s]+", " ", printed).strip() == name:
            # a dot closing the last word ends the sentence unless it is an initial
            if printed.endswith(".") and len(words[-1]) > 1:
                printed = printed[:-1]
            names.append(printed)
        else:
            names.append(name)
    return "; ".join(names)


# Sharing plugins name the author in their own tags: Yoast's Twitter card
# pair (twitter:label1 "Written by"/"Verfasst von", twitter:data1 the name),
# Shareaholic's article_author_name.
_AUTHOR_LABEL_RE = re.compile(
    r"^(?:written by|verfasst von|geschrieben von|écrit par|escrito por|scritto da|"
    r"geschreven door|autor(?:in)?|author|auteur)$", re.I)


def labelled_meta_author(tree: lxml_html.HtmlElement) -> str | None:
    """The author a sharing plugin's meta tags name, or None."""
    values: dict[str, str] = {}
    for key, content in page_metas(tree):
        if key.startswith(("twitter:label", "twitter:data", "shareaholic:article_author")):
            values.setdefault(key, content)
    if values.get("shareaholic:article_author_name"):
        return values["shareaholic:article_author_name"]
    for index in "1234":
        if _AUTHOR_LABEL_RE.match(values.get(f"twitter:label{index}", "")):
            return values.get(f"twitter:data{index}") or None
    return None


# What a printed byline opens with ("By", "Von", "Autor:", "Ein Beitrag von").
_BYLINE_LABEL = (r"written by|posted by|by|von|par|por|autor(?:in)?(?:/autor(?:in)?)?|author|"
                 r"auteur|ein (?:artikel|beitrag) von|text von")
# Text nodes that may open a printed byline ("By Jane Roe", "Von Anna
# Schmidt", "Posted on 21. Juli 2019 by X", or a label alone in its element:
# "<span>By</span><a>Jane Roe</a>"); the regex below decides on the block's text.
# Case-sensitive, and not derived from _BYLINE_LABEL: a lower-case "author"
# alone is a role in a list of names ("Marie Arana, <span>author</span><br>
# <strong>Margaret Atwood</strong>" in harpers.org's list of signatories).
_BYLINE_TEXT_WORDS = re.compile(
    any_of("By ", "by ", "BY ", "Von", "von ", "Par ", "par ", "Por ", "Autor", "Author",
           "Written", "Auteur", "Text").pattern + r"|^\s*(?:[Bb]y|BY|[Pp]ar|[Pp]or)\s*:?\s*$")
# A printed name has two to four words ("Tim Anderson", "Klaus de Vries"): a
# single capitalised word after "von"/"by" is as often a place or a noun.
# A capitalised word followed by a colon is the next label ("Autor: Fritz
# Imhof Quelle: Livenet"), not part of the name.
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w.'’-]*+(?!\s*:)"
_NAME = _NAME_WORD + r"(?:[ \t]+(?:" + _NAME_WORD + r"|(?:de|van|von|der|den|la|le|di|da|del)\b)){1,3}"
# Where a name after a comma ends, when it is one: at the next separator, the
# text node's end or the block's. "Uta Staschewski, Projektleiterin der HSS
# in Tunesien" lists one name and her role, which runs on in lower case.
_NAME_ENDS = r"(?=[ \t]*(?:$|\n|[,&|·•.;:)]|(?i:and|und|et|y)\b))"
# The label in any case, the names capitalised (a lower-case word after "von"
# is running text: "von etwa einem Jahr").
_PRINTED_BYLINE_RE = re.compile(
    r"(?i:(?:^|[|·•]\s*|\b(?:posted|published|veröffentlicht|publiziert|geschrieben|erstellt|"
    r"publié)\b[^|·•]{0,40}?\s)"
    r"(?:" + _BYLINE_LABEL + r")\s?:?|text\s?:)\s+"
    r"(?P<name>" + _NAME + r"(?:\s*,\s*" + _NAME + _NAME_ENDS + r"|\s*(?:&|(?i:and|und|et|y))\s*" + _NAME + r")*)")
# <byline> is NITF's (news agencies' feeds, kept by some sites' markup).
_BYLINE_BLOCKS = {"p", "div", "span", "li", "header", "address", "small", "em", "strong", "a",
                  "h2", "h3", "h4", "h5", "h6", "td", "time", "footer", "byline"}
# An element whose own short text opens with a label ("<h5>Autor:</h5>",
# "<byline>Von David Hutzler, dpa"): the byline is read from there, whatever
# the block printed before it ("Datum: 19.11.2021 Autor: Fritz Imhof"). Not
# a tail ("the Mozilla codebase</a> by <a>Dave Hyatt</a>" is running text).
_OPENING_LABEL_RE = re.compile(r"(?i:" + _BYLINE_LABEL + r"|text)\b")
MAX_BYLINE_BLOCK = 120


def printed_bylines(tree: lxml_html.HtmlElement) -> Iterator[str]:
    """The names of bylines printed in short blocks of the page, outside
    comments, sidebars and related lists, in document order: 'By Tim Anderson
    July 11, 2011', 'Veröffentlicht am 13. März 2019 von Michael Veeser-Dombrowski'."""
    seen: set[Any] = set()
    for text in texts_containing(tree, _BYLINE_TEXT_WORDS):
        label = " ".join(text.split())
        if len(label) > MAX_BYLINE_BLOCK:
            continue    # every block around it is longer than a byline
        opens = not text.is_tail and _OPENING_LABEL_RE.match(label) is not None
        holder = text.getparent()
        if holder is not None and text.is_tail:
            holder = holder.getparent()
        # The label's own element, then the block around it (the label in
        # <strong>, the name after it: "<li><strong>Autor</strong> X</li>").
        for _ in range(2):
            while holder is not None and holder.tag not in _BYLINE_BLOCKS:
                holder = holder.getparent()
            if holder is None or holder in seen:
                break
            seen.add(holder)
            # One line per text node: "<span>By</span><a>Jane Roe</a>" reads
            # "By\nJane Roe", not "ByJane Roe", and a name (words apart by
            # spaces) does not run on into the next element's text.
            block = "\n".join(filter(None, (" ".join(piece.split())
                                            for piece in holder.itertext())))
            if opens:
                # What follows the label, as far as a byline goes.
                block = block[max(block.find(label), 0):][:MAX_BYLINE_BLOCK]
            elif len(block) > MAX_BYLINE_BLOCK:
                break
            match = (_PRINTED_BYLINE_RE.match if opens else _PRINTED_BYLINE_RE.search)(block)
            if match:
                if not in_other_content(holder):
                    yield match.group("name")
                break
            holder = holder.getparent()


# Legal forms: a name carrying one is a company or association.
_ORGANISATION_RE = re.compile(
    r"(?:^|\s)(?:gmbh|ag|e\.\s?v\.?|ev|kg|se|inc\.?|ltd\.?|llc|plc|s\.a\.?|sarl|s\.l\.?|"
    r"corp\.?|co\.|bv|oy|ab)$"
    r"|^[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|de|at|ch|fr|it|es|nl|eu|info|co\.uk|uk|io|be|pl)$",
    re.I)


def is_category_list(names: list[str]) -> bool:
    """Three or more one-word 'names' from a byline guess are the post's
    categories or tags ('International; Photovoltaik; Speicher'), not people."""
    return len(names) >= 3 and all(len(n.split()) == 1 for n in names)


def published_by_organisation(ld: list[dict[str, Any]]) -> bool:
    """The JSON-LD names a publisher, and not a person."""
    publisher = _json_ld_value(ld, "publisher")
    items = publisher if isinstance(publisher, list) else [publisher]
    return any(isinstance(item, dict) and "@type" in item and not _is_person(item)
               for item in items)


def _is_person(item: dict[str, Any], default: bool = False) -> bool:
    """The JSON-LD object's @type is (or includes) Person; `default` when untyped."""
    types = item.get("@type")
    if types is None:
        return default
    types = types if isinstance(types, list) else [types]
    return any(str(t).lower() == "person" for t in types)


def publisher_names(tree: lxml_html.HtmlElement, ld: list[dict[str, Any]],
                    url: str | None = None) -> set[str]:
    """Letter keys of the names the site goes by: og:site_name,
    application-name, the JSON-LD publisher, the host ('lecker' for
    www.lecker.de). None when the JSON-LD says a person publishes the site
    (a personal blog: its name is its author's)."""
    names = {extract_site_name(tree) or ""}
    publisher = _json_ld_value(ld, "publisher")
    for item in publisher if isinstance(publisher, list) else [publisher]:
        if isinstance(item, dict) and _is_person(item):
            return set()
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.add(item["name"])
    keys = {_letters_key(n) for n in names} | host_site_keys(url)
    return keys - {""}


# An article before a site's name ("Die FURCHE" on furche.at, "The Guardian").
_LEADING_ARTICLE_RE = re.compile(r"^(?:the|die|der|das|la|le|les|el|il|lo|los|las)\s+", re.I)


def is_publisher_name(name: str, publisher_keys: set[str]) -> bool:
    """True for the site's own name or an organisation ('Nestle Family' on
    nestle-family.com, 'Die FURCHE' on furche.at, 'wegewerk GmbH',
    'kath.net') given as the author."""
    return _letters_key(name) in publisher_keys \
        or _letters_key(_LEADING_ARTICLE_RE.sub("", name.strip())) in publisher_keys \
        or bool(_ORGANISATION_RE.search(name.strip()))


_SEGMENT_SEPARATOR_RE = re.compile(r"\s+[-–—|·]\s+")


def without_publisher(name: str, publisher_keys: set[str]) -> str:
    """An author field less the site's own name, before it is split into
    people: 'Jobs & Hire' on jobsnhire.com names the publisher, no one
    ('Jobs' and 'Hire' once split); 'unocero - Alberto Ávila' names the site
    and its author. Beside the site's name, only a name is kept: 'L-MAG –
    Das Magazin für Lesben' is the site and its tagline."""
    if _letters_key(name) in publisher_keys:
        return ""
    segments = _SEGMENT_SEPARATOR_RE.split(name)
    kept = [segment for segment in segments if _letters_key(segment) not in publisher_keys]
    if len(kept) == len(segments):
        return name
    return ", ".join(segment for segment in kept if re.fullmatch(_NAME, segment.strip()))


# Words that make a byline segment a newsroom, not a person ("BBC News",
# "Associated Press", "Foreign Desk"); no name holds one (_NOT_A_PERSON_RE).
_NEWSROOM_WORDS = "news|radio|press|wire|reuters|associated|agency|desk|staff"
_OUTLET_RE = re.compile(rf"\b(?:{_NEWSROOM_WORDS})\b", re.I)


def before_outlet(field: str, publisher_keys: set[str]) -> str:
    """A byline's names, without the bureau after its outlet: in 'Nada
    Tawfik, BBC News, New York' (or 'Jane Roe, AP, Washington') the outlet
    closes the list of people, and what follows it is the place."""
    segments = field.split(",")
    for index, segment in enumerate(segments[1:], 1):
        words = segment.strip()
        if _letters_key(words) in publisher_keys or words.casefold() in NEWS_AGENCIES \
                or _ACRONYM_RE.match(words) or _OUTLET_RE.search(words):
            return ",".join(segments[:index])
    return field


# The surname after a first name that opens an author's bio: one capitalised
# word, then punctuation, the end, or a lower-case word ("Nils Pickert ist
# ..."); a second capitalised word may be a noun ("Anna Schmidt Journalistin
# bei ..."), so then nothing is taken.
_BIO_SURNAME_RE = re.compile(r"[ \t]+(?P<surname>" + _NAME_WORD + r")"
                             r"(?=\s*(?:[-–—,:;(]|$)|\s+[^\W\d_A-ZÀ-ÖØ-Þ])")


def person_name(person: dict[str, Any]) -> str:
    """A JSON-LD Person's name; a one-word name (a WordPress display name,
    'Nils') whose own description opens with it and a surname ('Nils Pickert
    ist freier Autor ...', 'Stefanus Stahl - Maschinenbauer ...': Yoast's
    author bio) is given whole."""
    name = html_unescape(str(person.get("name") or "")).strip()
    description = person.get("description")
    if len(name.split()) == 1 and isinstance(description, str):
        bio = html_unescape(description).strip()
        match = _BIO_SURNAME_RE.match(bio, len(name)) if bio.startswith(name) else None
        if match:
            return f"{name} {match['surname']}"
    return name


def _json_ld_people(tree: lxml_html.HtmlElement) -> list[str]:
    """Authors named by any JSON-LD object (a WebPage, a Recipe, a @graph
    Person), when no article object names one. Images and videos name their
    photographer: a credit, not the article's author."""
    names: list[str] = []
    for obj in _json_ld_objects(tree):
        if str(obj.get("@type", "")).lower() in _MEDIA_TYPES:
            continue
        value = obj.get("author") or obj.get("creator")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and str(item.get("@type", "Person")).lower() == "person":
                names.append(person_name(item))
            elif isinstance(item, str):
                names.append(html_unescape(item))
        if any(names):
            break
    return names


_MEDIA_TYPES = {"imageobject", "videoobject", "mediaobject", "audioobject", "photograph"}


_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&|\||\n|"
                              r"\bim gespräch mit\b|\bin conversation with\b)\s*", re.I)
# "By", "View all posts by", "Von", "Par", "Autor:" ... before the name.
_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:(?:view all posts|posts|articles?|stories|written|words|posted|edited|photos?|text|"
    r"submitted|published|post author)\s+by|"
    r"(?:ein\s+)?(?:artikel|beitrag|gastbeitrag|kommentar|interview|text|fotos?)\s+von|"
    r"post author|by|from|von|vom|par|por|di|door|autor(?:in|[/*:_]in)?|author|auteur|autrice|autore|"
    r"redakteur(?:in)?|interview|text|texte|"
    # a role glued to the outlet: "FOCUS-Online-Experte", "Gastautor"
    r"[\w-]*(?:experte|expertin|gastautor(?:in)?|korrespondent(?:in)?))\s*:?(?:\s+|$)", re.I)
_NOT_A_PERSON_RE = re.compile(
    _NEWSROOM_WORDS + r"|reporter|editor|correspondent|contributor|"
    r"team|e-?mail|follow|twitter|@|\[at\]|https?:|www\.|\.[a-z]{2,}/|\d|"
    r"redaktion|rédaction|redacción|redazione|redactie", re.I)
# Institutions given as the author, German compounds included
# ("Bundesministerium für Wirtschaft und Energie", "Feuerwehr Oldenburg"), and
# names carrying a country or a national adjective ("Diakonie Deutschland",
# "Deutsches Rotes Kreuz", "Bayerische Landesanstalt für Wald"): no person's.
_INSTITUTION_RE = re.compile(
    r"ministerium|ministry|ministère|ministerio|department|d[ée]partement|departamento|dipartimento|"
    r"abteilung|universit|institut|verband|verein|"
    r"association|asociación|associazione|foundation|fondation|fundación|stiftung|anstalt|bündnis|"
    r"feuerwehr|polizei|police|behörde|kommission|commission|gesellschaft|"
    r"\b(?:deutschland|österreich|schweiz|suisse|svizzera|germany|polska|españa|italia|nederland|"
    r"(?:deutsch|bayerisch|österreichisch|schweizerisch)e[nrs]?)\b", re.I)
_AUTHOR_LIST_SEPARATOR_RE = re.compile(r"\s*[,;|\n]\s*")
# Names that content systems print when there is no author.
PLACEHOLDER_AUTHORS = {"name", "unknown", "admin", "administrator", "super user", "anonymous",
                       "guest", "author", "webmaster", "wordpressadmin", "redaktion", "user",
                       "username", "submitted", "publisher", "autor", "autorin", "auteur",
                       "auteurs", "autore", "autori", "autores", "unbenannt", "no author",
                       "anónimo", "anonimo", "anonym", "anonyme", "text", "foto", "fotos",
                       "interview", "zvg"}
# News agencies, written in lower case too ("dpa", "Dpa"): not a person.
NEWS_AGENCIES = {"dpa", "afp", "ap", "apa", "sda", "kna", "epd", "ddp", "efe", "ansa", "pap",
                 "kyodo", "jiji", "xinhua", "sid", "ots", "ats", "anp", "belga", "tass", "upi"}
# A byline fragment naming a country is an organisation's postal address
# ("GIROMATCH, Frankfurt a. M, Germany"): the whole byline is dropped.
_COUNTRY_RE = re.compile(
    r"^(?:germany|deutschland|austria|österreich|switzerland|schweiz|suisse|france|italy|italia|"
    r"spain|españa|usa|united states|united kingdom|uk|netherlands|nederland|belgium|belgique|"
    r"poland|polska|canada|australia|india|brasil|brazil|mexico|méxico|argentina|chile)$", re.I)
# "Art Edwards says", "Stephangoeldi said": the author of a comment.
_COMMENTER_RE = re.compile(r"\s(?:says|said|sagt|schreibt|writes|wrote|dit|a dit)$", re.I)
# A byline fragment that is only a date word or a date label ("Joe Wee,
# February 3, 2015" splits into "February"; "Last Updated: January 7, 2025").
_DATE_WORDS_RE = re.compile(
    r"^(?:(?:last\s+)?(?:updated|modified|published|posted)(?:\s+on)?|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|mai|"
    r"juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|"
    r"octobre|novembre|décembre)\.?|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"stand|datum|date|zuletzt (?:geändert|aktualisiert)|aktualisiert|veröffentlicht)$", re.I)
# Relative times left after the number is cut: "Aleš Vávra před 3 hodinami",
# "Anna Schmidt vor 2 Stunden", "Ana Ruiz hace 5 horas".
_TRAILING_RELATIVE_RE = re.compile(r"\s+(?:před|vor|hace|há|il y a|fa)$", re.I)
# One upper-case word of up to five letters is an outlet or agency ("CNN",
# "AFP", "BBC", "DPA"), or a lone initial ("Kooman, F."): not a person.
_ACRONYM_RE = re.compile(r"^[A-Z]{1,5}\.?$")
# A byline often runs into its date: "Nathan Willis March 25, 2015". Whole
# month/weekday words only: "Jung", "Marathe" and "Le Clerc" are names.
_TRAILING_DATE_RE = re.compile(
    r"\s+(?:(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|updated|published|posted|"
    r"stand|aktualisiert|veröffentlicht|publié|mis à jour)(?:\s+\d.*|\s*,.*)?$"
    r"|\s*\d.*$", re.I)
# A login with digits, one word ("happyface313", "CC7567"): no name as a byline
# prints it, and without its digits (cut as a date would be) a wrong one.
_LOGIN_WITH_DIGITS_RE = re.compile(r"[^\W\d_][\w-]*\d[\w-]*")


def strip_author_prefixes(text: str) -> str:
    """Labels before a name, however many: 'Post author By X', 'Von
    FOCUS-Online-Experte X' -> 'X'."""
    for _ in range(3):
        stripped = _AUTHOR_PREFIX_RE.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


# A role printed after the name in the same block: "Ben Silverman Games
# Editor", "Adam Aaronson PhillyVoice Staff", "Jane Roe, Senior Reporter".
_TRAILING_ROLE_RE = re.compile(
    r"(?:\s+[\w-]+)?\s+(?:staff|editor|reporter|correspondent|writer|contributor|columnist|"
    r"redakteur(?:in)?|korrespondent(?:in)?)$", re.I)
# A credit or a link printed after the name: "Christian Seiler Illustration
# von", "Jil Schuller Alle Artikel", "Rob Ewaschuk Edited".
_TRAILING_LABEL_RE = re.compile(
    r"\s+(?:illustrations?|illustration(?:en)?|fotos?|photos?|bilder|grafiken?|edited|"
    r"alle artikel|all (?:articles|posts|stories)|weitere artikel|more (?:articles|stories))"
    r"(?:\s+(?:von|by))?$", re.I)
# Academic degrees after a comma are not a second author ("Grant Tinsley, PhD").
DEGREES = {"phd", "ph.d", "ph. d", "md", "m.d", "mba", "msc", "m.sc", "bsc", "ma", "m.a", "rd",
           "dr", "prof", "mph", "dphil"}
# A login name in lower case with dots for spaces ("robert.stitz",
# "edilson.la.rosa"): the person's name, capitalised.
_DOTTED_LOGIN_RE = re.compile(r"^[a-zà-öø-ÿ]{2,}(?:\.[a-zà-öø-ÿ]{2,}){1,2}$")


# The outlet a byline names after the person: "Jane Roe for The Guardian",
# "Jane Roe special to The Post"; after a comma, "Special to The Post" alone.
_FOR_OUTLET_RE = re.compile(r"\s+(?:for|(?i:special to))\s+(?:the\s+)?[A-Z][\w.'’&-]*"
                            r"(?:\s+(?:[A-Z][\w.'’&-]*|of|and|&))*$")
_SPECIAL_TO_RE = re.compile(r"^special to\b", re.I)


def _cut_tail(name: str, tail: re.Pattern[str]) -> str:
    """`name` less what `tail` finds at its end, when two words or more stay
    before it."""
    match = tail.search(name)
    if match and len(name[:match.start()].split()) >= 2:
        return name[:match.start()]
    return name


def strip_for_outlet(name: str) -> str:
    """'Jane Roe for The Guardian' -> 'Jane Roe' ('Organization for
    Transformative Works' stays whole)."""
    return _cut_tail(name, _FOR_OUTLET_RE)


def strip_trailing_role(name: str) -> str:
    """'Ben Silverman Games Editor' -> 'Ben Silverman': a role word and the
    word before it end the byline ('Our Foreign Staff' stays whole, and is
    then no person)."""
    return _cut_tail(name, _TRAILING_ROLE_RE)


def is_login(text: str) -> bool:
    """One lower-case word: an account name ('wuff', 'vpohl', 'robert.stitz'),
    not a person's as a byline prints it."""
    return text.islower() and len(text.split()) == 1


def login_to_name(name: str) -> str:
    """'robert.stitz' -> 'Robert Stitz'; any other name as it is."""
    if _DOTTED_LOGIN_RE.match(name) and not _ORGANISATION_RE.search(name) \
            and not name.startswith("www."):
        return " ".join(word.capitalize() for word in name.split("."))
    return name


def clean_author_name(part: str) -> str | None:
    """One byline fragment to a person's name, or None when it is not one."""
    part = strip_author_prefixes(normalize_text(part)).strip(" .,:-–—|")
    part = re.sub(r"\s+(?:-|–|—|\|)\s+(?:https?://|www\.)\S*$", "", part)   # "Name - http://site"
    if _LOGIN_WITH_DIGITS_RE.fullmatch(part):
        return None
    part = _TRAILING_DATE_RE.sub("", part).strip(" .,:-–—|")
    part = _TRAILING_LABEL_RE.sub("", part)
    part = login_to_name(strip_for_outlet(strip_trailing_role(part)))
    if part.casefold().rstrip(".") in DEGREES:
        return None
    part = _TRAILING_RELATIVE_RE.sub("", part)
    if _COMMENTER_RE.search(part) or _SPECIAL_TO_RE.match(part):
        return None
    if not part or part.casefold() in PLACEHOLDER_AUTHORS or _NOT_A_PERSON_RE.search(part) \
            or part.casefold() in NEWS_AGENCIES \
            or _DATE_WORDS_RE.match(part) or _ACRONYM_RE.match(part):
        return None
    if not 1 <= len(part.split()) <= 4 or reads_as_text(part):
        return None
    return part


# Lower-case words a name may hold: particles, the "y"/"e" of Spanish and
# Portuguese names ("José Ortega y Gasset") and titles some languages write in
# lower case ("dr. Anna Nowak").
_LOWER_CASE_IN_NAMES = {*NAME_PARTICLES, "y", "e", "dr", "dr.", "prof", "prof.", "mag.", "ing."}


def reads_as_text(name: str) -> bool:
    """Capitalised words mixed with lower-case ones that no name holds: a
    phrase ('deinen Hochzeitsbloggern', 'Endlich mehr Beschleunigung wagen',
    'stol.it / Suedtirol Online'). A name may write one word in lower case
    ('Mobasir hassan'), or every word (a handle)."""
    words = name.split()
    if len(words) < 2 or not any(w[:1].isupper() for w in words):
        return False
    lower = [i for i, w in enumerate(words)
             if w[:1].islower() and w.casefold() not in _LOWER_CASE_IN_NAMES
             and not w.startswith(("d'", "l'", "d’", "l’"))]
    return len(lower) >= 2 or 0 in lower     # two such words, or one opening the name


def without_institutions(field: str) -> str:
    """An author field less the institutions it lists: their names run on
    past "and"/"und", so each is dropped whole, up to the next comma."""
    return ", ".join(part for part in _AUTHOR_LIST_SEPARATOR_RE.split(field)
                     if not _INSTITUTION_RE.search(part))


_TAG_RE = re.compile(r"<[^<>]*>")
_SERIALISED_LIST_RE = re.compile(r"\s*\[(.*)\]\s*", re.S)


def author_field_text(field: str) -> str:
    """An author field as text: without tags, and a serialised list's items
    without their quotes (a JSON-LD "author": "['<a href=\\"/experts/jane-roe\\">Jane
    Roe</a>']" -> 'Jane Roe')."""
    text = _TAG_RE.sub(" ", field)
    listed = _SERIALISED_LIST_RE.fullmatch(text)
    if listed:
        text = ", ".join(item.strip(" '\"") for item in listed[1].split(","))
    return text


def clean_authors(names: list[str]) -> list[str]:
    """Split "By A and B, ABC News" into people: ['A', 'B']."""
    people: list[str] = []
    for raw in names:
        text = strip_author_prefixes(normalize_text(author_field_text(raw or "")))
        if any(_COUNTRY_RE.match(part.strip(" .")) for part in _AUTHOR_SPLIT_RE.split(text)):
            continue
        parts = _AUTHOR_SPLIT_RE.split(without_institutions(text))
        for part in parts:
            name = clean_author_name(part)
            if name and name.casefold() not in {p.casefold() for p in people}:
                people.append(name)
    return people


# Where a page lists the article's tags; the first source present gives them
# all. The keyword metas (Google News' news_keywords, then keywords) hold the
# whole list; Open Graph's article:tag is often cut short (AP: 6 of 14 tags)
# and JSON-LD keywords mix in the site's own flags ("paywall exclude",
# "Section: Sport:Football"), so they come after. On Fundus' 56 pages with
# topics, this order gives their exact set on 33 (evaluation/RESULTS.md).
TAG_META = ("news_keywords", "keywords", "article:tag")

SECTION_META = ("article:section", "parsely-section")
IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
              "twitter:image:src")
MAX_CAPTION_CHARS = 500
MAX_CREDIT_CHARS = 200
# Parts of a printed caption that are its credit.
_CREDIT_PART_CLASS_RE = re.compile(r"credit|copyright|photographer", re.I)
# The words that label a credit, before a colon ("Photograph:", "Foto:", "Credits:").
_CREDIT_LABEL_WORDS = (r"photo(?:graph)?s?|images?|pictures?|pics?|credits?|fotoğraf|fotos?|"
                       r"bild(?:er)?|source|quelle")
# A credit closing a caption: "... apartments. Photograph: Eva Manez/Reuters",
# "... US Open (Photos: Getty/AP)", "... Albania. Foto: Florion Goga (REUTERS)",
# "... Venezuela. (AP Photo/Matias Delacroix) -", and the wire services' own
# "... 2023. REUTERS/Issam Abdallah", "... Paris. Jane Roe/AFP".
_CAPTION_CREDIT_RE = re.compile(
    rf"(?:(?:^|(?<=[.!?])|\s*[(\[])\s*(?:{_CREDIT_LABEL_WORDS})\s*:.*"
    r"|\s*\([^()]*\bphoto\s*/[^()]*\)[\s–—-]*"
    r"|(?<=[.!?])\s+(?=[^.]*(?-i:\b(?:REUTERS|AFP|EPA|ANSA|XINHUA|DPA|AP)\b))[^.]*/[^.]*)$",
    re.I | re.S)
# A gallery's counter opening a caption: "[1/5]", "1/6" (not a date, "06/06/21").
_GALLERY_COUNTER_RE = re.compile(r"^(?:\[\d{1,3}/\d{1,3}\]|\d{1,3}/\d{1,3}(?![/.\d]))\s*")
# A picture desk's usage notice closing a caption, in capitals: "THIS IMAGE HAS
# BEEN SUPPLIED BY A THIRD PARTY. MANDATORY CREDIT. NO RESALES. NO ARCHIVES."
_USAGE_NOTICE_RE = re.compile(
    r"(?:\s*(?:THIS IMAGE HAS BEEN SUPPLIED BY A THIRD PARTY|MANDATORY CREDIT|NO RESALES|"
    r"NO ARCHIVES|EDITORIAL USE ONLY|NO THIRD PARTY SALES|BEST QUALITY AVAILABLE|"
    r"NOT FOR (?:SALE|MARKETING)[A-Z ]*)\.?)+\s*$")


def split_tags(values: Iterable[str]) -> list[str]:
    """Tags from one source's values, each a comma-separated list: spaces
    folded, duplicates (in any letter case) dropped, in the page's order."""
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        for tag in str(value).split(","):
            tag = " ".join(tag.split())
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
    return tags


def extract_tags(tree: lxml_html.HtmlElement,
                 ld: list[dict[str, Any]] | None = None) -> list[str]:
    """The article's tags as the page states them (TAG_META, then JSON-LD
    keywords, then Parse.ly's tags); empty when it states none."""
    found = meta_values(tree, *TAG_META, "parsely-tags")
    for name in TAG_META:
        if name in found:
            return split_tags(found[name])
    ld = json_ld_articles(tree) if ld is None else ld
    keywords = _json_ld_value(ld, "keywords")
    if isinstance(keywords, (str, list)):
        return split_tags(k for k in (keywords if isinstance(keywords, list) else [keywords])
                          if isinstance(k, str))
    return split_tags(found.get("parsely-tags", []))


def extract_section(tree: lxml_html.HtmlElement,
                    ld: list[dict[str, Any]] | None = None) -> str | None:
    """The site section the article is filed under: JSON-LD articleSection
    (the first, when a list), else article:section or Parse.ly's section."""
    ld = json_ld_articles(tree) if ld is None else ld
    section = _json_ld_value(ld, "articleSection")
    if isinstance(section, list):
        section = next((s for s in section if isinstance(s, str) and s.strip()), None)
    if not isinstance(section, str) or not section.strip():
        section = meta_content(tree, *SECTION_META)
    return " ".join(section.split()) if section and section.strip() else None


def _json_ld_image_url(image: Any) -> str | None:
    """The URL of a JSON-LD image: a string, an ImageObject (url or
    contentUrl), or the first of a list of either."""
    if isinstance(image, list):
        return next(filter(None, map(_json_ld_image_url, image)), None)
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    return image if isinstance(image, str) and image.strip() else None


_IMAGE_SRC_LINKS = etree.XPath('//head/link[@rel="image_src"]')


def extract_image_url(tree: lxml_html.HtmlElement, url: str,
                      ld: list[dict[str, Any]] | None = None) -> str | None:
    """The lead image's absolute URL: JSON-LD image, og:image, twitter:image,
    then <link rel=image_src>; None when none is an http(s) URL."""
    ld = json_ld_articles(tree) if ld is None else ld
    found = meta_values(tree, *IMAGE_META)
    candidates = chain([_json_ld_image_url(_json_ld_value(ld, "image"))],
                       (found[name][0] for name in IMAGE_META if name in found),
                       (link.get("href") for link in _IMAGE_SRC_LINKS(tree)))
    for candidate in candidates:
        if candidate and candidate.strip():
            absolute = urljoin(url, candidate.strip())
            if urlsplit(absolute).scheme in ("http", "https"):
                return absolute
    return None


def extract_image_caption_and_credit(tree: lxml_html.HtmlElement,
                                     ld: list[dict[str, Any]] | None = None,
                                     caption_meta: tuple[str, ...] = ()
                                     ) -> tuple[str | None, str | None]:
    """The lead image's caption and its credit, apart.

    The JSON-LD image's caption and credit (creditText, copyrightHolder)
    first; then the first of `caption_meta` (a source's rule: AP and Reuters
    write the caption, credit included, into og:image:alt, where other sites
    write a description of the picture for screen readers, or the
    headline). Then the first caption printed outside other items' blocks (a
    <figcaption>, else an element classed caption beside an image), split by
    `split_caption`. The credit, when the caption had none: the first element
    classed credit or photographer beside an image, outside other items'
    blocks."""
    ld = json_ld_articles(tree) if ld is None else ld
    image = _json_ld_value(ld, "image")
    image = image[0] if isinstance(image, list) and image else image
    caption = credit = None
    if isinstance(image, dict):
        if isinstance(image.get("caption"), str):
            caption, credit = split_caption_text(image["caption"])
        credit = _json_ld_name(image.get("creditText")) or _json_ld_name(
            image.get("copyrightHolder")) or credit
    stated = meta_content(tree, *caption_meta) if caption is None and caption_meta else None
    if stated:
        caption, stated_credit = split_caption_text(stated)
        credit = credit or stated_credit
    if caption is None:
        for element in chain(tree.iter("figcaption"), _beside_images(tree, _CAPTION_CLASS_RE)):
            if not in_other_content(element):
                caption, printed_credit = split_caption(element)
                if caption or printed_credit:
                    credit = credit or printed_credit
                    break
    return caption, credit or _credit_beside_images(tree)


def _credit_beside_images(tree: lxml_html.HtmlElement) -> str | None:
    """The first element classed credit or photographer beside an image,
    outside other items' blocks, its label removed."""
    for element in _beside_images(tree, _CREDIT_PART_CLASS_RE):
        if not in_other_content(element):
            credit = _credit_label_removed(normalize_text(element.text_content()))
            if credit and len(credit) <= MAX_CREDIT_CHARS:
                return credit
    return None


def _json_ld_name(value: Any) -> str | None:
    """A JSON-LD string, or the name of a Person/Organization object."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def split_caption(element: lxml_html.HtmlElement) -> tuple[str | None, str | None]:
    """(caption, credit) of a printed caption: its elements classed credit,
    copyright or photographer and its <cite> are the credit; the rest is
    read by `split_caption_text`."""
    element = deepcopy(element)
    credits = []
    for part in element.xpath(".//cite | .//*[@class]"):
        if (part.tag == "cite" or _CREDIT_PART_CLASS_RE.search(part.get("class", ""))) \
                and part.getparent() is not None:
            credits.append(_credit_label_removed(normalize_text(part.text_content())))
            part.drop_tree()
    caption, credit = split_caption_text(element.text_content())
    return caption, next(filter(None, credits), None) or credit


def split_caption_text(text: str) -> tuple[str | None, str | None]:
    """(caption, credit) of a caption's text: a closing "Photograph: Eva
    Manez/Reuters" or "(AP Photo/Matias Delacroix)" is the credit; a text
    that reads as a credit alone ("Chip Somodevilla/Getty Images") is no
    caption."""
    text = _GALLERY_COUNTER_RE.sub("", " ".join(text.split()))
    text = _USAGE_NOTICE_RE.sub("", text)
    match = _CAPTION_CREDIT_RE.search(text)
    caption = text[:match.start()].strip() if match else text
    credit = _credit_label_removed(match.group(0)) if match else None
    if caption and credit is None and reads_as_credit(caption):
        caption, credit = None, caption
    return (caption[:MAX_CAPTION_CHARS] or None) if caption else None, credit


# A caption that is a credit: short, no sentence, and a photo agency, a stock
# library or a "photo" word in it, or names joined by a slash (not a date's).
_CREDIT_WORDS_RE = re.compile(
    r"[^\W\d]\s?/|/\s?[^\W\d]|/@|"
    r"\b(?:getty|reuters|afp|ap|dpa|epa|ansa|anp|keystone|istock|thinkstock|shutterstock|"
    r"alamy|stock|images?|photos?|fotos?|courtesy|picture[- ]alliance|pa wire)\b", re.I)


def reads_as_credit(text: str) -> bool:
    """A caption that is only a credit ("iStock/Thinkstock")."""
    return len(text) <= 80 and text[-1] not in ".!?" and bool(_CREDIT_WORDS_RE.search(text))


_CREDIT_LABEL_RE = re.compile(
    rf"^[\s(\[–—-]*(?:(?:(?:image |photo )?credits?|{_CREDIT_LABEL_WORDS})\s*:|©|copyright\b)?\s*"
    r"|[\s)\]–—-]+$", re.I)


def _credit_label_removed(text: str) -> str | None:
    """"Photograph: Eva Manez/Reuters" -> "Eva Manez/Reuters"."""
    credit = _CREDIT_LABEL_RE.sub("", text).strip()
    return credit or None


# Pages without <figcaption> class their captions ("newsCaption",
# "image-caption"): an element so classed beside an image, a child of one of
# the image's three nearest containers; not "Advertisement" or a login form's
# label elsewhere on the page. Searched only after every <figcaption> gave
# nothing, from the images (an XPath over every element cost 0.8 ms a page).
# All of them: the first ten are often icons and logos (tdg.ch's lead caption
# came after them), and ten at most saved 0.15 ms a page.
_CAPTION_CLASS_RE = re.compile(r"caption", re.I)
_IMAGE_CONTAINERS = 3


def _beside_images(tree: lxml_html.HtmlElement,
                   class_re: re.Pattern[str]) -> Iterator[lxml_html.HtmlElement]:
    """Elements whose class `class_re` finds, beside the page's images
    (children of an image's three nearest containers), image by image."""
    for image in tree.iter("img"):
        container = image.getparent()
        for _ in range(_IMAGE_CONTAINERS):
            if container is None or container.tag in ("body", "html"):
                break
            for child in container:
                if class_re.search(child.get("class") or ""):
                    yield child
            container = container.getparent()


def lead_figure_text(tree: lxml_html.HtmlElement) -> str | None:
    """The text of the page's first figcaption or element classed credit or
    caption, as printed (caption and credit together): a line trafilatura
    may carry into the body, which the cleanup drops."""
    for el in tree.xpath("//body//*[self::figcaption or @class]"):
        classes = el.get("class", "")
        if el.tag == "figcaption" or _FIGURE_TEXT_CLASS_RE.search(classes):
            text = normalize_text(el.text_content())
            if 0 < len(text) <= 200:
                return text
    return None


def extract_rights(tree: lxml_html.HtmlElement,
                   ld: list[dict[str, Any]] | None = None) -> str | None:
    """The page's copyright line when the article text does not carry it:
    JSON-LD copyrightNotice, meta copyright / dc.rights, then a short
    copyright line anywhere in the page (usually the footer)."""
    ld = json_ld_articles(tree) if ld is None else ld
    value = _json_ld_value(ld, "copyrightNotice") \
        or meta_content(tree, "copyright", "dc.rights", "dcterms.rights")
    if isinstance(value, str) and value.strip():
        return normalize_text(value)
    for el in _rights_candidates(tree):
        if len(el) > 3:
            continue
        text = normalize_text(el.text_content())
        if is_rights_line(text):
            return text
    return None


# What every rights line contains; _RIGHTS_RE in cleanup decides. The usual
# cases of each marker preselect the texts (a case-insensitive search of every
# text node costs twice as much), the regex confirms.
_RIGHTS_MARKER_RE = re.compile(r"copyright|©|\(c\)|reserved", re.I)
_RIGHTS_MARKER_WORDS = any_of("©", "opyright", "OPYRIGHT", "opyRight", "(c)", "(C)",
                              "eserved", "ESERVED")
_RIGHTS_BLOCKS = {"p", "div", "span", "small"}


def _rights_candidates(tree: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """Blocks (p, div, span, small) around a text holding a rights marker, in
    document order: a block starts before its descendants, and a block not
    around the first marker starts after it. Walking every block of the page
    with text_content() instead took 6% of the extraction time."""
    seen: set[Any] = set()
    for text in texts_containing(tree, _RIGHTS_MARKER_WORDS):
        if not _RIGHTS_MARKER_RE.search(text):
            continue
        holder = text.getparent()
        if holder is not None and text.is_tail:
            holder = holder.getparent()
        if holder is None:
            continue
        for el in reversed([holder, *holder.iterancestors()]):
            if el.tag in _RIGHTS_BLOCKS and el not in seen:
                seen.add(el)
                yield el

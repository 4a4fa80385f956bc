"""Body cleanup: small pure functions over the paragraphs trafilatura returns.

trafilatura keeps the main column of a page; on wire-service sites that column
still carries things that are not the article: the headline printed again above
the text, rows of share / app-store links ("FacebookApple App StoreGoogle
Play"), the printed date, a photo credit glued to the wire dateline
("State Department photo/ Public Domain(MOSCOW) -- ..."), a copyright line,
"follow us" prompts and lists of related headlines. Each function below removes
one of these kinds, by its shape rather than by one site's wording, and the
ones that carry information (dateline, credit, rights) return it so it becomes
a field of its own. `clean_paragraphs` applies them in order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pipelines.dates import looks_like_date_line

# Names that make up share bars and app-store rows. A paragraph made of nothing
# but these (in any order, glued or separated) is navigation, not text.
SHARE_TOKENS = (
    "apple app store", "google play", "app store", "facebook", "twitter", "instagram",
    "linkedin", "whatsapp", "pinterest", "reddit", "youtube", "tiktok", "telegram",
    "threads", "bluesky", "flipboard", "e-mail", "email", "print", "copy link",
    "share this", "share", "tweet", "x", "sms", "messenger", "comments", "comment",
)
_SHARE_RE = re.compile(
    "|".join(re.escape(t) for t in sorted(SHARE_TOKENS, key=len, reverse=True)), re.I)

_RIGHTS_RE = re.compile(r"^\s*(?:copyright\b|©|\(c\)\s*\d{4})|all rights reserved", re.I)
# Short prompts to follow the publisher elsewhere.
_FOLLOW_RE = re.compile(
    r"^\s*(?:follow us\b|follow (?:@\w+|[\w .]{1,30}) on\b|connect with us\b|"
    r"like us on facebook\b|download (?:the|our) (?:free )?app\b|"
    r"sign up for (?:our|the) [\w ]*newsletter\b|subscribe to our [\w ]*newsletter\b)", re.I)
# Headings that open a list of other stories at the end of an article.
_RELATED_HEADING_RE = re.compile(
    r"^\s*(?:related(?: (?:stories|articles|coverage|content|news|headlines))?|"
    r"more (?:from|on|in|headlines|stories|[\w ]{1,30} news)\b.*|read (?:more|next|also)|"
    r"top (?:stories|headlines)|you (?:may|might) also like|recommended(?: for you)?|"
    r"latest (?:news|headlines|stories))\s*:?\s*$", re.I)

# Wire datelines: "(MOSCOW) --", "(SOCHI, Russia) --" (ABC Radio style) and
# "WASHINGTON (AP) —", "LONDON, May 14 (Reuters) -" (agency style). The place
# starts with an upper-case word; an optional ", Region" may follow.
_PLACE = r"[A-Z][A-Z.'’\- ]*[A-Z.](?:,\s*[A-Z][A-Za-z.'’\- ]*?)?"
_DASH = r"(?:--|—|–|-)"
_PAREN_DATELINE_RE = re.compile(rf"\((?P<place>{_PLACE})\)\s*{_DASH}\s*")
_AGENCY_DATELINE_RE = re.compile(
    rf"^(?P<place>{_PLACE})(?:,\s*\w+\.? \d{{1,2}})?\s*\((?P<agency>[A-Za-z][\w .&-]{{0,30}})\)\s*{_DASH}\s*")
# A dateline sits at the very start; a longer prefix is text, not a credit.
MAX_CREDIT_PREFIX = 120

# Related-headline lines are short; a real closing paragraph is longer.
MAX_RELATED_LINE = 140

# Headings of "read also" lists in the languages most pages are written in
# ("À lire aussi", "Weitere Themen", "Das könnte Sie auch interessieren",
# "Czytaj też", "Notas relacionadas"), standing alone on their line.
_READ_ALSO_HEADING_RE = re.compile(
    r"^\W*(?:(?:à |a )?lire aussi|voir aussi|sur le même (?:sujet|thème)|"
    r"(?:das )?(?:thema )?(?:könnte|dürfte) (?:dich|sie) (?:auch )?(?:noch )?interessieren|"
    r"auch interessant|ebenfalls interessant|lesen sie auch(?: die folgenden beiträge)?|auch lesen|"
    r"schon gelesen\??|zum weiterlesen|weiterlesen|mehr (?:zum thema|themen|dazu)\b.*|"
    r"weitere (?:themen|artikel|beiträge|informationen|infos|nachrichten|meldungen|tourentipps|"
    r"aktuelle themen)\b.*|empfohlene (?:beiträge|artikel)|ähnliche (?:beiträge|artikel|themen)|"
    r"verwandte (?:beiträge|artikel|themen)|top-themen\b.*|"
    r"czytaj (?:też|także|również|więcej)|zobacz (?:też|także|również)|"
    r"leggi anche|potrebbe interessarti|lee también|lea también|ver también|vea también|"
    r"notas relacionadas|contenido relacionado|noticias relacionadas|te puede interesar|"
    r"le puede interesar|puedes ver|más sobre\b.*|"
    r"also read|read also|see also|further reading|related posts?|"
    r"you may also be interested in|recommended (?:stories|articles|reading))\W*$", re.I)
# A "read also" line: the label, then another story's headline on the same
# line ("Lea también: Impiden ingreso ...", "Read more: Looted colonial art").
_READ_ALSO_LINE_RE = re.compile(
    r"^\W*(?:(?:à |a )?lire aussi|voir aussi|lesen sie (?:auch|hier|mehr)|auch lesen|mehr dazu|"
    r"czytaj (?:też|także|również|więcej)|zobacz (?:też|także|również)|dowiedz się więcej|"
    r"leggi anche|lea (?:también|más)|lea|lee también|vea también|ver también|mire|mira|"
    r"le puede interesar|te puede interesar|puedes ver|también te puede interesar|"
    r"read more|read also|also read|related|see also|more on this)\s*[:»|]\s*\S", re.I)
MAX_READ_ALSO_LINE = 250
MAX_READ_ALSO_HEADING = 80

# Prompts of the publisher, not article text: newsletter sign-ups, paywall
# and subscription calls, app downloads, donation requests, comment and
# login prompts, advertising labels.
# Split in two for speed: prompts that open the line (matched there only)
# and phrases found anywhere in it.
_PROMPT_START_RE = re.compile(
    r"\W*(?:(?:jetzt |now )?(?:subscribe|abonnieren|abonnez-vous|suscríbete)\b|"
    r"pour (?:lire la suite|accéder en illimité|continuer à lire)|"
    r"ten tekst przeczytasz|zapraszamy (?:też )?do subskrypcji|wesprzyj nas|"
    r"(?:hazte miembro|únete)\b|unterstütze\b|(?:view|keine|no|\d+) comments?\W*$|"
    r"kommentare insgesamt|sie sind (?:aktuell )?nicht eingeloggt|"
    r"(?:anzeige|werbung|advertisement|publicidad)\s*(?:[:|–-]|$)|"
    r"(?:follow|folgen sie|suivez) [\w .@]{1,40} (?:on|auf|sur) (?:twitter|facebook|instagram))",
    re.I)
_PROMPT_ANYWHERE_RE = re.compile(
    r"\bsign(?:ing)? up (?:for|to) (?:our|the)\b|\bsign up to get\b|\bnewsletter\b.{0,60}"
    r"(?:anmelden|abonnieren|sign up|subscribe|inscri|suscri)|"
    r"(?:zum|für unseren|unseren|our|notre|nuestro) [\w-]*newsletter\b|"
    r"\bsubscribe (?:now )?to (?:our|the)\b|\bplease subscribe\b|already a subscriber|"
    r"\bdownload (?:the|our) [\w ]{0,30}apps?\b|\bwould you consider supporting\b|"
    r"\bsupport (?:our|us)\b.{0,40}\b(?:donat|subscri)|"
    r"in den kommentaren\b|eingeloggt sein um kommentare|"
    r"\bcontains (?:references to products|affiliate links)\b|\benthält (?:werbung|affiliate)|"
    r"\bwe may receive (?:a )?compensation\b",
    re.I)
# Every phrase of _PROMPT_ANYWHERE_RE contains one of these (a cheap test first).
_PROMPT_WORDS = ("sign", "newsletter", "subscri", "download", "support", "kommentare",
                 "contains", "enthält", "compensation")
MAX_PROMPT_LINE = 300

# Picture credits and captions' labels on a line of their own ("Titelbild:
# ...", "Crédits photos : Bestimage", "(Credit: Clayton Aldern / Grist)",
# "Fot. Łukasz Nowaczyk / Agencja Gazeta"), and bare widget labels.
_CREDIT_LINE_RE = re.compile(
    r"^\W*(?:(?:titel|beitrags|vorschau)?bild(?:quelle)?|fotos?|fot\.|photos?|image(?: illustrative)?|"
    r"credits?(?: photos?)?|crédits?(?: photos?)?|quelle|source de l'image|foto de portada)\s*:"
    r"|^\W*fot\.\s|^\W*(?:bild anzeigen|beitragsbild|image|photo)\W*$", re.I)
MAX_CREDIT_LINE = 150
# "Letzte Änderung 14.02.2019", "Aktualisiert am 17.01.2021.", "Last Modified: ..."
_CHANGED_LINE_RE = re.compile(
    r"^\W*(?:letzte änderung|zuletzt (?:aktualisiert|geändert)|aktualisiert am|stand:|"
    r"last (?:modified|updated)|mis à jour le|actualizado)\b", re.I)


@dataclass
class CleanBody:
    paragraphs: list[str]
    dateline: str | None = None
    rights: str | None = None
    image_credit: str | None = None
    removed: list[str] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Unicode NFC, non-breaking and repeated spaces folded, ends trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def _key(text: str) -> str:
    """Comparison key: case, punctuation and spacing do not matter."""
    return re.sub(r"\W+", " ", text.casefold()).strip()


def is_share_row(paragraph: str) -> bool:
    """True for a row made only of share/app-store link names."""
    if len(paragraph) > 120 or not _SHARE_RE.search(paragraph):
        return False
    rest = _SHARE_RE.sub(" ", paragraph)
    return not re.search(r"\w", rest)


def is_follow_prompt(paragraph: str) -> bool:
    return len(paragraph) <= 100 and bool(_FOLLOW_RE.match(paragraph))


def is_rights_line(paragraph: str) -> bool:
    return len(paragraph) <= 200 and bool(_RIGHTS_RE.search(paragraph))


def is_read_also_heading(paragraph: str) -> bool:
    """A "read also" heading: short, not a sentence ("Weitere Informationen
    erteilt Anne Althaus ..." is text)."""
    return len(paragraph) <= MAX_READ_ALSO_HEADING and not paragraph.rstrip().endswith(".") \
        and bool(_READ_ALSO_HEADING_RE.match(paragraph))


def is_read_also(paragraph: str) -> bool:
    """A "read also" heading, or a label and another story's headline."""
    return is_read_also_heading(paragraph) or (
        len(paragraph) <= MAX_READ_ALSO_LINE and bool(_READ_ALSO_LINE_RE.match(paragraph)))


def is_publisher_prompt(paragraph: str) -> bool:
    """A newsletter, subscription, app, donation, comment or ad prompt."""
    if len(paragraph) > MAX_PROMPT_LINE:
        return False
    if _PROMPT_START_RE.match(paragraph):
        return True
    lowered = paragraph.lower()
    return any(word in lowered for word in _PROMPT_WORDS) \
        and bool(_PROMPT_ANYWHERE_RE.search(paragraph))


def is_credit_line(paragraph: str) -> bool:
    """A picture credit on its own line, or a "last changed" stamp."""
    if len(paragraph) > MAX_CREDIT_LINE:
        return False
    return bool(_CREDIT_LINE_RE.match(paragraph)) or (
        len(paragraph) <= 80 and bool(_CHANGED_LINE_RE.match(paragraph)))


def strip_read_also(paragraphs: list[str]) -> list[str]:
    """Drop "read also" lines; a heading standing alone takes the short
    headline line after it along, and when only short lines follow it to
    the end, all of them (a list of other stories)."""
    kept: list[str] = []
    i = 0
    while i < len(paragraphs):
        para = paragraphs[i]
        if i > 0 and is_read_also_heading(para):
            tail = paragraphs[i + 1:]
            if all(len(line) <= MAX_RELATED_LINE for line in tail):
                break
            i += 2 if tail and len(tail[0]) <= MAX_RELATED_LINE \
                and not tail[0].rstrip().endswith((".", "!", ":")) else 1
            continue
        if is_read_also(para):
            i += 1
            continue
        kept.append(para)
        i += 1
    return kept


def strip_leading_repeats(paragraphs: list[str], title: str | None,
                          description: str | None = None) -> list[str]:
    """Drop what precedes the text at the top: the headline (often printed two or
    three times), the printed date, share rows, and the deck when it is
    printed more than once.

    The deck itself stays: pages very often reuse the standfirst or the lead
    paragraph as their meta description, and every benchmark's gold counts it
    as article text (dropping it cost 14 of 400 trafilatura-eval snippets)."""
    title_key = _key(title) if title else None
    deck_key = _key(description) if description else None
    kept: list[str] = []
    start = 0
    while start < len(paragraphs):
        para = paragraphs[start]
        key = _key(para)
        if key == title_key or looks_like_date_line(para) or is_share_row(para):
            start += 1
            continue
        if deck_key and key == deck_key:
            if not kept:
                kept.append(para)
            start += 1
            continue
        break
    return kept + paragraphs[start:]


def strip_related_block(paragraphs: list[str]) -> list[str]:
    """Cut a trailing "More World News" / "Related" heading and the short
    headline lines after it."""
    for i, para in enumerate(paragraphs):
        if i == 0 or not _RELATED_HEADING_RE.match(para):
            continue
        tail = paragraphs[i + 1:]
        if all(len(line) <= MAX_RELATED_LINE for line in tail):
            return paragraphs[:i]
    return paragraphs


def split_dateline(paragraph: str) -> tuple[str | None, str | None, str]:
    """Split the first paragraph into (credit, dateline place, text).

    The credit is whatever is glued before a bracketed dateline, as on pages
    where the photo caption runs into the text: "Getty Images(MOSCOW) -- ...".
    """
    match = _AGENCY_DATELINE_RE.match(paragraph)
    if match:
        return None, match.group("place").strip(), paragraph[match.end():]
    match = _PAREN_DATELINE_RE.search(paragraph, 0, MAX_CREDIT_PREFIX + 60)
    if match and match.start() <= MAX_CREDIT_PREFIX:
        prefix = paragraph[:match.start()].strip()
        # A prefix ending a sentence is text; a credit never does.
        if prefix and prefix[-1] in ".!?\"”":
            return None, None, paragraph
        return prefix or None, match.group("place").strip(), paragraph[match.end():]
    return None, None, paragraph


def clean_paragraphs(paragraphs: list[str], *, title: str | None,
                     description: str | None = None, figure_text: str | None = None,
                     stop_lines: tuple[str, ...] = ()) -> CleanBody:
    """Apply every cleanup rule, in order, and collect the fields they free."""
    paras = [p for p in (normalize_text(p) for p in paragraphs) if p]
    result = CleanBody(paragraphs=[])
    stops = {_key(s) for s in stop_lines}
    figure_key = _key(figure_text) if figure_text else None
    kept: list[str] = []
    for para in paras:
        key = _key(para) if stops or figure_key is not None else None
        if key in stops:
            result.removed.append(para)
            break
        if is_rights_line(para):
            result.rights = result.rights or para
        elif is_share_row(para) or is_follow_prompt(para) or is_publisher_prompt(para) \
                or is_credit_line(para):
            pass
        elif figure_key is not None and key == figure_key:
            pass
        else:
            kept.append(para)
            continue
        result.removed.append(para)
    kept = strip_leading_repeats(kept, title, description)
    kept = strip_related_block(kept)
    kept = strip_read_also(kept)
    if kept:
        credit, place, first = split_dateline(kept[0])
        result.dateline = place
        result.image_credit = credit   # a photo credit glued to the dateline
        kept[0] = first.strip()
        if not kept[0]:
            kept.pop(0)
    result.paragraphs = kept
    return result

"""Loaders: each benchmark folder becomes a stream of `Case`s with one shape.

Only what the metrics need is kept: the page bytes, its URL and the gold
values (body snippets or body text, title, authors, publication date). A gold
field a set does not annotate is None, so it is left out of that metric.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from lxml import html as lxml_html


@dataclass(frozen=True)
class GoldDate:
    """A gold publication date: the day, and the instant when the gold states
    a time with a zone (only then is it comparable to the minute)."""
    day: str                        # "YYYY-MM-DD" as stated (local day)
    instant: datetime | None = None  # aware, when the gold has time and zone


@dataclass
class Case:
    set_name: str
    case_id: str
    url: str
    html: bytes
    with_snippets: list[str] | None = None     # trafilatura's set
    without_snippets: list[str] | None = None
    body: str | None = None                    # other sets: expected text
    title: str | None = None
    authors: list[str] | None = None           # [] = gold says "no author"
    date: GoldDate | None = None
    tags: list[str] | None = None              # Fundus' topics
    # Fundus marks the lead ("cover") image; its caption ("" for none) and credits.
    cover_caption: str | None = None
    cover_credits: list[str] | None = None


SETS = ("trafilatura", "fundus", "readability", "newspaper4k")


def read_maybe_gz(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _existing(*paths: Path) -> Path | None:
    for path in paths:
        if path.exists():
            return path
    return None


_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:;|,|\band\b|\bund\b|&)\s*", re.I)


def split_gold_authors(value: str | list[str] | None) -> list[str] | None:
    """Gold author strings are free text ("A und B", "By A, B"): split them
    into names the same way for every set and every system."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        for part in _AUTHOR_SPLIT_RE.split(item or ""):
            part = re.sub(r"^(?:by|par|von)\s+", "", part.strip(), flags=re.I).strip()
            if part:
                names.append(part)
    return names


def parse_gold_date(value: str | None) -> GoldDate | None:
    """'2019-08-02', '2023-04-28 17:40:08+00:00', '2018-04-05T06:00', ..."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    swapped = re.match(r"(\d{4})-(1[3-9]|2\d|3[01])-(0[1-9]|1[0-2])$", text)
    if swapped:
        # Two trafilatura-eval rows write year-day-month ("2022-29-11" for a
        # page dated 29.11.2022, URL .../2022/11/29/...): no month 29 exists.
        text = f"{swapped[1]}-{swapped[3]}-{swapped[2]}"
    match = re.match(r"(\d{4}-\d{2}-\d{2})", text)
    if not match:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return GoldDate(day=match.group(1))
    if parsed.tzinfo is None or len(text) <= 10:
        return GoldDate(day=match.group(1))   # no time, or a time in an unknown zone
    return GoldDate(day=match.group(1), instant=parsed.astimezone(timezone.utc))


def html_to_text(page: bytes) -> str:
    """Visible text of an expected-output HTML fragment (UTF-8, as Readability's
    test generator writes it), one block per line. Handed bytes with no
    charset declared, lxml reads them as Latin-1: 83 of the 130 expected
    texts were garbled ("å¾ä¸º" for "图为", "donâ\x80\x99t"), and no system
    could match their non-ASCII words."""
    tree = lxml_html.fromstring(page.decode("utf-8"))
    for el in tree.iter("script", "style"):
        el.text = ""
    for el in tree.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "pre", "tr", "figcaption", "section", "article"):
        el.tail = "\n" + (el.tail or "")
    return tree.text_content()


def load_trafilatura(root: Path) -> Iterator[Case]:
    base = root / "trafilatura-eval" / "tests"
    data = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    for url, item in data.items():
        name = item["file"]
        path = _existing(base / "eval" / f"{name}.gz", base / "cache" / f"{name}.gz",
                         base / "eval" / name, base / "cache" / name)
        if path is None:
            continue
        # Rows without a title were not annotated for metadata at all.
        annotated = bool(item.get("title"))
        yield Case(
            set_name="trafilatura", case_id=name, url=url, html=read_maybe_gz(path),
            with_snippets=list(item.get("with") or []),
            without_snippets=list(item.get("without") or []),
            title=item["title"] if annotated else None,
            authors=split_gold_authors(item.get("author") or "") if annotated else None,
            date=parse_gold_date(item.get("date")) if annotated else None,
        )


def load_fundus(root: Path) -> Iterator[Case]:
    base = root / "fundus-test-data"
    index = json.loads((base / "INDEX.json").read_text(encoding="utf-8"))
    expected_files: dict[str, dict] = {}
    for row in index:
        path = base / row["expected_json"]
        if row["expected_json"] not in expected_files:
            expected_files[row["expected_json"]] = json.loads(path.read_text(encoding="utf-8"))
        expected = expected_files[row["expected_json"]][row["expected_key"]]
        cover = next((image for image in expected.get("images") or [] if image.get("is_cover")),
                     None)
        body = expected.get("body") or {}
        parts = list(body.get("summary") or [])
        for section in body.get("sections") or []:
            parts.extend(section.get("headline") or [])
            parts.extend(section.get("paragraphs") or [])
        yield Case(
            set_name="fundus", case_id=row["html"], url=row["url"],
            html=read_maybe_gz(base / row["html"]), body="\n".join(parts),
            title=expected.get("title") or None,
            authors=list(expected.get("authors") or []),
            date=parse_gold_date(expected.get("publishing_date")),
            tags=list(expected["topics"]) if expected.get("topics") is not None else None,
            cover_caption=(cover.get("caption") or "") if cover else None,
            cover_credits=list(cover.get("authors") or []) if cover else None,
        )


def load_readability(root: Path) -> Iterator[Case]:
    base = root / "mozilla-readability-test-pages" / "test" / "test-pages"
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        expected = _existing(folder / "expected.html.gz", folder / "expected.html")
        source = _existing(folder / "source.html.gz", folder / "source.html")
        if source is None or expected is None:
            continue
        yield Case(
            set_name="readability", case_id=folder.name,
            url=f"http://fakehost/test/{folder.name}.html",  # the upstream tests' base URL
            html=read_maybe_gz(source), body=html_to_text(read_maybe_gz(expected)),
            title=meta.get("title") or None,
            authors=split_gold_authors(meta.get("byline") or ""),
            date=parse_gold_date(meta.get("publishedTime")),
        )


def load_newspaper4k(root: Path) -> Iterator[Case]:
    base = root / "newspaper4k-test-data" / "tests" / "data"
    for html_path in sorted((base / "html").glob("*.html*")):
        name = html_path.name.split(".html")[0]
        txt = base / "txt" / f"{name}.txt"
        if not txt.exists():
            continue   # main-site and feed pages: no expected text
        meta_path = base / "metadata" / f"{name}.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else None
        yield Case(
            set_name="newspaper4k", case_id=name,
            url=(meta or {}).get("url") or f"http://example.com/{name}.html",
            html=read_maybe_gz(html_path), body=txt.read_text(encoding="utf-8"),
            title=(meta or {}).get("title") or None,
            authors=list(meta.get("authors") or []) if meta else None,
            date=parse_gold_date((meta or {}).get("publish_date")),
        )


LOADERS = {"trafilatura": load_trafilatura, "fundus": load_fundus,
           "readability": load_readability, "newspaper4k": load_newspaper4k}

"""A news site of many small articles, generated from the fixture article, for
crawls spread over several workers: `{base}` is replaced by FixtureSite."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.fixture_site import FIXTURE_SITE

TEMPLATE = FIXTURE_SITE / "world-news" / "envoys-meet-in-sochi.html"
TITLE = "Envoys meet in Sochi as both sides signal a thaw after long freeze"
CITIES = ["SOCHI", "NAIROBI", "LIMA", "OSLO", "HANOI", "QUITO", "DAKAR", "RIGA"]
FIRST = datetime(2019, 5, 1, 8, 0, tzinfo=timezone.utc)


def article_path(n: int) -> str:
    return f"/world-news/story-{n:04d}.html"


def make_news_site(root: Path, count: int, per_sitemap: int | None = None) -> Path:
    """`count` articles, each with its own title, dateline, date and text, all
    listed by one sitemap (`/sitemap.xml`), which robots.txt names; with
    `per_sitemap`, `/sitemap.xml` is an index of sitemaps `/sitemap-<k>.xml`
    of that many articles each."""
    template = TEMPLATE.read_text()
    entries = []
    for n in range(count):
        city = CITIES[n % len(CITIES)]
        title = f"Story {n}: talks in {city.title()} end with a promise to meet again"
        published = FIRST + timedelta(hours=n)
        page = (template.replace(TITLE, title)
                .replace("envoys-meet-in-sochi.html", f"story-{n:04d}.html")
                .replace("(SOCHI, Russia) -- The top diplomats",
                         f"({city}) -- In meeting number {n}, the top diplomats")
                .replace("May 14, 2019 12:58 PM", published.strftime("%B %d, %Y %I:%M %p"))
                .replace("would meet again in June", f"would meet again in {n % 28 + 1} days"))
        path = root / article_path(n).lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page)
        entries.append(f"  <url><loc>{{base}}{article_path(n)}</loc>"
                       f"<lastmod>{published.isoformat()}</lastmod></url>")
    if per_sitemap is None:
        _write_sitemap(root / "sitemap.xml", "urlset", entries)
    else:
        chunks = [entries[k:k + per_sitemap] for k in range(0, count, per_sitemap)]
        for k, chunk in enumerate(chunks):
            _write_sitemap(root / f"sitemap-{k}.xml", "urlset", chunk)
        _write_sitemap(root / "sitemap.xml", "sitemapindex", [
            f"  <sitemap><loc>{{base}}/sitemap-{k}.xml</loc></sitemap>" for k in range(len(chunks))])
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap.xml\n")
    return root


def _write_sitemap(path: Path, root_element: str, entries: list[str]) -> None:
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<{root_element} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                    + "\n".join(entries) + f"\n</{root_element}>\n")

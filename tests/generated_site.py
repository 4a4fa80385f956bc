"""A generated news site of N articles (for torture runs and benchmarks):
distinct, realistic-length stories, a news sitemap listing them all, an RSS feed
of the newest, robots.txt. Served by tests.fixture_site.FixtureSite."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

PLACES = ["WASHINGTON", "NEW YORK", "LONDON", "CHICAGO", "PARIS", "TOKYO", "NAIROBI", "DENVER"]
SUBJECTS = ["The city council", "State regulators", "A federal judge", "The transit agency",
            "Hospital officials", "The school board", "Investigators", "Airport managers"]
VERBS = ["approved", "rejected", "delayed", "announced", "questioned", "expanded", "suspended"]
OBJECTS = ["a plan to rebuild the harbor bridge", "new rules for delivery drones",
           "a budget for road repairs", "an inquiry into water prices", "a pilot program for night buses",
           "changes to the zoning code", "a contract for school meals"]


def article_path(i: int) -> str:
    return f"/national-news/story-{i:05d}.html"


def write_article(root: Path, i: int, rng: random.Random, published: datetime) -> None:
    place = rng.choice(PLACES)
    subject, verb, obj = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
    title = f"{subject} {verb} {obj} (story {i})"
    paragraphs = [f"({place}) -- {subject} {verb} {obj} on {published:%A}, story number {i}, "
                  f"after weeks of debate among residents and officials."]
    for k in range(rng.randint(6, 12)):
        s, v, o = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
        paragraphs.append(f"{s} {v} {o} in paragraph {k} of story {i}, according to documents "
                          f"reviewed by reporters and interviews with {rng.randint(2, 40)} people "
                          f"familiar with the discussions.")
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | ABC News Radio'
            f'</title><meta property="og:site_name" content="ABC News Radio">'
            f'<meta property="article:published_time" content="{published.isoformat()}"></head><body>'
            f'<header><nav><a href="/">Home</a></nav></header><article><h1>{title}</h1>'
            f'<div class="share"><a href="https://facebook.com/">Facebook</a><a href="https://apps.apple.com/">'
            f'Apple App Store</a></div><div class="entry-content">{body}'
            f"<p>Copyright © 2019, ABC Radio. All rights reserved.</p></div></article>"
            f"<footer><p>follow us</p></footer></body></html>")
    path = root / article_path(i).lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


def generate_site(root: Path, articles: int, seed: int = 7) -> list[str]:
    """Write the site under `root`; return the article paths."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    start = datetime(2019, 5, 1, 8, 0, tzinfo=timezone.utc)
    urls = []
    for i in range(articles):
        published = start + timedelta(minutes=17 * i)
        write_article(root, i, rng, published)
        urls.append((article_path(i), published))
    entries = "".join(f"<url><loc>{{base}}{p}</loc><news:news><news:publication_date>"
                      f"{d.isoformat()}</news:publication_date></news:news></url>" for p, d in urls)
    (root / "sitemap-news.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>')
    items = "".join(f"<item><title>{p}</title><link>{{base}}{p}</link></item>" for p, _ in urls[-50:])
    (root / "feed.rss").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                                   f"{items}</channel></rss>")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n\nSitemap: {base}/sitemap-news.xml\n")
    return [p for p, _ in urls]

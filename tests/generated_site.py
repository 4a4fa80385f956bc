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


SECTIONS = ["National", "World", "Politics", "Business", "Health", "Science", "Sports",
            "Entertainment", "Technology", "Weather", "Opinion", "Local", "Travel", "Video"]


def _links(rng: random.Random, n: int, prefix: str) -> str:
    return "".join(f'<li class="menu-item menu-item-{k}"><a href="/{prefix}/{k}-{rng.randint(1, 9999)}" '
                   f'data-track="nav-{k}">{rng.choice(SECTIONS)} {rng.choice(OBJECTS)}</a></li>'
                   for k in range(n))


def page_furniture(rng: random.Random, i: int) -> tuple[str, str, str]:
    """What a real news page carries besides its article (head scripts and
    styles, navigation, share bars, related and most-read lists, comments,
    footer, cookie banner): (head, before the article, after the article).
    The article pages of the benchmark weigh what news pages weigh (about 100 KB)
    and cost trafilatura what they cost it (tens of ms)."""
    script = "".join(f"window.dataLayer=window.dataLayer||[];dataLayer.push({{'event':'view','k{k}':"
                     f"'{rng.random():.12f}','section':'{rng.choice(SECTIONS)}'}});" for k in range(120))
    style = "".join(f".c{k}{{margin:{k % 9}px;padding:{k % 7}px;color:#{k * 4099 % 0xffffff:06x}}}"
                    for k in range(250))
    head = (f"<script>{script}</script><style>{style}</style>"
            + "".join(f'<link rel="preload" href="/static/{k}.js" as="script">' for k in range(15))
            + "".join(f'<meta name="tag-{k}" content="{rng.choice(OBJECTS)}">' for k in range(20)))
    nav = (f'<div class="cookie-banner"><p>We use cookies to improve your experience. '
           f'<a href="/privacy">Privacy policy</a></p><button>Accept</button></div>'
           f'<nav class="main-nav"><ul>{_links(rng, 150, "section")}</ul></nav>'
           f'<div class="breaking"><span>Breaking</span><a href="/breaking/{i}">'
           f'{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}</a></div>')
    cards = "".join(f'<div class="card"><a href="/national-news/related-{i}-{k}.html">'
                    f'<img src="/img/{i}-{k}.jpg" alt="photo" width="300" height="200"></a>'
                    f'<h3><a href="/national-news/related-{i}-{k}.html">{rng.choice(SUBJECTS)} '
                    f'{rng.choice(VERBS)} {rng.choice(OBJECTS)}</a></h3><span class="time">'
                    f'{rng.randint(1, 59)} minutes ago</span></div>' for k in range(40))
    comments = "".join(f'<li class="comment"><div class="comment-author">reader{rng.randint(1, 9999)}'
                       f'</div><div class="comment-body"><p>{rng.choice(SUBJECTS)} should not have '
                       f'{rng.choice(VERBS)} {rng.choice(OBJECTS)}. What about the residents?</p></div>'
                       f'<a class="reply" href="#c{k}">Reply</a></li>' for k in range(25))
    after = (f'<aside class="related"><h2>Related stories</h2>{cards}</aside>'
             f'<aside class="most-read"><h2>Most read</h2><ol>{_links(rng, 15, "most-read")}</ol></aside>'
             f'<section class="comments"><h2>Comments</h2><ul>{comments}</ul></section>'
             f'<div class="newsletter"><form action="/subscribe"><input type="email" name="email">'
             f'<button>Subscribe</button></form></div>'
             f'<footer class="site-footer"><ul>{_links(rng, 70, "about")}</ul>'
             + "".join(f'<script src="/static/footer-{k}.js"></script>' for k in range(10))
             + "</footer>")
    return head, nav, after


def write_article(root: Path, i: int, rng: random.Random, published: datetime,
                  furniture: bool = False) -> None:
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
    head, before, after = page_furniture(rng, i) if furniture else ("", "", "")
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | ABC News Radio'
            f'</title><meta property="og:site_name" content="ABC News Radio">'
            f'<meta property="article:published_time" content="{published.isoformat()}">{head}</head><body>'
            f'<header><nav><a href="/">Home</a></nav></header>{before}<article><h1>{title}</h1>'
            f'<div class="share"><a href="https://facebook.com/">Facebook</a><a href="https://apps.apple.com/">'
            f'Apple App Store</a></div><div class="entry-content">{body}'
            f"<p>Copyright © 2019, ABC Radio. All rights reserved.</p></div></article>"
            f"{after}<footer><p>follow us</p></footer></body></html>")
    path = root / article_path(i).lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


def generate_site(root: Path, articles: int, seed: int = 7, furniture: bool = False) -> list[str]:
    """Write the site under `root`; return the article paths. `furniture`: pages
    as heavy as real news pages (page_furniture), for benchmarks."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    start = datetime(2019, 5, 1, 8, 0, tzinfo=timezone.utc)
    urls = []
    for i in range(articles):
        published = start + timedelta(minutes=17 * i)
        write_article(root, i, rng, published, furniture)
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

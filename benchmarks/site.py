"""The benchmark's pages: N article pages, a news sitemap listing them all and a
robots.txt, written to a directory that tests.fixture_site.FixtureSite serves.

Without DATA the pages come from the fixture generator (tests/generated_site.py,
with the furniture of real news pages: about 100 KB each);
with DATA (the evaluation folder, ../shared/eval) they are the real pages of the
four benchmark sets, taken in a fixed order and repeated under distinct URLs
until there are N.
"""

from __future__ import annotations

from pathlib import Path

from tests.generated_site import generate_site

SITEMAP = "sitemap-index.xml"
# Google News sitemaps list at most 1,000 URLs; larger sites publish an index.
URLS_PER_SITEMAP = 1000


def real_pages(data: Path) -> list[bytes]:
    from evaluation.datasets import LOADERS
    pages = []
    for name in ("trafilatura", "fundus", "readability", "newspaper4k"):
        pages.extend(case.html for case in LOADERS[name](data))
    if not pages:
        raise SystemExit(f"no pages found under {data}")
    return pages


def write_sitemaps(root: Path, paths: list[str]) -> None:
    """A sitemap index of news sitemaps of URLS_PER_SITEMAP articles each."""
    names = []
    for k in range(0, len(paths), URLS_PER_SITEMAP):
        name = f"sitemap-news-{k // URLS_PER_SITEMAP:03d}.xml"
        entries = "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in paths[k:k + URLS_PER_SITEMAP])
        (root / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')
        names.append(name)
    entries = "".join(f"<sitemap><loc>{{base}}/{name}</loc></sitemap>" for name in names)
    (root / SITEMAP).write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>')


def build_site(root: Path, n: int, data: Path | None = None) -> list[str]:
    """Write the site; return the article paths, in sitemap order."""
    if data is None:
        paths = generate_site(root, n, furniture=True)
        write_sitemaps(root, paths)
        return paths
    pages = real_pages(data)
    paths = []
    for i in range(n):
        path = f"/national-news/page-{i:06d}.html"
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        # `{base}` is the server's own URL to FixtureSite; a page that happens to
        # contain it must not change between the two sides.
        target.write_bytes(pages[i % len(pages)].replace(b"{base}", b"{ base}"))
        paths.append(path)
    write_sitemaps(root, paths)
    (root / "robots.txt").write_text(f"User-agent: *\nDisallow: /private/\n\nSitemap: {{base}}/{SITEMAP}\n")
    return paths


def page_bytes(root: Path, path: str, base_url: str) -> bytes:
    """The bytes the server sends for `path` (FixtureSite replaces `{base}`)."""
    return (root / path.lstrip("/")).read_bytes().replace(b"{base}", base_url.encode())

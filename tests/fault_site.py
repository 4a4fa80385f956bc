"""A news site on 127.0.0.1 whose pages misbehave, one fault per URL.

Each route injects one fault a crawler meets on a bad night; the feed at
/feed.rss lists them all, so one crawl meets every fault. `EXPECTED` maps each
article URL to what must become of it: an archived article (None) or the
rejection reason it must be recorded under.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fixture_site import QuietServer

# What a crawl with FAULT_SETTINGS must make of each article URL.
EXPECTED: dict[str, str | None] = {
    "/retry-after.html": None,         # 503 + Retry-After, then fine
    "/rate-limited.html": None,        # 429 + Retry-After, then fine
    "/cp1252.html": None,              # windows-1252 declared in the header
    "/shift-jis.html": None,           # Shift_JIS declared only in <meta>
    "/always-500.html": "http_500",
    "/missing.html": "http_404",
    "/slow.html": "timeout",
    "/reset.html": "connection_lost",
    "/truncated.html": "truncated",
    "/report.pdf": "not_html",
    "/photo.png": "not_html",
    "/huge.html": "too_large",
    "/gzip-bomb.html": "too_large",
    "/redirect-chain.html": "redirect_loop",
    "/offsite.html": "offsite",
    "/empty.html": "empty_page",
    "/soft-404.html": "soft_404",
    "/german.html": "wrong_language",  # the source takes English only
}
FAULT_SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false",
                  "-s", "DOWNLOAD_TIMEOUT=5", "-s", "DOWNLOAD_MAXSIZE=1000000",
                  "-s", "RETRY_TIMES=1", "-s", "RETRY_AFTER_MAX=5", "-s", "REDIRECT_MAX_TIMES=3"]
SLOW_SECONDS = 12   # well over DOWNLOAD_TIMEOUT: the other pages get 5 s on a loaded machine
BOMB_BYTES = 50 * 1024 * 1024

PARAGRAPH = ("Officials said on Tuesday that the bridge would reopen next month after repairs "
             "to its deck and railings, which were damaged when a barge struck a pier in March. ")


def article_html(title: str, text: str = PARAGRAPH * 3, charset: str = "utf-8",
                 lang: str = "en") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>{title}</title>'
            f'</head><body><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article>'
            f"</body></html>")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>x</title><link>/bomb-item.html</link></item></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>/xxe/&xxe;</loc></url></urlset>"""


class FaultSite:
    def __init__(self):
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                path = parts.path
                site.hits[path] += 1
                route = getattr(site, "route_" + path.strip("/").replace("-", "_").replace(".", "_"), None)
                if route is None:
                    return self.answer(404, b"not found", "text/plain")
                route(self, site.hits[path], parse_qs(parts.query))

            def answer(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
                       headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def __enter__(self) -> "FaultSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- entry points -----------------------------------------------------------
    def route_feed_rss(self, h, n, q):
        items = "".join(f"<item><title>{p}</title><link>{self.base_url}{p}</link></item>"
                        for p in EXPECTED)
        h.answer(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>Faults</title>'
                      f"{items}</channel></rss>".encode(), "application/rss+xml")

    def route_bomb_feed_xml(self, h, n, q):
        h.answer(200, BILLION_LAUGHS, "application/rss+xml")

    def route_xxe_sitemap_xml(self, h, n, q):
        h.answer(200, EXTERNAL_ENTITY, "application/xml")

    def route_malformed_rss(self, h, n, q):
        h.answer(200, b"<rss><channel><item><title>unclosed", "application/rss+xml")

    def route_self_index_xml(self, h, n, q):
        h.answer(200, f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                      f'sitemap/0.9"><sitemap><loc>{self.base_url}/self-index.xml</loc></sitemap>'
                      f"</sitemapindex>".encode(), "application/xml")

    def route_robots_txt(self, h, n, q):
        h.answer(200, b"User-agent: *\nAllow: /\n", "text/plain")

    # --- articles -------------------------------------------------------------
    def route_retry_after_html(self, h, n, q):
        if n == 1:
            return h.answer(503, b"busy", "text/plain", {"Retry-After": "1"})
        h.answer(200, article_html("Bridge reopens after repairs").encode())

    def route_rate_limited_html(self, h, n, q):
        if n == 1:
            return h.answer(429, b"slow down", "text/plain", {"Retry-After": "1"})
        h.answer(200, article_html("Council approves harbour budget").encode())

    def route_cp1252_html(self, h, n, q):
        text = ("Le café reopened – its naïve owner said: “we are back”. " * 12)
        page = article_html("Café reopens – owner is “back”", text, charset="windows-1252")
        h.answer(200, page.encode("cp1252"), "text/html; charset=windows-1252")

    def route_shift_jis_html(self, h, n, q):
        # An English report quoting Japanese: the source takes English, and the
        # quotation is only read right if Shift_JIS is.
        text = ("The city government said in a statement on Tuesday that work on the new "
                "bridge would be finished next month: 「東京都は火曜日、新しい橋の工事が来月に"
                "完了すると発表しました。」 ") * 6
        page = article_html("新しい橋の工事が完了へ", text, charset="shift_jis")
        h.answer(200, page.encode("shift_jis"), "text/html")

    def route_always_500_html(self, h, n, q):
        h.answer(500, b"internal error", "text/plain")

    def route_slow_html(self, h, n, q):
        time.sleep(SLOW_SECONDS)
        h.answer(200, article_html("Too late").encode())

    def route_reset_html(self, h, n, q):
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        h.connection.close()
        h.close_connection = True

    def route_truncated_html(self, h, n, q):
        body = article_html("Cut short").encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body) + 5000))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
        h.close_connection = True

    def route_report_pdf(self, h, n, q):
        h.answer(200, b"%PDF-1.7\n" + b"0" * 2000, "application/pdf")

    def route_photo_png(self, h, n, q):
        h.answer(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "image/png")

    def route_huge_html(self, h, n, q):
        h.answer(200, b"<html><body>" + b"x" * 3_000_000 + b"</body></html>")

    def route_gzip_bomb_html(self, h, n, q):
        h.answer(200, _gzip_bomb(), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})

    def route_redirect_chain_html(self, h, n, q):
        step = int(q.get("step", ["0"])[0]) + 1
        h.answer(302, b"", "text/plain", {"Location": f"/redirect-chain.html?step={step}"})

    def route_offsite_html(self, h, n, q):
        h.answer(302, b"", "text/plain", {"Location": "http://elsewhere.invalid/story.html"})

    def route_empty_html(self, h, n, q):
        h.answer(200, b"")

    def route_german_html(self, h, n, q):
        text = "Die Brücke wird nach den Reparaturen im nächsten Monat wieder geöffnet, sagten Beamte. " * 4
        h.answer(200, article_html("Brücke wird wieder geöffnet", text, lang="de").encode())

    def route_soft_404_html(self, h, n, q):
        h.answer(200, b"<html><head><title>Page not found | News</title></head><body>"
                      b"<h1>Sorry, the page you were looking for does not exist.</h1>"
                      + PARAGRAPH.encode() * 3 + b"</body></html>")


_BOMB: bytes | None = None


def _gzip_bomb() -> bytes:
    """50 MB of zeros, gzip-compressed to about 50 KB."""
    global _BOMB
    if _BOMB is None:
        _BOMB = gzip.compress(b"\x00" * BOMB_BYTES, compresslevel=9)
    return _BOMB

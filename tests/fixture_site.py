"""A small news site served on 127.0.0.1 for the tests.

Files under a site directory are served as they are, with `{base}` replaced by
the server's own URL (so feeds and sitemaps carry absolute links to it).
Missing files answer 404. Like a real web server it sends ETag and
Last-Modified and answers conditional GETs with 304. Every request is logged in
`requests` (paths), `request_times` and `responses` (path, status), so tests can assert what the
crawler fetched, and what it did not.
"""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"

CONTENT_TYPES = {".rss": "application/rss+xml", ".xml": "application/xml",
                 ".txt": "text/plain", ".html": "text/html; charset=utf-8"}


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-answer (timeouts, killed crawls) are normal here."""
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass


class FixtureSite:
    def __init__(self, root: Path, delay: float = 0.0, public_base: str | None = None,
                 keep_alive: bool = False):
        self.root = root
        # The site's URL in its pages, when it is reached as a proxy (tests/make_replay_warc.py).
        self.public_base = public_base
        self.delay = delay  # seconds before each answer: a slow site keeps a run going
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.request_times: list[float] = []   # time.monotonic() of each request, for rates
        self.referers: dict[str, str | None] = {}   # path -> Referer of its last request
        self.unavailable: set[str] = set()   # paths answered 503 (a server's bad minute)
        site = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 closes the connection after each answer, so a stopped site
            # is unreachable at once (the tests rely on it); with keep_alive the
            # connections stay open as on real news sites (the benchmark).
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                site.requests.append(path)
                site.request_times.append(time.monotonic())
                site.referers[path] = self.headers.get("Referer")
                time.sleep(site.delay)
                file = (site.root / path.lstrip("/")).resolve()
                if path.endswith("/"):
                    file = file / "index.html"
                if path in site.unavailable:
                    site.responses.append((path, 503))
                    self.send_error(503, "Service Unavailable")
                    return
                if not file.is_file() or site.root.resolve() not in file.parents:
                    site.responses.append((path, 404))
                    self.send_error(404, "Not Found")
                    return
                base = site.public_base or site.base_url
                body = file.read_bytes().replace(b"{base}", base.encode())
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                mtime = int(file.stat().st_mtime)
                if self._not_modified(etag, mtime):
                    site.responses.append((path, 304))
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                site.responses.append((path, 200))
                # Extensionless paths are pages, as on most news sites.
                content_type = (CONTENT_TYPES.get(file.suffix or ".html")
                                or mimetypes.guess_type(file.name)[0])
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
                self.send_header("Content-Type", content_type or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _not_modified(self, etag: str, mtime: int) -> bool:
                if self.headers.get("If-None-Match"):
                    return self.headers["If-None-Match"] == etag
                since = self.headers.get("If-Modified-Since")
                try:
                    return bool(since) and mtime <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fetched(self, status: int = 200) -> list[str]:
        """Paths answered with `status`, in order."""
        return [path for path, code in self.responses if code == status]

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def __enter__(self) -> "FixtureSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


MIRRORS = Path(__file__).parent / "fixtures" / "mirrors"


def copy_fixture_site(destination: Path) -> Path:
    """A private copy a test may change between runs."""
    shutil.copytree(FIXTURE_SITE, destination)
    return destination


if __name__ == "__main__":
    import sys
    with FixtureSite(FIXTURE_SITE) as fixture:
        print(fixture.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)

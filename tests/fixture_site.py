"""A small news site served on 127.0.0.1 for the tests.

Files under a site directory are served as they are, with `{base}` replaced by
the server's own URL (so feeds and sitemaps carry absolute links to it).
Missing files answer 404. Every request path is logged in `requests`, so tests
can assert what the crawler fetched (and what it did not).
"""

from __future__ import annotations

import mimetypes
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"

CONTENT_TYPES = {".rss": "application/rss+xml", ".xml": "application/xml",
                 ".txt": "text/plain", ".html": "text/html; charset=utf-8"}


class FixtureSite:
    def __init__(self, root: Path):
        self.root = root
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                site.requests.append(path)
                file = (site.root / path.lstrip("/")).resolve()
                if path.endswith("/"):
                    file = file / "index.html"
                if not file.is_file() or site.root.resolve() not in file.parents:
                    self.send_error(404, "Not Found")
                    return
                body = file.read_bytes().replace(b"{base}", site.base_url.encode())
                content_type = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
                self.send_response(200)
                self.send_header("Content-Type", content_type or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def __enter__(self) -> "FixtureSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def copy_fixture_site(destination: Path) -> Path:
    """A private copy a test may change between runs."""
    shutil.copytree(FIXTURE_SITE, destination)
    return destination


if __name__ == "__main__":
    import sys
    import time
    with FixtureSite(FIXTURE_SITE) as fixture:
        print(fixture.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)

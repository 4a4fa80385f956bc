"""Record the fixture site as a WARC for replay demos: tests/fixtures/abc-site.warc.gz.

    .venv/bin/python -m tests.make_replay_warc

The fixture site is served as `http://abcnewsradioonline.com/` (the crawler
reaches it through the fixture server acting as its HTTP proxy), crawled from
its root by `make crawl SOURCE=abc`, and the raw WARC file that crawl wrote is
copied here. Run it again after changing the fixture site.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.conftest import FAST_CRAWL, REPLAY_WARC, clean_env, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite

PUBLIC_BASE = "http://abcnewsradioonline.com"


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir, \
            FixtureSite(FIXTURE_SITE, public_base=PUBLIC_BASE) as site:
        env = clean_env(ARCHIVE_URI=f"{workdir}/archive", START_URLS=f"{PUBLIC_BASE}/",
                        http_proxy=site.base_url, no_proxy="")
        result = run_crawl("abc", env=env, args=FAST_CRAWL)
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return result.returncode
        warcs = sorted(Path(workdir, "archive", "raw").rglob("*.warc.gz"))
        # Gzip members concatenate: several files (a run across midnight) make one WARC.
        with open(REPLAY_WARC, "wb") as out:
            for warc in warcs:
                with open(warc, "rb") as part:
                    shutil.copyfileobj(part, out)
    print(f"{REPLAY_WARC}: {REPLAY_WARC.stat().st_size} bytes from {len(warcs)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

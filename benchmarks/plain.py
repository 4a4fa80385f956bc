"""The baseline: plain trafilatura, default options, one core, one page after
another, over the very bytes the server sends the crawler.

    python -m benchmarks.plain SITE_DIR BASE_URL PATHS_FILE

prints one JSON object: pages, seconds (wall clock of the loop), cpu_seconds.
Run in a fresh process, so no cache of trafilatura or htmldate is warm.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import trafilatura

from benchmarks.site import page_bytes


def main(argv: list[str]) -> int:
    root, base_url, paths_file = Path(argv[0]), argv[1], Path(argv[2])
    paths = paths_file.read_text().split()
    if "--count-only" in argv:
        print(json.dumps({"pages": len(paths), "extracted": 0, "seconds": 0.0, "cpu_seconds": 0.0}))
        return 0
    pages = [(base_url + p, page_bytes(root, p, base_url)) for p in paths]
    extracted = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for url, html in pages:
        if trafilatura.bare_extraction(html, url=url) is not None:
            extracted += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"pages": len(pages), "extracted": extracted, "seconds": wall,
                      "cpu_seconds": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

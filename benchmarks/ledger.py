"""Ledger.load on a synthetic archive of ROWS articles, as the crawl writes them
(files of 10,000 rows in date partitions, a correction for 2 % of the articles,
rejections for 5 %), then needs_fetch lookups, then NEW articles remembered as
a run writes them.

    python -m benchmarks.ledger [--rows 1000000] [--new 10000] [--workdir DIR]

prints one JSON object: rows, load_seconds, lookups_per_s, and the process's
RSS after the load, after the run's first new article and after all NEW.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.proctree import own_rss_mb
from pipelines import EXTRACTOR_VERSION
from pipelines.ids import article_id
from pipelines.ledger import Ledger
from pipelines.storage import open_archive, release_arrow_memory

ROWS_PER_FILE = 10_000
SOURCE = "abc"


def url_of(i: int) -> str:
    day = datetime(2015, 1, 1) + timedelta(minutes=7 * i)
    return f"https://abcnewsradioonline.com/national-news/{day:%Y/%m/%d}/story-{i:08d}-council-votes"


def build(root: Path, rows: int) -> None:
    start = datetime(2015, 1, 1, tzinfo=timezone.utc)
    for n, first in enumerate(range(0, rows, ROWS_PER_FILE)):
        ids = range(first, min(first + ROWS_PER_FILE, rows))
        urls = [url_of(i) for i in ids]
        corrected = [i for i in ids if i % 50 == 0]
        all_ids = list(ids) + corrected
        all_urls = urls + [url_of(i) for i in corrected]
        table = pa.table({
            "article_id": [article_id(u) for u in all_urls],
            "url": all_urls,
            "canonical_url": all_urls,
            "content_sha256": [hashlib.sha256(f"{i}-{v}".encode()).hexdigest()
                               for v, i in [(1, i) for i in ids] + [(2, i) for i in corrected]],
            "version": pa.array([1] * len(ids) + [2] * len(corrected), pa.int32()),
            "listed_modified_at": pa.array([start + timedelta(minutes=7 * i) for i in all_ids],
                                           pa.timestamp("us", tz="UTC")),
            "extractor_version": [EXTRACTOR_VERSION] * len(all_ids),
        })
        day = (start + timedelta(minutes=7 * first)).strftime("%Y-%m-%d")
        path = root / "articles" / f"source={SOURCE}" / f"date={day}" / f"run-{n:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        rejected = [url_of(rows + i) for i in ids if i % 20 == 0]
        rejects = pa.table({"url": rejected, "reason": ["http_404"] * len(rejected),
                            "source": [SOURCE] * len(rejected)})
        path = root / "rejects" / f"source={SOURCE}" / f"date={day}" / f"run-{n:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rejects, path, compression="zstd")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ledger")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000,
                        help="articles remembered after the load, as a run writes them")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    marker = root / f".built-{args.rows}"
    if args.build_only:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        t = time.perf_counter()
        build(root, args.rows)
        marker.touch()
        print(f"built {args.rows:,} rows in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        return 0
    if not marker.exists():
        # Built by another process, so that this one's peak memory is the load's.
        subprocess.run([sys.executable, "-m", "benchmarks.ledger", "--rows", str(args.rows),
                        "--workdir", str(root), "--build-only"], check=True)
    archive = open_archive(str(root))
    t = time.perf_counter()
    ledger = Ledger.load(archive, SOURCE)
    load_seconds = time.perf_counter() - t
    assert len(ledger) == args.rows, (len(ledger), args.rows)
    probes = [url_of(i) for i in range(0, args.rows, max(args.rows // 20_000, 1))]
    probes += [url_of(args.rows * 3 + i) for i in range(len(probes))]
    t = time.perf_counter()
    fetch = sum(ledger.needs_fetch(u, None) for u in probes)
    lookup_seconds = time.perf_counter() - t
    assert fetch == len(probes) // 2, fetch
    release_arrow_memory()
    rss_mb = {"after_load": round(own_rss_mb(), 1)}
    fetched = datetime.now(timezone.utc)
    for i in range(args.new):
        url = url_of(args.rows * 5 + i)
        ledger.remember({"article_id": article_id(url), "version": 1, "url": url, "canonical_url": url,
                         "content_sha256": hashlib.sha256(url.encode()).hexdigest(),
                         "listed_modified_at": None, "fetched_at": fetched})
        if i == 0:
            rss_mb["after_first_new"] = round(own_rss_mb(), 1)
    rss_mb[f"after_{args.new}_new"] = round(own_rss_mb(), 1)
    assert len(ledger) == args.rows + args.new, (len(ledger), args.rows + args.new)
    print(json.dumps({"rows": args.rows, "load_seconds": round(load_seconds, 3),
                      "lookups_per_s": round(len(probes) / lookup_seconds),
                      "rejected_urls": len(ledger.rejected_urls), "rss_mb": rss_mb}))
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

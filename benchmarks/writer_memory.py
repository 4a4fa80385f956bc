"""The archive writer alone: the resident memory of a process that writes ROWS
article rows (bodies of 600-1,400 words) through ParquetDatasetWriter to a
local archive, with the crawler's allocator settings, sampled every 2,000 rows.

    python -m benchmarks.writer_memory [--rows 30000] [--row-group-rows 2000]

prints one JSON object: rows, row_group_rows, rss_mb (the samples), end_rss_mb.
A writer that keeps memory flat gives samples that do not climb.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import tempfile
from datetime import datetime, timezone

from benchmarks.proctree import own_rss_mb
from pipelines.extract_pool import fix_mmap_threshold
from pipelines.storage import open_archive
from pipelines.writer import ROW_GROUP_ROWS, ParquetDatasetWriter
from schemas import ARTICLE_SCHEMA

SAMPLE_EVERY = 2_000
FETCHED = datetime(2026, 11, 28, 6, tzinfo=timezone.utc)


def article_row(i: int, words: list[str], rnd: random.Random) -> dict:
    article_id = hashlib.md5(str(i).encode()).hexdigest()
    body = " ".join(rnd.choice(words) for _ in range(rnd.randint(600, 1400)))
    return {"article_id": article_id, "source": "abc", "url": f"https://example.com/{article_id}",
            "canonical_url": f"https://example.com/{article_id}", "title": body[:70],
            "body": body, "authors": ["Jane Doe"], "published_at": FETCHED, "language": "en",
            "description": body[:160], "fetched_at": FETCHED, "http_status": 200,
            "content_sha256": article_id * 2, "extractor_version": "bench", "schema_version": 3,
            "version": 1, "keywords": ["politics"], "warc_filename": "raw/bench.warc.gz",
            "warc_record_offset": i * 90_000, "warc_record_length": 90_000,
            "simhash": article_id, "duplicate_of": None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--row-group-rows", type=int, default=ROW_GROUP_ROWS)
    args = parser.parse_args(argv)
    fix_mmap_threshold()        # as in the crawler's process (extract_pool.py)
    rnd = random.Random(1)
    words = ["".join(rnd.choice("etaoinshrdlucmfwyp") for _ in range(rnd.randint(2, 10)))
             for _ in range(20_000)]
    samples = []
    with tempfile.TemporaryDirectory(prefix="news-bench-writer-") as workdir:
        writer = ParquetDatasetWriter(open_archive(workdir, environ={}), "articles", ARTICLE_SCHEMA,
                                      "abc", "bench", lambda row: row["fetched_at"],
                                      row_group_rows=args.row_group_rows, temp_dir=workdir)
        for i in range(args.rows):
            writer.add(article_row(i, words, rnd))
            if (i + 1) % SAMPLE_EVERY == 0:
                samples.append(round(own_rss_mb(), 1))
        writer.flush()
        writer.close()
        print(json.dumps({"rows": args.rows, "row_group_rows": args.row_group_rows,
                          "rss_mb": samples, "end_rss_mb": round(own_rss_mb(), 1)}))


if __name__ == "__main__":
    main()

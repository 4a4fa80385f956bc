"""Nothing lost, nothing duplicated: storage outages spool, the next run uploads."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from crawler.run import EXIT_ARCHIVE, EXIT_OK
from pipelines.spool import Spool
from pipelines.storage import open_archive
from tests.archive_readers import list_files, read_dataset
from tests.conftest import FAST_CRAWL, REPO, clean_env, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.s3_server import S3TestServer


def test_spool_upload_is_idempotent(tmp_path):
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool = Spool(tmp_path / "spool", archive.uri)
    spool.put("_runs/abc/r.json", b"{}")
    spool.put("articles/source=abc/date=2019-05-14/r-00001.parquet", b"PAR1")
    assert spool.pending() == ["articles/source=abc/date=2019-05-14/r-00001.parquet",
                               "_runs/abc/r.json"]
    assert spool.upload(archive) == 2
    assert spool.pending() == []
    assert (tmp_path / "archive/articles/source=abc/date=2019-05-14/r-00001.parquet").read_bytes() == b"PAR1"
    assert spool.upload(archive) == 0


@pytest.mark.s3
def test_s3_outage_mid_run_spools_and_next_run_uploads_without_duplicates(tmp_path):
    server = S3TestServer(tmp_path / "seaweedfs").start()
    try:
        bucket = server.create_bucket("outage")
        # Slow enough that the run is still fetching when the store has stopped.
        with FixtureSite(FIXTURE_SITE, delay=1.0) as site:
            env = clean_env(ARCHIVE_URI=f"s3://{bucket}/news", SPOOL_DIR=str(tmp_path / "spool"),
                            START_URLS=" ".join(site.url(p) for p in ("robots.txt", "feed.rss", "atom.xml")),
                            **server.env)
            run = subprocess.Popen([sys.executable, "-m", "crawler", "abc", *FAST_CRAWL],
                                   cwd=REPO, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 30
            while not any(p.endswith(".html") for p in site.requests):
                assert time.monotonic() < deadline
                time.sleep(0.05)
            server.stop()                       # the store goes away mid-run
            _, stderr = run.communicate(timeout=300)
            assert run.returncode == EXIT_ARCHIVE, stderr[-3000:]
            [line] = [l for l in stderr.splitlines() if "spooled at" in l and "articles" in l]
            assert "3 articles and 3 rejections are spooled at" in line
            assert "the next run uploads them first" in line

            server.start()                      # back, with its data
            site.responses.clear()
            second = run_crawl("abc", env=env)
            assert second.returncode == EXIT_OK, second.stderr[-3000:]
            # 3 article files, 1 rejection file, 1 raw WARC file, 1 manifest.
            assert "uploaded 6 files spooled by earlier runs" in second.stderr
            # The spooled articles were known to the second run: not fetched again.
            assert not [p for p, code in site.responses if p.endswith(".html") and code == 200
                        and "about" not in p]
        articles = read_dataset(f"s3://{bucket}/news", "articles", env)
        assert articles.num_rows == 3
        assert len(set(articles.column("article_id").to_pylist())) == 3
        assert Spool(tmp_path / "spool", f"s3://{bucket}/news").pending() == []
        assert len(list_files(f"s3://{bucket}/news", "_runs/abc", env)) == 2
        # Every row points into a WARC file that reached the archive.
        raw_files = set(list_files(f"s3://{bucket}/news", "raw", env))
        assert set(articles.column("warc_filename").to_pylist()) <= raw_files
    finally:
        server.stop()

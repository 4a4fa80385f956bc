"""Nothing lost, nothing duplicated: storage outages spool, the next run uploads."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.run import EXIT_ARCHIVE, EXIT_OK, EXIT_PARTIAL, upload_spool
from pipelines.ledger import Ledger
from pipelines.spool import Spool, Uploaded
from pipelines.storage import open_archive
from schemas import ARTICLE_SCHEMA
from tests.archive_readers import list_files, read_dataset, read_json
from tests.conftest import FAST_CRAWL, REPO, clean_env, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.generated_site import generate_site
from tests.s3_server import S3TestServer
from tests.test_schema import row


def spool_rows(spool: Spool, relpath: str, rows: list[dict]) -> None:
    (spool.root / relpath).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA), spool.root / relpath)


SPOOL_A_FILE = """
import resource, signal, sys
from pipelines.spool import Spool
if len(sys.argv) > 4:   # the disk fills up after this many bytes of a file
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[4]), int(sys.argv[4])))
Spool(sys.argv[1], "s3://news/v1").put_file(sys.argv[2], sys.argv[3])
"""


def test_a_file_spooled_from_another_disk_is_whole_or_absent(tmp_path):
    # The writer's finished file lies on another disk than the spool: it is
    # copied, and the copy can stop midway (here the disk fills up).
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary directory")
    content = b"PAR1" + os.urandom(3_000_000) + b"PAR1"
    finished = shm / f"finished-{os.getpid()}.parquet"
    finished.write_bytes(content)
    spool = Spool(tmp_path / "spool", "s3://news/v1")
    relpath = "articles/source=abc/date=2019-05-14/run-00001.parquet"
    try:
        full = subprocess.run([sys.executable, "-c", SPOOL_A_FILE, str(tmp_path / "spool"), relpath,
                               str(finished), "1000000"], cwd=REPO, capture_output=True, text=True)
        assert full.returncode != 0 and "File too large" in full.stderr
        assert spool.pending() == []                # nothing the next run would upload
        assert finished.read_bytes() == content     # its rows are where they were

        room = subprocess.run([sys.executable, "-c", SPOOL_A_FILE, str(tmp_path / "spool"), relpath,
                               str(finished)], cwd=REPO, capture_output=True, text=True)
        assert room.returncode == 0, room.stderr
        assert spool.pending() == [relpath] and not finished.exists()
        assert (spool.root / relpath).read_bytes() == content
    finally:
        finished.unlink(missing_ok=True)


def test_spool_upload_is_idempotent_and_leaves_other_sources_files(tmp_path):
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool = Spool(tmp_path / "spool", archive.uri)
    spool.put("_runs/abc/r.json", b"{}")
    spool_rows(spool, "articles/source=abc/date=2019-05-14/r-00001.parquet", [row("a" * 32, 1)])
    spool.put("_runs/xyz/r.json", b"{}")
    assert spool.pending("abc") == ["articles/source=abc/date=2019-05-14/r-00001.parquet",
                                    "_runs/abc/r.json"]
    assert spool.upload(archive, "abc", Ledger(), set()) == Uploaded(files=2)
    assert spool.pending() == ["_runs/xyz/r.json"]       # for the next run of xyz
    assert read_dataset(archive.uri, "articles", {}).column("article_id").to_pylist() == ["a" * 32]
    assert spool.upload(archive, "abc", Ledger(), set()) == Uploaded()


def test_a_spooled_file_that_cannot_be_read_is_set_aside_and_the_rest_uploaded(tmp_path, capsys):
    # Written by a version before spooled copies were atomic, or damaged on
    # disk: it stopped every later run of the source with a traceback.
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool = Spool(tmp_path / "spool", archive.uri)
    damaged = "articles/source=abc/date=2019-05-14/r-00001.parquet"
    spool.put(damaged, b"PAR1 and no more")
    spool_rows(spool, "articles/source=abc/date=2019-05-15/r-00002.parquet", [row("b" * 32, 1)])
    uploaded = upload_spool(archive, "abc", str(tmp_path / "spool"))
    set_aside = spool.root / ".damaged" / damaged
    assert uploaded == Uploaded(files=1, damaged=[(damaged, str(set_aside), (
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not a "
        "parquet file."))])
    assert set_aside.read_bytes() == b"PAR1 and no more"
    assert spool.pending() == []                         # the next run is not stopped by it
    assert read_dataset(archive.uri, "articles", {}).column("article_id").to_pylist() == ["b" * 32]
    [error] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: a file spooled by an earlier run cannot be read (Parquet magic")
    assert error.endswith(f"it is moved to {set_aside} and not uploaded as {damaged}: the pages it "
                          "held are fetched again when listed")


def test_a_spool_is_uploaded_without_what_another_machine_archived_since(tmp_path, capsys):
    """State lives in the archive, so while this machine's files waited in its
    spool another machine ran the source and archived some of the same pages."""
    archive = open_archive(str(tmp_path / "archive"), environ={})
    both, only_here, corrected = "a" * 32, "b" * 32, "c" * 32
    elsewhere = tmp_path / "archive/articles/source=abc/date=2019-05-14/OTHER-00001.parquet"
    elsewhere.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row(both, 1), row(corrected, 1)], schema=ARTICLE_SCHEMA),
                   elsewhere)
    spool = Spool(tmp_path / "spool", archive.uri)
    spool_rows(spool, "articles/source=abc/date=2019-05-14/HERE-00001.parquet",
               [row(both, 1), row(only_here, 1), row(corrected, 2)])

    assert upload_spool(archive, "abc", str(tmp_path / "spool")) == Uploaded(files=1, rows_left_out=1)
    assert capsys.readouterr().err == (f"uploaded 1 files spooled by earlier runs from {spool.root}; "
                                       "1 rows left out, the archive holds them already\n")
    articles = read_dataset(archive.uri, "articles", {})
    assert sorted(zip(articles.column("article_id").to_pylist(),
                      articles.column("version").to_pylist())) == [
        (both, 1), (only_here, 1), (corrected, 1), (corrected, 2)]
    assert spool.pending() == []


def test_make_upload_spool_uploads_without_crawling(tmp_path, monkeypatch, capsys):
    """A machine leaving the cluster (or that only ran workers) empties its
    spool without starting a crawl."""
    from crawler.run import main
    archive_uri = str(tmp_path / "archive")
    spool = Spool(tmp_path / "spool", open_archive(archive_uri, environ={}).uri)
    spool_rows(spool, "articles/source=abc/date=2019-05-14/r-00001.parquet", [row("a" * 32, 1)])
    monkeypatch.setenv("ARCHIVE_URI", archive_uri)
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool"))
    assert main(["abc", "--upload-spool"]) == EXIT_OK
    assert read_dataset(archive_uri, "articles", {}).column("article_id").to_pylist() == ["a" * 32]
    assert spool.pending() == []
    # No run: no manifest, no raw pages, and the source's lock is released.
    assert [list_files(archive_uri, d, {}) for d in ("_runs", "raw", "_locks")] == [[], [], []]
    assert "uploaded 1 files spooled by earlier runs" in capsys.readouterr().err
    assert main(["abc", "--upload-spool"]) == EXIT_OK
    assert capsys.readouterr().err == "abc: nothing spooled\n"


def test_make_upload_spool_leaves_the_spool_to_a_run_in_progress(tmp_path, monkeypatch):
    """The run holding the source's lock has its ledger loaded: what it would
    not know of, it could fetch and archive again."""
    from crawler.lock import RunLock
    from crawler.run import EXIT_LOCKED, main
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool = Spool(tmp_path / "spool", archive.uri)
    relpath = "articles/source=abc/date=2019-05-14/r-00001.parquet"
    spool_rows(spool, relpath, [row("a" * 32, 1)])
    monkeypatch.setenv("ARCHIVE_URI", archive.uri)
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool"))
    running = RunLock(archive, "abc", "20261203T000000Z-running")
    running.acquire()
    try:
        assert main(["abc", "--upload-spool"]) == EXIT_LOCKED
    finally:
        running.release()
    assert spool.pending() == [relpath]


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
            assert "rows left out" not in second.stderr      # the store had none of them
            # The spooled articles were known to the second run: not fetched again.
            assert not [p for p, code in site.responses if p.endswith(".html") and code == 200
                        and "about" not in p]
        articles = read_dataset(f"s3://{bucket}/news", "articles", env)
        assert articles.num_rows == 3
        assert len(set(articles.column("article_id").to_pylist())) == 3
        assert Spool(tmp_path / "spool", f"s3://{bucket}/news").pending() == []
        manifests = [read_json(f"s3://{bucket}/news", path, env)
                     for path in list_files(f"s3://{bucket}/news", "_runs/abc", env)]
        assert sorted(m["spool_uploaded"]["files"] for m in manifests) == [0, 6]
        # Every row points into a WARC file that reached the archive.
        raw_files = set(list_files(f"s3://{bucket}/news", "raw", env))
        assert set(articles.column("warc_filename").to_pylist()) <= raw_files
    finally:
        server.stop()


def test_a_full_temporary_disk_fails_the_run_by_name_and_the_next_run_archives_every_article(tmp_path):
    env = clean_env(ARCHIVE_URI=str(tmp_path / "archive"), SQLITE_TMPDIR=str(tmp_path))
    with FixtureSite(FIXTURE_SITE) as site:
        env["START_URLS"] = site.url("/")
        # Room for the run database's first tables, not for the articles' rows.
        full = run_crawl("abc", env={**env, "PYTHONPATH": str(REPO / "tests" / "full_disk"),
                                     "RUN_DB_MAX_PAGES": "3"})
        assert full.returncode == EXIT_PARTIAL, full.stderr[-3000:]
        failures = [line for line in full.stderr.splitlines() if line.startswith("pipelines.digests.")]
        assert failures == [
            f"pipelines.digests.RunDatabaseError: run database in {tmp_path}: database or disk is full "
            "(SQLITE_FULL); free space there, or set SQLITE_TMPDIR to another directory. This run's new "
            "articles from here on are not archived; their pages are fetched again by the next run"] * 3
        assert "articles written=0 " in full.stderr and "errors=3 " in full.stderr
        # One line a page, naming it; not the page itself (Scrapy's default logs the item).
        logged = sorted(line.split("ERROR: ", 1)[1].split(": run database", 1)[0]
                        for line in full.stderr.splitlines() if "ERROR: Error processing" in line)
        assert logged == [f"Error processing {site.url(path)}" for path in sorted(
            ["national-news/storm-knocks-out-power.html", "politics-news/senate-passes-stopgap-budget.html",
             "world-news/envoys-meet-in-sochi.html"])]
        assert "<!DOCTYPE" not in full.stderr

        again = run_crawl("abc", env=env)
        assert again.returncode == EXIT_OK, again.stderr[-3000:]
    articles = read_dataset(str(tmp_path / "archive"), "articles", env)
    assert sorted(articles.column("title").to_pylist()) == [
        "Envoys meet in Sochi as both sides signal a thaw after long freeze",
        "Senate passes stopgap budget hours before deadline",
        "Storm knocks out power to 200,000 homes across three states"]


CRAWL_ON_A_FULL_DISK = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
sys.argv = ["crawler", "abc", *sys.argv[2:]]
runpy.run_module("crawler", run_name="__main__")
"""


def test_a_full_disk_under_the_raw_pages_names_the_file_and_loses_nothing(tmp_path):
    # The WARC file being written outgrows the room left on its disk (15 KB);
    # the Parquet files pointing into it are not published without it.
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive_uri = str(tmp_path / "archive")
    env = clean_env(ARCHIVE_URI=archive_uri, TMPDIR=str(temp), SQLITE_TMPDIR=str(tmp_path))
    with FixtureSite(FIXTURE_SITE) as site:
        env["START_URLS"] = site.url("/")
        full = subprocess.run([sys.executable, "-c", CRAWL_ON_A_FULL_DISK, "15000", *FAST_CRAWL],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert full.returncode == EXIT_PARTIAL, full.stderr[-3000:]
        [failure] = [line for line in full.stderr.splitlines()
                     if line.startswith("pipelines.storage.LocalDiskError: ")]
        assert re.fullmatch(
            r"pipelines\.storage\.LocalDiskError: WARC file for raw/source=abc/date=\S+\.warc\.gz, "
            rf"being written at {re.escape(str(temp))}/\.news-archive-\w+\.warc\.gz: File too large; "
            rf"free space in {re.escape(str(temp))}, or set WARC_SPOOL_DIR to another directory", failure)
        assert "articles written=0 " in full.stderr
        assert not list_files(archive_uri, "articles", env)

        again = run_crawl("abc", env=env)
        assert again.returncode == EXIT_OK, again.stderr[-3000:]
    articles = read_dataset(archive_uri, "articles", env)
    assert articles.num_rows == 3
    assert set(articles.column("warc_filename").to_pylist()) <= set(list_files(archive_uri, "raw", env))


def test_a_run_stopped_by_sigterm_exits_1_and_the_next_run_fetches_what_it_left(tmp_path):
    # cron's timeout, or an operator, stops a run (Scrapy closes it gracefully).
    # It used to exit 0 and save the sitemap's validators: the next run got a
    # 304 and never fetched the articles the first had left.
    generate_site(tmp_path / "site", 60)
    archive_uri = str(tmp_path / "archive")
    with FixtureSite(tmp_path / "site", delay=0.2) as site:
        env = clean_env(ARCHIVE_URI=archive_uri, START_URLS=site.url("sitemap-news.xml"))
        run = subprocess.Popen([sys.executable, "-m", "crawler", "abc", *FAST_CRAWL], cwd=REPO,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while sum(path.endswith(".html") for path in site.requests) < 10:
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.05)
        run.send_signal(signal.SIGTERM)
        _, stopped = run.communicate(timeout=120)
        assert run.returncode == EXIT_PARTIAL, stopped[-3000:]
        [line] = [line for line in stopped.splitlines() if line.startswith("error: ")]
        assert line.endswith("stopped before it finished (shutdown); what it found and did not "
                             "fetch, the next run fetches")
        first = read_dataset(archive_uri, "articles", env).num_rows
        assert 10 <= first < 60

        again = run_crawl("abc", env=env, timeout=300)
        assert again.returncode == EXIT_OK, again.stderr[-3000:]
        assert f"known skipped={first} " in again.stderr
    articles = read_dataset(archive_uri, "articles", env)
    assert articles.num_rows == len(set(articles.column("article_id").to_pylist())) == 60

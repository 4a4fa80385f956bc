"""Scheduled crawling over a site that changes between runs: only what is new is
fetched and written, corrections become versions, runs never overlap, and each
run leaves a manifest. On local and S3 archives."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


from crawler.lock import LockHeld, LockInfo, RunLock
from crawler.run import EXIT_LOCKED, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_PARTIAL
from pipelines.storage import open_archive
from tests.archive_readers import (
    duckdb_connection,
    duckdb_glob,
    list_files,
    read_dataset,
    read_json,
)
from tests.conftest import FAST_CRAWL, REPO, run_crawl
from tests.fixture_site import FixtureSite, copy_fixture_site

ARTICLE_PATHS = {"/world-news/envoys-meet-in-sochi.html",
                 "/politics-news/senate-passes-stopgap-budget.html",
                 "/national-news/storm-knocks-out-power.html"}
LISTINGS = {"/", "/feed.rss", "/atom.xml", "/sitemap-index.xml", "/sitemap-news.xml"}
NEW_STORY = "/world-news/ferry-service-resumes.html"
CORRECTION = "The Senate voted 72 to 27 late Wednesday"


def manifests(archive_uri: str, env: dict) -> list[dict]:
    return [read_json(archive_uri, path, env) for path in list_files(archive_uri, "_runs/abc", env)]


def crawl_root(site: FixtureSite, archive_uri: str, env: dict) -> subprocess.CompletedProcess:
    return run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri, "START_URLS": site.url("/")})


def change_site(root: Path, corrected_at: datetime) -> None:
    """The newsroom publishes one story and corrects another (its sitemap
    <lastmod> says when)."""
    sochi = (root / "world-news/envoys-meet-in-sochi.html").read_text()
    new_story = (sochi.replace("Envoys meet in Sochi as both sides signal a thaw after long freeze",
                               "Ferry service resumes across the strait after storms")
                 .replace("envoys-meet-in-sochi.html", "ferry-service-resumes.html")
                 .replace("May 14, 2019 12:58 PM", "May 17, 2019 8:15 AM")
                 .replace("(SOCHI, Russia) -- The top diplomats of the two countries met for three hours",
                          "(ISTANBUL) -- Ferries crossed the strait again on Friday for the first time in three days"))
    (root / NEW_STORY.lstrip("/")).write_text(new_story)
    feed = (root / "feed.rss").read_text()
    (root / "feed.rss").write_text(feed.replace("  <item>", f"""  <item>
    <title>Ferry service resumes across the strait after storms</title>
    <link>{{base}}{NEW_STORY}</link>
    <pubDate>Fri, 17 May 2019 12:15:00 GMT</pubDate>
  </item>
  <item>""", 1))
    senate = root / "politics-news/senate-passes-stopgap-budget.html"
    senate.write_text(senate.read_text().replace(
        "The Senate voted 71 to 28 late Wednesday", CORRECTION).replace(
        '"dateModified": "2019-05-15T11:05:00-04:00"', '"dateModified": "2019-05-16T08:00:00-04:00"'))
    sitemap = root / "sitemap-news.xml"
    sitemap.write_text(sitemap.read_text().replace("</urlset>", f"""  <url>
    <loc>{{base}}/politics-news/senate-passes-stopgap-budget.html</loc>
    <lastmod>{corrected_at.isoformat()}</lastmod>
  </url>
</urlset>"""))


def test_hourly_runs_take_only_what_is_new_and_keep_versions(tmp_path, archive):
    archive_uri, env = archive
    root = copy_fixture_site(tmp_path / "site")
    with FixtureSite(root) as site:
        # Run 1, from the site's root URL alone: feeds from <link rel=alternate>,
        # sitemaps from robots.txt through the sitemap index.
        first = crawl_root(site, archive_uri, env)
        assert first.returncode == EXIT_OK, first.stderr[-3000:]
        assert ARTICLE_PATHS <= set(site.fetched(200))
        assert LISTINGS <= set(site.fetched(200))
        assert read_dataset(archive_uri, "articles", env).num_rows == 3

        # Run 2, nothing changed: 304s for every feed and sitemap, no article fetched.
        site.responses.clear()
        second = crawl_root(site, archive_uri, env)
        assert second.returncode == EXIT_OK, second.stderr[-3000:]
        assert set(site.fetched(304)) == LISTINGS | {"/robots.txt"}
        # Scrapy's robots.txt middleware asks for robots.txt unconditionally.
        assert set(site.fetched(200)) <= {"/robots.txt"}
        assert read_dataset(archive_uri, "articles", env).num_rows == 3

        # Run 3: one new story, one corrected story.
        corrected_at = datetime.now(timezone.utc).replace(microsecond=0)
        change_site(root, corrected_at)
        site.responses.clear()
        third = crawl_root(site, archive_uri, env)
        assert third.returncode == EXIT_OK, third.stderr[-3000:]
        fetched_articles = {p for p in site.fetched(200) if p.endswith(".html")}
        assert fetched_articles == {NEW_STORY, "/politics-news/senate-passes-stopgap-budget.html"}

    rows = read_dataset(archive_uri, "articles", env).to_pylist()
    assert len(rows) == 5
    senate = sorted((r for r in rows if r["title"].startswith("Senate")), key=lambda r: r["version"])
    assert [r["version"] for r in senate] == [1, 2]
    assert senate[0]["article_id"] == senate[1]["article_id"]
    assert senate[0]["body"].startswith("The Senate voted 71 to 28")
    assert senate[1]["body"].startswith(CORRECTION)
    # modified_at as the corrected page states it; the listing's lastmod kept beside it.
    assert senate[1]["modified_at"] == datetime(2019, 5, 16, 12, 0, tzinfo=timezone.utc)
    assert senate[1]["listed_modified_at"] == corrected_at
    ferry = [r for r in rows if r["title"].startswith("Ferry")]
    assert [(r["version"], r["dateline"]) for r in ferry] == [(1, "ISTANBUL")]

    runs = manifests(archive_uri, env)
    assert [(m["articles_written"], m["versions_written"], m["exit_status"]) for m in runs] == [
        (3, 0, 0), (0, 0, 0), (1, 1, 0)]
    assert runs[1]["not_modified"] == len(LISTINGS) + 1
    assert runs[1]["pages_fetched"] == len(LISTINGS) + 2  # + Scrapy's own robots.txt request
    assert runs[0]["rejections"] == {"http_404": 1, "robots_disallowed": 1, "too_short": 1}
    assert runs[2]["rejections"] == {}
    entry = runs[0]["entry_points"][0]
    assert (entry["url"], entry["kind"], entry["http_status"]) == (f"{site.base_url}/", "page", 200)

    # The README's query for the latest version of every article.
    con = duckdb_connection(archive_uri, env)
    latest = con.execute(f"""
        SELECT title, version, left(body, 40)
        FROM read_parquet('{duckdb_glob(archive_uri, "articles")}', hive_partitioning = true,
                          union_by_name = true)
        QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY version DESC) = 1
        ORDER BY title""").fetchall()
    assert [(t[:20], v, b) for t, v, b in latest] == [
        ("Envoys meet in Sochi", 1, "The top diplomats of the two countries m"),
        ("Ferry service resume", 1, "Ferries crossed the strait again on Frid"),
        ("Senate passes stopga", 2, CORRECTION),
        ("Storm knocks out pow", 1, "A line of severe thunderstorms swept acr"),
    ]


def test_overlapping_run_exits_at_once_naming_the_holder(tmp_path, archive):
    archive_uri, env = archive
    with FixtureSite(copy_fixture_site(tmp_path / "site"), delay=0.5) as slow_site:
        env = {**env, "ARCHIVE_URI": archive_uri, "START_URLS": slow_site.url("/")}
        holder = subprocess.Popen([sys.executable, "-m", "crawler", "abc", *FAST_CRAWL],
                                  cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            deadline = time.monotonic() + 30
            while not list_files(archive_uri, "_locks", env):
                assert time.monotonic() < deadline, "the first run never took its lock"
                time.sleep(0.1)
            started = time.monotonic()
            second = run_crawl("abc", env=env)
            assert time.monotonic() - started < 15
            _, holder_err = holder.communicate(timeout=120)
        finally:
            holder.kill()
    assert second.returncode == EXIT_LOCKED
    holder_run = holder_err.split("run ", 1)[1].split(" ", 1)[0]
    [line] = [l for l in second.stderr.splitlines() if l.startswith("error: ")]
    assert line.startswith(f"error: source 'abc' is locked by run {holder_run} "
                           f"(host {socket.gethostname()}, pid {holder.pid}) since ")
    assert holder.returncode == EXIT_OK
    assert list_files(archive_uri, "_locks", env) == []   # released at the end


def test_stale_lock_of_a_killed_run_is_recovered(tmp_path, archive, site, monkeypatch):
    archive_uri, env = archive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    now = datetime.now(timezone.utc)
    lock = (f'{{"run_id": "20260101T000000Z-deadbeef", "host": "{socket.gethostname()}", '
            f'"pid": {dead.pid}, "since": "{(now - timedelta(minutes=3)).isoformat()}", '
            f'"heartbeat": "{(now - timedelta(minutes=2)).isoformat()}"}}')
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    assert open_archive(archive_uri, env).create_exclusive("_locks/abc.lock", lock.encode())
    result = run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri, "START_URLS": site.url("feed.rss")})
    assert result.returncode == EXIT_OK, result.stderr[-2000:]
    assert "warning: recovered the stale lock of run 20260101T000000Z-deadbeef" in result.stderr
    [manifest] = manifests(archive_uri, env)
    assert manifest["lock_recovered_from"] == "20260101T000000Z-deadbeef"


def test_an_article_the_server_could_not_serve_is_fetched_by_the_next_run(tmp_path, archive):
    # A 503 is not a verdict on the page: the run is partial and keeps no
    # validators, so the next run reads the listings in full and fetches it.
    archive_uri, env = archive
    storm = "/national-news/storm-knocks-out-power.html"
    with FixtureSite(copy_fixture_site(tmp_path / "site")) as site:
        site.unavailable.add(storm)
        first = crawl_root(site, archive_uri, env)
        assert first.returncode == EXIT_PARTIAL, first.stderr[-3000:]
        assert "articles written=2 " in first.stderr and "http_503=1" in first.stderr
        site.unavailable.clear()
        site.responses.clear()
        second = crawl_root(site, archive_uri, env)
        assert second.returncode == EXIT_OK, second.stderr[-3000:]
        assert [path for path, _ in site.responses if path.endswith(".html")] == [storm]
    assert read_dataset(archive_uri, "articles", env).num_rows == 3


def holders_of_raced_locks(archive, rounds: int, stale: bool) -> list[int]:
    """Three runs of one source start at the same moment, `rounds` times (over
    a dead run's lock when `stale`): how many of them held the lock each time."""
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    counts = []
    for round_number in range(rounds):
        if stale:
            archive.publish("_locks/abc.lock", LockInfo(
                f"dead-{round_number}", "gone-host", 1, long_ago, long_ago).to_json())
        start, taken = threading.Barrier(3), []

        def start_run(number: int) -> None:
            lock = RunLock(archive, "abc", f"run-{round_number}-{number}")
            start.wait()
            try:
                lock.acquire()
                taken.append(lock)
            except LockHeld:
                pass

        runs = [threading.Thread(target=start_run, args=(n,)) for n in range(3)]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        counts.append(len(taken))
        for lock in taken:
            lock.release()
    return counts


def test_runs_starting_together_hold_the_lock_one_at_a_time(archive, monkeypatch):
    # A lock created empty and written after was read empty by a run starting
    # at that moment, which took it over (778 of 2,000 two-run races locally);
    # two runs taking over one stale lock each deleted the other's new one.
    archive_uri, env = archive
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    store = open_archive(archive_uri, env)
    rounds = 25 if archive_uri.startswith("s3://") else 400
    assert holders_of_raced_locks(store, rounds, stale=False) == [1] * rounds
    assert holders_of_raced_locks(store, rounds, stale=True) == [1] * rounds
    assert list_files(archive_uri, "_locks", env) == []      # no claim left behind


def test_run_whose_entry_points_all_fail_exits_non_zero_with_a_manifest(archive):
    archive_uri, env = archive
    result = run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri,
                                   "START_URLS": "http://127.0.0.1:9/ http://127.0.0.1:9/feed.rss"})
    assert result.returncode == EXIT_NOTHING_FETCHED
    assert "error: nothing could be fetched: all 2 entry points failed" in result.stderr
    [manifest] = manifests(archive_uri, env)
    assert manifest["exit_status"] == EXIT_NOTHING_FETCHED
    assert [e["error"] is not None for e in manifest["entry_points"]] == [True, True]

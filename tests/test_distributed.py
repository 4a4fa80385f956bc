"""Distributed mode (REDIS_URL): several workers share one crawl through a real
redis-server on 127.0.0.1, over a generated site of many articles.

Every article is archived exactly once, also when a worker is killed mid-run
(and after a re-run) or frozen past the worker timeout and resumed; requests to the site stay within the configured rate
with three workers; one manifest covers the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis
from scrapy import Request, Spider

from crawler.distributed import (
    ClaimingDatasetWriter,
    Claims,
    ClusterThrottle,
    Coordinator,
    LeasingQueue,
    LocalWorker,
    RunKeys,
    RunScheduler,
    WorkerExtension,
    WorkerLost,
    crawl_complete,
    fence_out,
    release_claims,
    requeue,
)
from crawler.run import EXIT_OK, EXIT_PARTIAL
from pipelines.spool import Uploaded
from pipelines.storage import open_archive
from schemas import REJECTION_SCHEMA
from tests.archive_readers import list_files, read_dataset, read_json
from tests.conftest import FAST_CRAWL, REPO, clean_env
from tests.fixture_site import FixtureSite
from tests.sitemap_site import article_path, make_news_site

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def rdb(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return client


def crawl_command(workers: int, *settings: str) -> list[str]:
    return [sys.executable, "-m", "crawler", "abc", "--workers", str(workers), *FAST_CRAWL,
            *settings]


def distributed_env(env: dict, redis_url: str, archive_uri: str, site: FixtureSite) -> dict:
    return {**env, "REDIS_URL": redis_url, "ARCHIVE_URI": archive_uri,
            "START_URLS": site.url("/sitemap.xml")}


def start_coordinator(env: dict, workers: int, *settings: str) -> subprocess.Popen:
    """`make crawl ... REDIS_URL=... WORKERS=n`, in its own process group (killed whole on failure)."""
    return subprocess.Popen(crawl_command(workers, *settings), cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def run_distributed(env: dict, workers: int = 3, *settings: str, timeout: float = 180):
    return subprocess.run(crawl_command(workers, *settings), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def archived(archive_uri: str, env: dict) -> list[dict]:
    return read_dataset(archive_uri, "articles", env).select(
        ["article_id", "url", "content_sha256", "title"]).to_pylist()


def manifests(archive_uri: str, env: dict) -> list[dict]:
    return [read_json(archive_uri, path, env) for path in list_files(archive_uri, "_runs/abc", env)]


def article_urls(site: FixtureSite, count: int) -> set[str]:
    return {site.url(article_path(n)) for n in range(count)}


# --- whole runs -----------------------------------------------------------------------

def test_three_workers_archive_every_article_once_as_one_machine_would(tmp_path, archive, redis_url, rdb):
    archive_uri, env = archive
    count = 300
    with FixtureSite(make_news_site(tmp_path / "site", count)) as site:
        result = run_distributed(distributed_env(env, redis_url, archive_uri, site))
        assert result.returncode == EXIT_OK, result.stderr[-3000:]
        fetched = Counter(site.fetched(200))
        assert all(fetched[article_path(n)] == 1 for n in range(count))

        rows = archived(archive_uri, env)
        assert len(rows) == count
        assert {r["url"] for r in rows} == article_urls(site, count)
        assert len({r["article_id"] for r in rows}) == count

        [manifest] = manifests(archive_uri, env)
        assert (manifest["articles_written"], manifest["exit_status"]) == (count, EXIT_OK)
        assert manifest["article_candidates"] == count
        workers = manifest["distributed"]["workers"]
        assert [w["status"] for w in workers] == ["finished"] * 3
        assert sum(w["articles_written"] for w in workers) == count
        # Each worker writes its own files, named by the run and the worker.
        files = list_files(archive_uri, "articles", env)
        writers = {Path(f).name.rsplit("-", 1)[0] for f in files}
        assert writers <= {f"{manifest['run_id']}-{w['worker_id']}" for w in workers}
        assert len(writers) >= 2, "the work was not shared"
        # The run leaves no key behind (the duplicate filter included), nor its lock.
        assert rdb.keys("news:abc:*") == []
        assert list_files(archive_uri, "_locks", env) == []

        if archive_uri.startswith("s3://"):
            return
        # The same archive as one machine's crawl of the same site.
        single_uri = str(tmp_path / "single")
        single = subprocess.run([sys.executable, "-m", "crawler", "abc", *FAST_CRAWL], cwd=REPO,
                                env={**env, "ARCHIVE_URI": single_uri, "START_URLS": site.url("/sitemap.xml")},
                                capture_output=True, text=True, timeout=180)
        assert single.returncode == EXIT_OK, single.stderr[-2000:]
    key = lambda r: (r["article_id"], r["url"], r["content_sha256"], r["title"])  # noqa: E731
    assert sorted(map(key, rows)) == sorted(map(key, archived(single_uri, env)))


def test_a_worker_killed_mid_run_loses_nothing_and_archives_nothing_twice(tmp_path, redis_url, rdb):
    archive_uri, env = str(tmp_path / "archive"), clean_env()
    count = 150
    # Small files: workers publish (and claim) mid-run, so the killed one has
    # published some articles and still holds the leases of others.
    settings = ["-s", "ARCHIVE_MAX_BUFFERED_ROWS=10"]
    with FixtureSite(make_news_site(tmp_path / "site", count), delay=0.02) as site:
        env = distributed_env(env, redis_url, archive_uri, site)
        coordinator = start_coordinator(env, 3, *settings)
        try:
            victim = kill_a_busy_worker(rdb, site, after_articles=40)
            _, stderr = coordinator.communicate(timeout=180)
        finally:
            if coordinator.poll() is None:   # the coordinator and its workers
                os.killpg(coordinator.pid, signal.SIGKILL)
        assert coordinator.returncode == EXIT_PARTIAL, stderr[-3000:]
        assert f"warning: worker {victim} of run " in stderr

        rows = archived(archive_uri, env)
        assert Counter(r["url"] for r in rows) == Counter(article_urls(site, count))
        assert len({r["article_id"] for r in rows}) == count
        [manifest] = manifests(archive_uri, env)
        [lost] = [w for w in manifest["distributed"]["workers"] if w["status"] == "lost"]
        assert lost["worker_id"] == victim and lost["requeued"] > 0
        assert rdb.keys("news:abc:*") == []

        # The next run: nothing new, nothing written twice.
        site.responses.clear()
        again = run_distributed(env, 2)
        assert again.returncode == EXIT_OK, again.stderr[-3000:]
        assert not [p for p in site.fetched(200) if p.startswith("/world-news/")]
        # That clean run saved the state the workers learned: the sitemap answers 304.
        site.responses.clear()
        third = run_distributed(env, 2)
        assert third.returncode == EXIT_OK, third.stderr[-3000:]
        assert site.fetched(304) == ["/sitemap.xml"]
    assert len(archived(archive_uri, env)) == count
    second = manifests(archive_uri, env)[1]
    assert (second["articles_written"], second["skipped_known"]) == (0, count)


def test_a_worker_paused_past_the_timeout_archives_nothing_twice_when_it_resumes(tmp_path, redis_url, rdb):
    """A worker frozen (a VM paused, a network cut) longer than NEWS_WORKER_TIMEOUT
    while it holds pages: the coordinator declares it lost and requeues its
    requests, another worker archives those pages, and when the frozen one
    resumes it publishes nothing it held, takes nothing more, and exits 1."""
    archive_uri, env = str(tmp_path / "archive"), clean_env()
    count = 60
    # The workers publish only when idle, and claim rows as they write them into
    # row groups: the frozen one holds rows it claimed and has not published.
    settings = ["-s", "ARCHIVE_MAX_BUFFERED_ROWS=100000", "-s", "ARCHIVE_ROW_GROUP_ROWS=2",
                "-s", "NEWS_WORKER_TIMEOUT=3"]
    with FixtureSite(make_news_site(tmp_path / "site", count), delay=0.05) as site:
        env = distributed_env(env, redis_url, archive_uri, site)
        coordinator = start_coordinator(env, 2, *settings)
        try:
            frozen, pid, keys = freeze_a_busy_worker(rdb, site, after_articles=10,
                                                     holding_claims=True)
            deadline = time.monotonic() + 60
            while not rdb.sismember(keys.lost, frozen):
                assert time.monotonic() < deadline, "the frozen worker was never declared lost"
                time.sleep(0.1)
            os.kill(pid, signal.SIGCONT)
            _, stderr = coordinator.communicate(timeout=180)
        finally:
            if coordinator.poll() is None:
                os.killpg(coordinator.pid, signal.SIGKILL)
    assert coordinator.returncode == EXIT_PARTIAL, stderr[-3000:]
    assert f"error: worker {frozen} was declared lost by the coordinator" in stderr
    rows = archived(archive_uri, env)
    assert Counter(r["url"] for r in rows) == Counter(article_urls(site, count))
    [manifest] = manifests(archive_uri, env)
    [lost] = [w for w in manifest["distributed"]["workers"] if w["status"] == "lost"]
    assert lost["worker_id"] == frozen and lost["requeued"] > 0
    assert rdb.keys("news:abc:*") == []


def freeze_a_busy_worker(rdb, site: FixtureSite, after_articles: int, holding_claims: bool = False
                         ) -> tuple[str, int, RunKeys]:
    """SIGSTOP a worker holding leased requests (and, `holding_claims`, rows it
    claimed) once the site served `after_articles`."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        served = [p for p in site.fetched(200) if p.startswith("/world-news/")]
        run_id = rdb.get(RunKeys.current("abc"))
        if run_id and len(served) >= after_articles:
            keys = RunKeys("abc", run_id.decode())
            for worker, info in rdb.hgetall(keys.workers).items():
                pid, worker = int(json.loads(info)["pid"]), worker.decode()
                os.kill(pid, signal.SIGSTOP)
                claimed = [v for v in rdb.hvals(keys.claims("articles"))
                           if v.decode().startswith(f"{worker} ")]
                if rdb.hlen(keys.inflight(worker)) and (claimed or not holding_claims):
                    return worker, pid, keys
                os.kill(pid, signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("no worker was busy")


def kill_a_busy_worker(rdb, site: FixtureSite, after_articles: int) -> str:
    """SIGKILL a worker holding leased requests once the site served `after_articles`
    (frozen first, so it cannot release them between the look and the kill)."""
    worker, pid, _ = freeze_a_busy_worker(rdb, site, after_articles)
    os.kill(pid, signal.SIGKILL)
    return worker


def test_a_worker_of_another_machine_uploads_what_its_machine_spooled(tmp_path, redis_url, rdb):
    """Rows a worker-only machine spooled in an earlier run's archive outage
    reach the archive when its next worker joins a run (its own SPOOL_DIR,
    not the coordinator's)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipelines.spool import Spool
    from schemas import ARTICLE_SCHEMA, SCHEMA_VERSION
    from tests.test_schema import row

    archive_uri, env = str(tmp_path / "archive"), clean_env()
    spooled_id = f"{7:032x}"
    relpath = f"articles/source=abc/date=2019-05-14/20261201T000000Z-old-w9-00001.parquet"
    worker_spool = Spool(tmp_path / "worker-spool", archive_uri)
    (worker_spool.root / relpath).parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row(spooled_id, 1, SCHEMA_VERSION)], schema=ARTICLE_SCHEMA),
                   worker_spool.root / relpath)
    with FixtureSite(make_news_site(tmp_path / "site", 5)) as site:
        env = {**distributed_env(env, redis_url, archive_uri, site),
               "SPOOL_DIR": str(tmp_path / "coordinator-spool")}
        coordinator = start_coordinator(env, 0)
        try:
            worker = subprocess.run([sys.executable, "-m", "crawler.distributed", "worker", "abc"],
                                    cwd=REPO, env={**env, "SPOOL_DIR": str(tmp_path / "worker-spool")},
                                    capture_output=True, text=True, timeout=120)
            _, stderr = coordinator.communicate(timeout=120)
        finally:
            if coordinator.poll() is None:
                os.killpg(coordinator.pid, signal.SIGKILL)
    assert (coordinator.returncode, worker.returncode) == (EXIT_OK, EXIT_OK), stderr + worker.stderr
    ids = [r["article_id"] for r in archived(archive_uri, env)]
    assert len(ids) == 6 and spooled_id in ids
    assert worker_spool.pending() == []


def test_a_local_worker_that_finds_the_run_over_is_not_lost(tmp_path, rdb, redis_url):
    """A local worker slower to start than the crawl (a fresh clone's first
    imports) finds the run complete, says "nothing to do" and exits 0 without
    joining: the run is still a success (it was counted lost, and the run
    exited 1)."""
    from scrapy.settings import Settings
    coordinator = Coordinator(rdb, RunKeys("abc", "run-late-worker"), redis_url, Settings(),
                              open_archive(str(tmp_path / "archive")))
    late = subprocess.Popen([sys.executable, "-c", "pass"])
    coordinator.local.append(LocalWorker("late01", late))
    late.wait()
    assert coordinator.watch() is True
    assert coordinator.lost == {}


def test_a_worker_that_reports_while_the_coordinator_looks_is_not_lost(tmp_path, rdb, redis_url):
    """A worker reports its results, then stops its heartbeat. When it does both
    between the coordinator's look at who finished and its look at who is
    alive, it is finished, not lost (it was marked lost, and the run exited 1,
    now and then at the end of a crawl)."""
    from scrapy.settings import Settings
    keys = RunKeys("abc", "run-report-race")

    class FinishesBetweenTheLooks:
        """The run's Redis, where the worker finishes just as its heartbeat is looked at."""
        def __getattr__(self, name):
            return getattr(rdb, name)

        def exists(self, key):
            if key == keys.alive("w1") and not rdb.hexists(keys.results, "w1"):
                rdb.hset(keys.results, "w1", json.dumps({"stats": {}}))
                rdb.delete(key)
            return rdb.exists(key)

    rdb.set(keys.alive("w1"), "1")
    rdb.hset(keys.workers, "w1", json.dumps({"host": "elsewhere", "pid": 1}))
    coordinator = Coordinator(FinishesBetweenTheLooks(), keys, redis_url, Settings(),
                              open_archive(str(tmp_path / "archive")))
    assert coordinator.watch() is True
    assert coordinator.lost == {}


def test_three_workers_keep_the_configured_rate_to_the_site(tmp_path, redis_url, rdb):
    archive_uri, env = str(tmp_path / "archive"), clean_env()
    delay = 0.1   # the source's politeness: at most 10 requests a second
    count = 60
    with FixtureSite(make_news_site(tmp_path / "site", count)) as site:
        # Two requests at a time per worker, so no worker takes the whole queue.
        result = run_distributed(distributed_env(env, redis_url, archive_uri, site), 3,
                                 "-s", f"DOWNLOAD_DELAY={delay}", "-s", "CONCURRENT_REQUESTS=2")
        assert result.returncode == EXIT_OK, result.stderr[-3000:]
        times = sorted(site.request_times)
    [manifest] = manifests(archive_uri, env)
    working = [w for w in manifest["distributed"]["workers"] if w["pages_fetched"]]
    assert len(working) >= 2, "the rate was not shared by several workers"
    assert len(times) == count + 1 + len(working)   # + the sitemap, each worker's robots.txt
    # Requests are sent at slots `delay` apart; one sent late (a busy event loop,
    # two cores shared by three workers) can share a second with the next slots.
    # Without the shared slot: 27 in one second, 22 a second on average.
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert busiest <= 1 / delay + 2, f"{busiest} requests in one second"
    assert (len(times) - 1) / (times[-1] - times[0]) <= 1 / delay * 1.02


# --- the pieces, on plain values ------------------------------------------------------

class _Spider(Spider):
    name = "unit"

    def parse(self, response):
        pass


def test_leased_requests_of_a_lost_worker_go_back_to_the_queue(rdb):
    keys = RunKeys("unit", "run1")
    spider = _Spider()
    queue = LeasingQueue(rdb, spider, keys, "w1")
    for n in range(3):
        queue.push(Request(f"http://example.org/{n}"))
    rdb.hset(keys.workers, "w1", "{}")
    first, second = queue.pop(), queue.pop()
    assert {first.url, second.url} <= {f"http://example.org/{n}" for n in range(3)}
    assert (len(queue), rdb.hlen(keys.inflight("w1"))) == (1, 2)
    queue.pop()
    assert not crawl_complete(rdb, keys)          # queue empty, but w1 holds three
    queue.release(queue.settled(busy={second}))  # two published, one still in work
    assert rdb.hlen(keys.inflight("w1")) == 1
    assert requeue(rdb, keys, "w1") == 1
    assert queue.pop().url == second.url
    queue.release(queue.settled(busy=set()))
    assert crawl_complete(rdb, keys)


def test_a_worker_that_outlives_its_run_leaves_no_key_that_never_expires(tmp_path, rdb, redis_url):
    """Declared lost, a worker may resume after the coordinator deleted the
    run's keys: it queues and takes nothing more, and what it reports expires
    as the run's keys do (they stayed in Redis for good)."""
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler
    keys = registered(rdb, RunKeys("abc", "run-outlived"), "w1")
    coordinator = Coordinator(rdb, keys, redis_url, Settings(), open_archive(str(tmp_path / "archive")))
    worker = WorkerExtension(get_crawler(), rdb, keys, "w1", key_ttl=600)
    scheduler = RunScheduler(rdb, keys, "w1", worker.crawler.stats)
    scheduler.open(_Spider())
    assert scheduler.enqueue_request(Request("http://example.org/1"))
    assert not scheduler.enqueue_request(Request("http://example.org/1"))     # a duplicate
    worker.report_progress()
    coordinator.cleanup()
    assert rdb.keys(f"{keys.prefix}:*") == []
    # It resumes after the run: a page it had found, a page to take, its counts.
    assert not scheduler.enqueue_request(Request("http://example.org/2"))
    assert scheduler.next_request() is None
    worker.report_progress()
    assert rdb.keys(f"{keys.prefix}:*") == [keys.progress.encode()]
    assert 0 < rdb.ttl(keys.progress) <= 600


def registered(rdb, keys: RunKeys, *workers: str) -> RunKeys:
    """Workers as `work()` registers them when they join the run."""
    for worker in workers:
        rdb.hset(keys.workers, worker, "{}")
    return keys


def test_an_article_is_claimed_by_one_worker_only(rdb):
    keys = registered(rdb, RunKeys("unit", "run1"), "w1", "w2")
    rows = [{"article_id": "a"}, {"article_id": "b"}]
    assert Claims(rdb, keys, "w1").keep("articles", "f1", rows) == rows
    assert Claims(rdb, keys, "w2").keep("articles", "f2", rows + [{"article_id": "c"}]) == [{"article_id": "c"}]
    assert Claims(rdb, keys, "w1").keep("articles", "f3", rows) == rows   # a retried flush keeps its rows


def test_a_silent_worker_keeps_only_its_claims_on_files_it_committed(rdb):
    keys = registered(rdb, RunKeys("unit", "run2"), "w1", "w2")
    lost, other = Claims(rdb, keys, "w1"), Claims(rdb, keys, "w2")
    lost.keep("articles", "articles/published.parquet", [{"article_id": "a"}, {"article_id": "b"}])
    lost.commit("articles/published.parquet")
    lost.keep("articles", "articles/never.parquet", [{"article_id": "c"}])
    lost.keep("rejects", "rejects/never.parquet", [{"url": "u", "reason": "too_short"}])
    other.keep("articles", "articles/other.parquet", [{"article_id": "d"}])

    committed = fence_out(rdb, keys, "w1")
    assert release_claims(rdb, keys, "w1", committed.__contains__) == 2
    # Another worker archives what the lost one will not publish, and only that.
    rows = [{"article_id": k} for k in "abcd"]
    assert other.keep("articles", "articles/again.parquet", rows) == [{"article_id": "c"}, {"article_id": "d"}]
    assert other.keep("rejects", "rejects/again.parquet", [{"url": "u", "reason": "too_short"}]) != []
    # Fenced out: the lost worker can neither claim nor start publishing anything more.
    with pytest.raises(WorkerLost, match="worker w1 of run run2 was declared lost"):
        lost.keep("articles", "articles/later.parquet", [{"article_id": "e"}])
    with pytest.raises(WorkerLost):
        lost.commit("articles/never.parquet")
    assert other.keep("articles", "articles/third.parquet", [{"article_id": "e"}]) == [{"article_id": "e"}]
    # Once the run is over (its keys deleted), no worker starts publishing
    # (one paused past the end of the run would otherwise publish unfenced).
    rdb.delete(*rdb.keys(f"{keys.prefix}:*"))
    with pytest.raises(WorkerLost):
        other.commit("articles/third.parquet")


def rejection_row(url: str) -> dict:
    return {"source": "abc", "url": url, "reason": "too_short", "detail": "3 words",
            "http_status": 200, "fetched_at": datetime(2026, 12, 3, 6, tzinfo=timezone.utc),
            "excerpt": "x", "schema_version": 1}


def claiming_writer(rdb, keys: RunKeys, worker: str, archive) -> ClaimingDatasetWriter:
    # Row groups of one row: rows are claimed as they are written, long before
    # the file is published (as in a long crawl).
    return ClaimingDatasetWriter(archive, "rejects", REJECTION_SCHEMA, "abc", f"{keys.run_id}-{worker}",
                                 lambda row: row["fetched_at"], claims=Claims(rdb, keys, worker),
                                 on_dropped=lambda dataset, row: None, row_group_rows=1)


def test_a_worker_declared_lost_while_paused_publishes_nothing_it_had_claimed(rdb, tmp_path):
    """A worker paused (or cut off) longer than the worker timeout, holding rows
    it had claimed: its requests went back to the queue and another worker
    archived those pages. When it resumes, its file must not be published."""
    keys = registered(rdb, RunKeys("abc", "run3"), "w1", "w2")
    archive = open_archive(str(tmp_path / "archive"), environ={})
    paused = claiming_writer(rdb, keys, "w1", archive)
    for n in range(4):
        paused.add(rejection_row(f"http://site/{n}"))
    assert rdb.hlen(keys.claims("rejects")) == 4           # all claimed, none published

    committed = fence_out(rdb, keys, "w1")                 # the coordinator loses w1 ...
    assert release_claims(rdb, keys, "w1", committed.__contains__) == 4
    other = claiming_writer(rdb, keys, "w2", archive)      # ... and w2 fetches the pages again
    for n in range(4):
        other.add(rejection_row(f"http://site/{n}"))
    other.flush()

    with pytest.raises(WorkerLost):                        # w1 resumes and tries to publish
        paused.flush()
    assert paused.discard() == 4
    urls = read_dataset(archive.uri, "rejects", {}).column("url").to_pylist()
    assert sorted(urls) == [f"http://site/{n}" for n in range(4)]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".news-archive-")]


def test_an_exited_worker_keeps_its_claims_on_files_published_or_spooled(rdb, tmp_path):
    from scrapy.settings import Settings
    from pipelines.spool import Spool
    keys = registered(rdb, RunKeys("unit", "run4"), "w1", "w2")
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool_dir = tmp_path / "spool"
    coordinator = Coordinator(rdb, keys, "redis://unused", Settings({"SPOOL_DIR": str(spool_dir)}),
                              archive)
    dead, other = Claims(rdb, keys, "w1"), Claims(rdb, keys, "w2")
    for relpath, article in [("articles/published.parquet", "a"), ("articles/spooled.parquet", "b"),
                             ("articles/cut-short.parquet", "c")]:
        dead.keep("articles", relpath, [{"article_id": article}])
        dead.commit(relpath)
    archive.publish("articles/published.parquet", b"row a")
    Spool(spool_dir, archive.uri).put("articles/spooled.parquet", b"row b")   # the next run uploads it

    coordinator._lose("w1", "exited with status -9", exited=True)
    rows = [{"article_id": k} for k in "abc"]
    assert other.keep("articles", "articles/again.parquet", rows) == [{"article_id": "c"}]


def test_a_worker_machine_publishes_its_spool_when_a_worker_joins_the_next_run(rdb, tmp_path):
    """A machine that only runs workers spooled files in an archive outage;
    nothing else would ever upload them. Its next worker does, without
    archiving twice what other machines archived since."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pipelines.ledger import Ledger
    from pipelines.spool import Spool
    from schemas import ARTICLE_SCHEMA, SCHEMA_VERSION
    from tests.test_schema import row

    keys = registered(rdb, RunKeys("abc", "RUN2"), "w1", "w2")
    archive = open_archive(str(tmp_path / "archive"), environ={})
    spool = Spool(tmp_path / "spool", archive.uri)
    archived, claimed, new, changed = (f"{n:032x}" for n in range(1, 5))
    ledger = Ledger()                               # what the archive held when w1 joined
    ledger.remember(row(archived, 1, SCHEMA_VERSION))
    ledger.remember(row(changed, 1, SCHEMA_VERSION))
    Claims(rdb, keys, "w2").keep("articles", "articles/elsewhere.parquet", [{"article_id": claimed}])

    def spooled(relpath: str, rows: list[dict]) -> None:
        (spool.root / relpath).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA), spool.root / relpath)

    earlier = "articles/source=abc/date=2019-05-14/RUN1-w9-00001.parquet"
    spooled(earlier, [row(archived, 1, SCHEMA_VERSION), row(claimed, 1, SCHEMA_VERSION),
                      row(new, 1, SCHEMA_VERSION), row(changed, 2, SCHEMA_VERSION)])
    this_run = "articles/source=abc/date=2019-05-14/RUN2-w2-00001.parquet"   # w2's, in this run
    spooled(this_run, [row(f"{9:032x}", 1, SCHEMA_VERSION)])
    spool.put("raw/source=abc/date=2019-05-14/RUN1-w9-00001.warc.gz", b"the raw pages")
    rejects = "rejects/source=abc/date=2026-12-03/RUN1-w9-00002.parquet"
    (spool.root / rejects).parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([rejection_row("http://site/known"), rejection_row("http://site/new")],
                                        schema=REJECTION_SCHEMA), spool.root / rejects)
    known_rejections = {("http://site/known", "too_short")}

    w1 = Claims(rdb, keys, "w1")
    assert spool.upload(archive, "abc", ledger, known_rejections, keep=w1.keep, commit=w1.commit,
                        skip_run="RUN2") == Uploaded(files=3, rows_left_out=3)
    table = pq.read_table(archive.path(earlier))
    assert sorted(zip(table.column("article_id").to_pylist(), table.column("version").to_pylist())) == [
        (new, 1), (changed, 2)]
    assert archive.exists("raw/source=abc/date=2019-05-14/RUN1-w9-00001.warc.gz")
    assert pq.read_table(archive.path(rejects)).column("url").to_pylist() == ["http://site/new"]
    assert ("http://site/new", "too_short") in known_rejections
    assert spool.pending() == [this_run]
    # A later fetch of those articles by this worker is not archived again.
    assert ledger.latest(new) is not None and ledger.latest(changed).version == 2


def test_throttle_gives_clients_slots_one_delay_apart(rdb):
    """15 reservations from 3 clients at once: slots 0, 1, 2, ... delays from now
    (within the time the reservations themselves took)."""
    delay = 1.0
    throttles = [ClusterThrottle(redis.Redis(connection_pool=rdb.connection_pool), delay) for _ in range(3)]
    waits: list[float] = []

    def client(throttle: ClusterThrottle) -> None:
        waits.extend(throttle.wait_for("news.example") for _ in range(5))

    threads = [threading.Thread(target=client, args=(t,)) for t in throttles]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    assert all(abs(wait - k * delay) <= took + 0.01 for k, wait in enumerate(sorted(waits)))
    assert len(waits) == 15 and took < delay / 2
    assert ClusterThrottle(rdb, 0).wait_for("other.example") == 0

"""Extraction in worker processes: the same records as inline, bounded time,
no page lost when a worker hangs or dies."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from benchmarks.proctree import descendants
from crawler.items import FetchedPage
from pipelines.extract import ExtractPipeline, PageContext, extract_article
from pipelines.extract_pool import ExtractionPool, run_extraction
from pipelines.rejections import PageRejected
from tests.generated_site import generate_site

FIXTURE_PAGES = sorted((Path(__file__).parent / "fixtures").rglob("*.html"))
WHEN = datetime(2026, 11, 28, 7, 0, tzinfo=timezone.utc)


def says(page: bytes | str, word: str) -> bool:
    return word in (page.decode() if isinstance(page, bytes) else page)


def hanging_extract(page, context: PageContext):
    """extract_article, except for pages that say HANG (they sleep for ever)."""
    if says(page, "HANG"):
        time.sleep(3600)
    return extract_article(page, context)


def stubborn_extract(page, context: PageContext):
    """Hangs where SIGALRM cannot interrupt it (as C code would)."""
    if says(page, "HANG"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    return extract_article(page, context)


def crashing_extract(page, context: PageContext):
    """Kills its worker on pages that say CRASH (a segfault, the OOM killer)."""
    if says(page, "CRASH"):
        os._exit(70)
    return extract_article(page, context)


def fetched(url: str, html: str) -> FetchedPage:
    return FetchedPage(source="abc", url=url, fetched_at=WHEN, http_status=200,
                       body=html.encode(), encoding="utf-8",
                       warc_filename="raw/x.warc.gz", warc_record_offset=0, warc_record_length=1)


def outcome_of(pipeline: ExtractPipeline, page: FetchedPage):
    try:
        return asyncio.run(pipeline.process_item(page))
    except PageRejected as exc:
        return ("rejected", exc.reason)


def pages_for_comparison(tmp_path: Path) -> list[FetchedPage]:
    site = tmp_path / "site"
    paths = generate_site(site, 6, furniture=True)
    pages = [fetched(f"http://127.0.0.1:1{p}", (site / p.lstrip("/")).read_text()) for p in paths]
    pages += [fetched(f"https://abcnewsradioonline.com/{p.parent.name}/{p.name}", p.read_text())
              for p in FIXTURE_PAGES]
    return pages


def test_records_are_the_same_with_and_without_the_pool(tmp_path):
    pages = pages_for_comparison(tmp_path)
    inline = ExtractPipeline(timezone.utc, (), ("en",), workers=0)
    pooled = ExtractPipeline(timezone.utc, (), ("en",), workers=2)
    pooled.open_spider()
    try:
        async def all_pooled():
            async def one(page):
                try:
                    return await pooled.process_item(page)
                except PageRejected as exc:
                    return ("rejected", exc.reason)
            return await asyncio.gather(*(one(p) for p in pages))
        with_pool = asyncio.run(all_pooled())
    finally:
        pooled.close_spider()
    without_pool = [outcome_of(inline, p) for p in pages]
    assert sum(isinstance(r, dict) for r in with_pool) >= 6
    assert with_pool == without_pool


def test_reprocessing_order_and_records_are_kept(tmp_path):
    pages = pages_for_comparison(tmp_path)
    inline = ExtractPipeline(timezone.utc, (), workers=0)
    pool = ExtractionPool(2)
    try:
        jobs = [(i, p.body, inline.context(p)) if i % 3 else (i, None, None) for i, p in enumerate(pages)]
        results = list(pool.map_ordered(jobs, window=3))
    finally:
        pool.close()
    assert [key for key, _ in results] == list(range(len(pages)))
    for (i, outcome), page in zip(results, pages):
        if i % 3 == 0:
            assert outcome is None
            continue
        assert outcome[:-1] == run_extraction(page.body, inline.context(page))[:-1]


def test_a_page_whose_extraction_hangs_is_an_extraction_timeout(tmp_path):
    pipeline = ExtractPipeline(timezone.utc, (), workers=1, timeout=1.0, extract=hanging_extract)
    pipeline.open_spider()
    try:
        started = time.monotonic()
        rejected = outcome_of(pipeline, fetched("http://127.0.0.1:1/national-news/x", "<p>HANG</p>"))
        assert rejected == ("rejected", "extraction_timeout")
        assert time.monotonic() - started < 10
        page = pages_for_comparison(tmp_path)[0]
        assert isinstance(outcome_of(pipeline, page), dict)     # the worker goes on
    finally:
        pipeline.close_spider()


@pytest.mark.parametrize("workers", [2, 1])
def test_a_worker_stuck_beyond_the_signal_is_killed_and_the_others_finish(tmp_path, workers):
    """With one worker the other pages wait behind the stuck one. They were
    timed out with it (the deadline ran from submission, not from when a
    worker took the page), and those still queued when the pool restarted
    were cancelled with it and lost; they are extracted after the restart."""
    pages = pages_for_comparison(tmp_path)[:3]
    pool = ExtractionPool(workers, timeout=0.5, extract=stubborn_extract, grace=1.0)
    context = ExtractPipeline(timezone.utc, ()).context
    try:
        async def run():
            stuck = pool.extract_async("<p>HANG</p>", context(fetched("http://h/1", "")))
            return await asyncio.gather(stuck, *(pool.extract_async(p.body, context(p)) for p in pages))
        outcomes = asyncio.run(run())
    finally:
        pool.close()
    assert outcomes[0][:2] == ("rejected", "extraction_timeout")
    assert [o[0] for o in outcomes[1:]] == ["ok"] * 3
    assert pool.restarts == 1


def test_reprocessing_extracts_the_pages_queued_behind_a_stuck_one(tmp_path):
    """The same through map_ordered (re-processing's loop), in input order."""
    pages = pages_for_comparison(tmp_path)[:3]
    pool = ExtractionPool(1, timeout=0.5, extract=stubborn_extract, grace=1.0)
    context = ExtractPipeline(timezone.utc, ()).context
    try:
        jobs = [("stuck", "<p>HANG</p>", context(fetched("http://h/1", "")))] \
            + [(p.url, p.body, context(p)) for p in pages]
        results = list(pool.map_ordered(jobs, window=4))
    finally:
        pool.close()
    assert results[0][0] == "stuck" and results[0][1][:2] == ("rejected", "extraction_timeout")
    assert [(key, outcome[0]) for key, outcome in results[1:]] == [(p.url, "ok") for p in pages]
    assert pool.restarts == 1


def test_a_crashed_worker_is_a_rejection_and_no_other_page_is_lost(tmp_path):
    pages = pages_for_comparison(tmp_path)[:4]
    pool = ExtractionPool(2, extract=crashing_extract)
    context = ExtractPipeline(timezone.utc, ()).context
    try:
        jobs = [(0, "<p>CRASH</p>", context(fetched("http://h/1", "")))]
        jobs += [(i + 1, p.body, context(p)) for i, p in enumerate(pages)]
        results = dict(pool.map_ordered(jobs))
    finally:
        pool.close()
    assert results[0][:2] == ("rejected", "extraction_crashed")
    assert [results[i][0] for i in range(1, 5)] == ["ok"] * 4


@pytest.mark.parametrize("workers", [0, 2])
def test_fetch_errors_are_rejected_without_extraction(workers):
    pipeline = ExtractPipeline(timezone.utc, (), workers=workers)
    pipeline.open_spider()
    try:
        page = FetchedPage(source="abc", url="http://h/x", fetched_at=WHEN, error="http_404",
                           error_detail="HTTP 404")
        assert outcome_of(pipeline, page) == ("rejected", "http_404")
    finally:
        pipeline.close_spider()


def test_workers_exit_when_their_crawler_is_killed(tmp_path):
    """A crawler killed with SIGKILL leaves no extraction worker behind (it would
    wait for pages for ever and hold the crawler's stdout/stderr open)."""
    import subprocess
    import sys
    script = ("import os, sys, time\n"
              "from pipelines.extract import PageContext\n"
              "from pipelines.extract_pool import ExtractionPool\n"
              "pool = ExtractionPool(2)\n"
              "pool.submit('<html><body><p>x</p></body></html>', PageContext(url='http://news.example/a')).result()\n"
              "print(*[p.pid for p in pool._executor._processes.values()], flush=True)\n"
              "time.sleep(3600)\n")
    crawler = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).parent.parent)
    workers = [int(pid) for pid in crawler.stdout.readline().split()]
    assert len(workers) >= 1
    crawler.kill()
    crawler.wait()
    deadline = time.monotonic() + 15
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in workers if _running(pid)]
    assert alive == []


def test_a_pool_of_two_is_two_processes():
    """The pool's processes are its workers (and multiprocessing's resource
    tracker), nothing idle beside them: a forkserver kept for restarts held
    55 MB RSS all crawl long."""
    import subprocess
    import sys
    script = ("import os\n"
              "from pipelines.extract import PageContext\n"
              "from pipelines.extract_pool import ExtractionPool\n"
              "pool = ExtractionPool(2)\n"
              "pool.start()\n"
              "pool.submit('<html><body><p>x</p></body></html>', PageContext(url='http://news.example/a')).result()\n"
              "print(os.getpid(), *[p.pid for p in pool._executor._processes.values()], flush=True)\n"
              "input()\n")
    crawler = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    try:
        crawler_pid, *workers = (int(pid) for pid in crawler.stdout.readline().split())
        started = [pid for pid in descendants(crawler_pid) if pid != crawler_pid and _running(pid)
                   and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2
        assert sorted(started) == sorted(workers)
    finally:
        crawler.communicate("\n", timeout=30)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"     # a zombie has exited
    except FileNotFoundError:
        return False


def test_workers_hand_memory_back_after_large_pages_only(monkeypatch):
    import pipelines.extract_pool as pool
    trimmed: list[int] = []
    monkeypatch.setattr(pool, "_malloc_trim", trimmed.append)
    context = PageContext(url="http://127.0.0.1:1/a.html", source="abc")
    small = "<html><body><p>" + "A short page. " * 50 + "</p></body></html>"
    large = "<html><body>" + "<p>A long paragraph of the page.</p>" * 8_000 + "</body></html>"
    assert len(small) < pool.TRIM_AFTER_PAGE_BYTES <= len(large)
    run_extraction(small, context)
    assert trimmed == []
    run_extraction(large, context)
    assert trimmed == [0]


MALLOC_PROBE = """
import ctypes, sys
if sys.argv[1] == "pool":
    from pipelines.extract_pool import ExtractionPool
    pool = ExtractionPool(1)
    pool.start()
page = bytearray(3 << 20)          # a 3 MB page, mapped apart and freed:
del page                           # glibc's threshold moves up to 3 MB
buffer = bytearray(2 << 20)        # a large buffer after it, more than the heap has free
address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
heap = [[int(end, 16) for end in line.split()[0].split("-")]
        for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")]
print("heap" if any(low <= address < high for low, high in heap) else "mapped apart")
if sys.argv[1] == "pool":
    pool.close()
"""


@pytest.mark.parametrize("process, where", [("pool", "mapped apart"), ("plain", "heap")])
def test_after_a_large_page_page_sized_buffers_are_still_mapped_apart(process, where):
    """A process that starts a pool keeps glibc's mmap threshold where it is:
    after one large page, a large buffer the heap has no room for is still
    mapped apart (handed back when freed) instead of growing the heap, as it
    does in a plain process."""
    import ctypes
    import subprocess
    import sys
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("not glibc: nothing is tuned")
    probe = subprocess.run([sys.executable, "-c", MALLOC_PROBE, process], capture_output=True,
                           text=True, cwd=Path(__file__).parent.parent, timeout=60, check=True)
    assert probe.stdout.strip() == where


@pytest.mark.parametrize("command", ["crawler", "pipelines.reprocess", "crawler.distributed"])
def test_commands_that_extract_in_a_pool_run_as_a_package_main(command):
    """multiprocessing imports the parent's main module in every worker unless
    it is a package's __main__: `python -m pipelines.reprocess` as a plain
    module gave each of its workers Scrapy and pyarrow (all processes 504 MB
    RSS in the benchmark's re-processing of 2,000 pages)."""
    import importlib.util
    assert importlib.util.find_spec(command).submodule_search_locations is not None
    assert importlib.util.find_spec(f"{command}.__main__") is not None


def test_extraction_workers_load_neither_scrapy_nor_pyarrow_nor_numpy():
    """Every worker imports these modules: with Scrapy and pyarrow among them
    a worker was 111-150 MB RSS in the benchmark's crawl instead of 79; numpy
    (for the simhash) took 9 MB more of each."""
    import subprocess
    import sys
    script = ("import sys\n"
              "import pipelines.extract, pipelines.extract_pool\n"
              "print(*sorted(m for m in ('scrapy', 'twisted', 'pyarrow', 'boto3', 'numpy')\n"
              "              if m in sys.modules))\n")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).parent.parent).stdout.split()
    assert loaded == []


def test_resetting_the_caches_logs_no_error(caplog):
    # htmldate logs an ERROR when charset_normalizer's is_accentuated has no
    # cache to clear (charset-normalizer 3.5): every 500 pages of an inline crawl.
    from pipelines.extract_pool import reset_caches
    with caplog.at_level(logging.DEBUG):
        reset_caches()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

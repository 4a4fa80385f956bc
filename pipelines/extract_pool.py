"""Extraction off the reactor thread: `extract_article` in a pool of processes.

trafilatura is CPU-bound and Scrapy runs on one thread: called inside a
pipeline it blocks the reactor (no download progresses while a page is
extracted) and uses one core. Here every page goes to a worker process
(`EXTRACT_WORKERS`, default: one per core) and the reactor only waits for the
outcome. The pure function stays as it is; this module only runs it elsewhere.

- Outcomes are plain tuples, never exceptions across the process boundary:
  ("ok", record, cpu_seconds) or ("rejected", reason, detail, cpu_seconds).
- Time is bounded per page (trafilatura#704): a worker arms SIGALRM for
  `timeout` seconds; a page that runs over becomes an `extraction_timeout`
  rejection. A worker stuck where the signal cannot reach it (C code) is killed
  by the parent after a grace period, the pool is restarted, and the page is an
  `extraction_timeout` too. Pages that were in flight beside it are tried again.
- A worker that dies (segfault, out of memory) breaks the pool: it is restarted,
  every page in flight is tried once more, and a page that breaks it again is an
  `extraction_crashed` rejection. No page is ever lost.
- Memory stays flat: workers reset trafilatura's and htmldate's caches every
  `RESET_CACHES_EVERY` pages (trafilatura#216/#219), and hand the memory a
  large page needed back to the system after it (`TRIM_AFTER_PAGE_BYTES`).
- Workers are started by a forkserver that has imported the extraction code
  once (no fork of the threaded crawler process, no re-import per worker).

With `workers=0` the same function runs inline (tests, debugging), without
the time bound.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from pipelines.extract import PageContext, Rejected, extract_article

# Seconds one page may take. Real news pages take 20-100 ms; trafilatura#704
# reports single pages taking minutes, which would stall a worker for good.
DEFAULT_TIMEOUT = 30.0
# After the soft timeout, the parent waits this much longer before it kills the pool.
HARD_TIMEOUT_GRACE = 15.0
# Calibrated on the benchmark: resetting every 500 pages keeps worker RSS flat
# and costs < 0.1 % of extraction time.
RESET_CACHES_EVERY = 500
# The pool's own threads (the one that writes pages into the workers' pipe,
# the one that reads outcomes) need the GIL between two pipe writes, and a
# page is larger than a pipe's 64 KB. Python hands the GIL over only every
# switch interval (5 ms by default) while the reactor thread runs, so a worker
# could sit idle for up to 5 ms of every page, waiting for the rest of it.
# A process uses this interval once it starts a pool.
SWITCH_INTERVAL = 0.0005

Outcome = tuple
ExtractFn = Callable[[Any, PageContext], dict]
T = TypeVar("T")


class ExtractionTimeout(Exception):
    pass


def _on_alarm(signum, frame):  # noqa: ARG001 (signal handler signature)
    raise ExtractionTimeout()


# A worker's memory grows to what its largest page needed and stays there:
# glibc keeps what is freed for reuse, and the trees of a large page (lxml's,
# and trafilatura's copies of it) leave the heap fragmented. Handing the free
# pages back (malloc_trim) after each page of 256 KB or more kept a worker
# 44 MB smaller over the evaluation pages (the memory it kept: 83 MB instead of
# 127 above its start), for 0.23 ms a page on average; after every page it
# cost three times as much and kept no less.
TRIM_AFTER_PAGE_BYTES = 256 * 1024
_malloc_trim: Callable[[int], int] | None = None    # set in workers, on glibc


def _libc_malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):    # not glibc (musl, macOS): nothing to hand back
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def _worker_init(crawler_pid: int) -> None:
    global _malloc_trim
    _malloc_trim = _libc_malloc_trim()
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the crawler's to handle
    signal.signal(signal.SIGALRM, _on_alarm)
    threading.Thread(target=_exit_with_crawler, args=(crawler_pid,), daemon=True,
                     name="exit-with-crawler").start()


def _exit_with_crawler(crawler_pid: int) -> None:
    """Exit once the crawler process is gone (SIGKILL, the OOM killer). Nothing
    else would end the worker: it holds both ends of the pool's queue, so it
    never reads end-of-file, and it holds the forkserver's liveness pipe, so
    the forkserver does not exit either; both would keep the crawler's
    stdout/stderr open for ever."""
    while True:
        time.sleep(1)
        try:
            os.kill(crawler_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:     # the pid was reused by another user's process
            os._exit(1)


_pages_since_reset = 0


def reset_caches() -> None:
    try:
        from trafilatura.meta import reset_caches as trafilatura_reset
        trafilatura_reset()
    except ImportError:
        pass


def run_extraction(page: Any, context: PageContext, timeout: float | None = None,
                   extract: ExtractFn = extract_article) -> Outcome:
    """extract_article as an outcome tuple, with its CPU seconds; `timeout`
    arms SIGALRM (worker processes only: their main thread does nothing else)."""
    global _pages_since_reset
    cpu = time.process_time()
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        outcome: tuple = ("ok", extract(page, context))
    except Rejected as exc:
        outcome = ("rejected", exc.reason, exc.detail)
    except ExtractionTimeout:
        outcome = ("rejected", "extraction_timeout", f"extraction took longer than {timeout:g} s")
    except Exception as exc:  # noqa: BLE001 (a page, not the crawl, has failed)
        outcome = ("rejected", "extraction_error", f"{type(exc).__name__}: {exc}"[:500])
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    _pages_since_reset += 1
    if _pages_since_reset >= RESET_CACHES_EVERY:
        _pages_since_reset = 0
        reset_caches()
    if _malloc_trim is not None and len(page) >= TRIM_AFTER_PAGE_BYTES:
        _malloc_trim(0)
    return outcome + (time.process_time() - cpu,)


def _timeout_outcome(timeout: float) -> Outcome:
    return ("rejected", "extraction_timeout",
            f"extraction took longer than {timeout:g} s (worker killed)", 0.0)


def _crashed_outcome(detail: str) -> Outcome:
    return ("rejected", "extraction_crashed", f"the extraction worker died: {detail}"[:500], 0.0)


class ExtractionPool:
    """`workers` processes running `extract` (a picklable top-level function)."""

    def __init__(self, workers: int, timeout: float = DEFAULT_TIMEOUT,
                 extract: ExtractFn = extract_article, grace: float = HARD_TIMEOUT_GRACE):
        self.workers = workers
        self.timeout = timeout
        self.extract = extract
        self.grace = grace
        self.restarts = 0
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    @property
    def hard_timeout(self) -> float:
        # From submission: the page may wait behind one other page per worker.
        return 2 * self.timeout + self.grace

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipelines.extract", "pipelines.extract_pool"])
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_worker_init,
                initargs=(os.getpid(),))
        return self._executor

    def start(self) -> None:
        """Start the workers now rather than at the first page: they take about
        0.4 s to start (the forkserver imports the extraction code; cProfile of
        a crawl's start-up), which the crawl spends discovering its pages instead."""
        executor = self._pool()
        for _ in range(self.workers):   # each submission to a busy pool starts a worker
            executor.submit(os.getpid)

    def submit(self, page: Any, context: PageContext) -> concurrent.futures.Future:
        return self._pool().submit(run_extraction, page, context, self.timeout, self.extract)

    def restart(self, broken: concurrent.futures.ProcessPoolExecutor | None = None) -> None:
        """Kill the workers and start afresh (`broken`: only if it is still the current pool)."""
        executor = self._executor
        if executor is None or (broken is not None and broken is not executor):
            return
        self._executor = None
        self.restarts += 1
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            try:
                process.kill()
            except (OSError, ValueError):
                pass
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    # --- the reactor's side ---------------------------------------------------

    async def extract_async(self, page: Any, context: PageContext) -> Outcome:
        detail = ""
        for _attempt in range(2):
            executor = self._pool()
            future = self.submit(page, context)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), self.hard_timeout)
            except asyncio.TimeoutError:
                self.restart(executor)
                return _timeout_outcome(self.timeout)
            except (BrokenProcessPool, concurrent.futures.CancelledError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
                self.restart(executor)
        return _crashed_outcome(detail)

    # --- a plain loop's side (re-processing) -----------------------------------

    def _wait(self, page: Any, context: PageContext, executor, future) -> Outcome:
        detail = ""
        for attempt in range(2):
            if attempt:
                executor, future = self._pool(), self.submit(page, context)
            try:
                return future.result(timeout=self.hard_timeout)
            except concurrent.futures.TimeoutError:
                self.restart(executor)
                return _timeout_outcome(self.timeout)
            except (BrokenProcessPool, concurrent.futures.CancelledError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
                self.restart(executor)
        return _crashed_outcome(detail)

    def map_ordered(self, jobs: Iterable[tuple[T, Any, PageContext] | tuple[T, None, None]],
                    window: int | None = None) -> Iterator[tuple[T, Outcome | None]]:
        """(key, page, context) in, (key, outcome) out, in input order, with at
        most `window` pages in flight (back-pressure: memory stays bounded).
        A job with page None is passed through with outcome None, in order."""
        window = window or 2 * self.workers
        pending: deque = deque()
        in_flight = 0

        def head() -> tuple[T, Outcome | None]:
            nonlocal in_flight
            key, page, context, executor, future = pending.popleft()
            if future is None:
                return key, None
            in_flight -= 1
            return key, self._wait(page, context, executor, future)

        for key, page, context in jobs:
            if page is None:
                pending.append((key, None, None, None, None))
            else:
                pending.append((key, page, context, self._pool(), self.submit(page, context)))
                in_flight += 1
            while in_flight >= window or (pending and pending[0][4] is None and len(pending) > window):
                yield head()
        while pending:
            yield head()


def default_workers() -> int:
    return os.cpu_count() or 1

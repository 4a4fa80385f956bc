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
  by the parent after a grace period, counted from when the worker took the
  page (workers note which page they are on and since when, in shared
  memory: pages queued behind a stuck one are not late), the pool is
  restarted, and the page is an `extraction_timeout` too. Pages that were in
  flight or queued beside it are tried again.
- A worker that dies (segfault, out of memory) breaks the pool: it is restarted,
  every page in flight is tried once more, and a page that breaks it again is an
  `extraction_crashed` rejection. No page is ever lost.
- Memory stays flat: workers reset trafilatura's and htmldate's caches every
  `RESET_CACHES_EVERY` pages (trafilatura#216/#219), and hand the memory a
  large page needed back to the system after it (`TRIM_AFTER_PAGE_BYTES`);
  the pool's processes map large blocks apart (`MMAP_THRESHOLD_BYTES`).
- Workers are spawned: fresh interpreters that import only the extraction
  code, never a fork of the threaded crawler process.

With `workers=0` the same function runs inline (tests, debugging), without
the time bound.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, TypeVar

from pipelines.extract import PageContext, Rejected, extract_article

# Seconds one page may take. Real news pages take 20-100 ms; trafilatura#704
# reports single pages taking minutes, which would stall a worker for good.
DEFAULT_TIMEOUT = 30.0
# After the soft timeout, the parent waits this much longer before it kills the pool.
HARD_TIMEOUT_GRACE = 15.0
# How often a caller waiting for a page looks whether its worker is past the
# hard deadline (at most; a tenth of the grace, not under 0.05 s, with the
# short grace of the tests).
OVERDUE_CHECK_SECONDS = 1.0
# A page under which the pool broke twice is `extraction_crashed`.
MAX_TRIES = 2
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
# The process feeding a pool holds pages while they wait for a worker (the
# response, its text, the copy sent to the worker, the WARC record). glibc
# raises its mmap threshold to the size of the largest block freed (up to 32
# MB), so after one 3 MB page every page-sized buffer comes from the heap,
# which grows and fragments. Fixed at 256 KB, a larger block that the heap has
# no free room for is mapped apart and handed back when freed: on the
# benchmark's real pages the crawler's process peaked at 125-146 MB of
# anonymous memory instead of 174-178, and held 165-180 MB RSS most of the
# crawl instead of 195-211. Generated pages (~100 KB) stay under it and cost
# nothing more; a threshold of 32 KB, which catches them, cost 1 ms of CPU a page.
MMAP_THRESHOLD_BYTES = 256 * 1024
_M_MMAP_THRESHOLD = -3      # glibc's mallopt parameter (malloc.h)
_malloc_trim: Callable[[int], int] | None = None    # set in workers, on glibc
# In workers: the pool's board (see ExtractionPool) and this worker's place on it.
_board: Any = None
_slot = -1


def _libc(name: str, *argtypes: Any) -> Callable[..., int] | None:
    """glibc's `name`, or None elsewhere (musl, macOS: nothing is tuned there)."""
    import ctypes
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = list(argtypes), ctypes.c_int
    return function


def fix_mmap_threshold() -> None:
    import ctypes
    mallopt = _libc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def _worker_init(crawler_pid: int, board: Any, next_slot: Any) -> None:
    global _malloc_trim, _board, _slot
    import ctypes
    _malloc_trim = _libc("malloc_trim", ctypes.c_size_t)
    fix_mmap_threshold()
    with next_slot.get_lock():
        _slot, next_slot.value = next_slot.value, next_slot.value + 1
    _board = board if 2 * _slot + 1 < len(board) else None
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the crawler's to handle
    signal.signal(signal.SIGALRM, _on_alarm)
    threading.Thread(target=_exit_with_crawler, args=(crawler_pid,), daemon=True,
                     name="exit-with-crawler").start()


def _exit_with_crawler(crawler_pid: int) -> None:
    """Exit once the crawler process is gone (SIGKILL, the OOM killer). Nothing
    else would end the worker: it holds both ends of the pool's queue, so it
    never reads end-of-file, and would keep the crawler's stdout/stderr open
    for ever."""
    while True:
        time.sleep(1)
        try:
            os.kill(crawler_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:     # the pid was reused by another user's process
            os._exit(1)


_pages_since_reset = 0


class _NothingToClear(logging.Filter):
    """htmldate's reset_caches logs an ERROR for each charset_normalizer
    function without a cache to clear (is_accentuated has none in
    charset-normalizer 3.5). Nothing failed, but a crawl extracting inline
    (EXTRACT_WORKERS=0) logged an ERROR every RESET_CACHES_EVERY pages; in
    workers, htmldate's NullHandler swallowed it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("impossible to clear cache for function")


def reset_caches() -> None:
    try:
        from trafilatura.meta import reset_caches as trafilatura_reset
    except ImportError:
        return
    htmldate_log, quiet = logging.getLogger("htmldate.meta"), _NothingToClear()
    htmldate_log.addFilter(quiet)
    try:
        trafilatura_reset()
    finally:
        htmldate_log.removeFilter(quiet)


def run_extraction(page: Any, context: PageContext, timeout: float | None = None,
                   extract: ExtractFn = extract_article, job: int = 0) -> Outcome:
    """extract_article as an outcome tuple, with its CPU seconds; `timeout`
    arms SIGALRM (worker processes only: their main thread does nothing else);
    `job` is noted on the pool's board while the page is extracted."""
    if _board is not None and job:
        # The time first: the parent reads the job, the time, the job again.
        _board[2 * _slot + 1] = time.monotonic()
        _board[2 * _slot] = job
    try:
        return _run_extraction(page, context, timeout, extract)
    finally:
        if _board is not None and job:
            _board[2 * _slot] = 0


def _run_extraction(page: Any, context: PageContext, timeout: float | None,
                    extract: ExtractFn) -> Outcome:
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


@dataclass(frozen=True)
class _Submitted:
    """A page handed to a pool: the pool, its board, the page's job number."""
    executor: concurrent.futures.ProcessPoolExecutor
    board: Any
    job: int
    future: concurrent.futures.Future


@dataclass
class _Tries:
    """A page at the pool: its current submission, and how many of its tries
    counted (MAX_TRIES, and it is extraction_crashed)."""
    page: Any
    context: PageContext
    submitted: _Submitted
    counted: int = 0


def _started_at(board: Any, job: int) -> float | None:
    """When a worker took `job` (time.monotonic(), one clock for every
    process), or None while no worker is on it."""
    for slot in range(0, len(board), 2):
        if board[slot] == job:
            started = board[slot + 1]
            if board[slot] == job:      # not rewritten for the worker's next page meanwhile
                return started
    return None


def _read_exception(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


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
        # Per worker two numbers, in shared memory: the job it is on (0: none)
        # and since when. Written by the workers, read here.
        self._board: Any = None
        self._jobs = 0
        # Pools killed because one of their pages ran over: the others' tries
        # there do not count against them.
        self._killed_for_time: weakref.WeakSet = weakref.WeakSet()
        self._check_every = max(min(OVERDUE_CHECK_SECONDS, grace / 10), 0.05)

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
            fix_mmap_threshold()
            # Spawned, each worker imports the extraction code itself (0.4 s,
            # while the spider discovers its first pages). A forkserver imports
            # it once and forks the workers, but stays alive all crawl long for
            # the next restart: in the benchmark's crawl of 2,000 pages all
            # processes' RSS was 401-402 MB with it, 368 spawned (PSS 320-321
            # and 313).
            context = multiprocessing.get_context("spawn")
            self._board = context.Array("d", 2 * self.workers, lock=False)
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_worker_init,
                initargs=(os.getpid(), self._board, context.Value("i", 0)))
        return self._executor

    def start(self) -> None:
        """Start the workers now rather than at the first page: they take about
        0.4 s to start (each imports the extraction code; cProfile of
        a crawl's start-up), which the crawl spends discovering its pages instead."""
        executor = self._pool()
        for _ in range(self.workers):   # each submission to a busy pool starts a worker
            executor.submit(os.getpid)

    def submit(self, page: Any, context: PageContext) -> concurrent.futures.Future:
        return self._submit(page, context).future

    def _submit(self, page: Any, context: PageContext) -> _Submitted:
        executor = self._pool()
        self._jobs += 1
        future = executor.submit(run_extraction, page, context, self.timeout, self.extract,
                                 self._jobs)
        return _Submitted(executor, self._board, self._jobs, future)

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

    def _kill_if_overdue(self, submitted: _Submitted) -> Outcome | None:
        """The page's timeout outcome, the pool killed, once a worker has been
        on it past its timeout and the grace (stuck where the signal cannot
        reach it); None while it is not."""
        started = _started_at(submitted.board, submitted.job)
        if started is None or time.monotonic() - started <= self.timeout + self.grace:
            return None
        self._killed_for_time.add(submitted.executor)
        self.restart(submitted.executor)
        return _timeout_outcome(self.timeout)

    def _broke(self, tries: _Tries, detail: str) -> Outcome | None:
        """The pool broke under the page (a worker died, or the pool was killed
        for another page's time): restart it, and submit the page again, or,
        after its second try, return its `extraction_crashed` outcome. A try
        counts when a worker had taken the page and the pool died by itself:
        pages only queued, or beside a page killed for its time, lose none."""
        submitted = tries.submitted
        self.restart(submitted.executor)
        if (_started_at(submitted.board, submitted.job) is not None
                and submitted.executor not in self._killed_for_time):
            tries.counted += 1
        if tries.counted >= MAX_TRIES:
            return _crashed_outcome(detail)
        tries.submitted = self._submit(tries.page, tries.context)
        return None

    # --- the reactor's side ---------------------------------------------------

    async def extract_async(self, page: Any, context: PageContext) -> Outcome:
        tries = _Tries(page, context, self._submit(page, context))
        while True:
            submitted = tries.submitted
            waiting = asyncio.wrap_future(submitted.future)
            # Read its exception even when nobody waits any more (a page
            # killed for its time breaks the pool after it was answered).
            waiting.add_done_callback(_read_exception)
            try:
                while True:
                    try:
                        return await asyncio.wait_for(asyncio.shield(waiting), self._check_every)
                    except asyncio.TimeoutError:
                        if (late := self._kill_if_overdue(submitted)) is not None:
                            return late
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not submitted.future.cancelled() or (task is not None and task.cancelling()):
                    raise       # the crawl cancelled this wait; the pool did not drop the page
                # Dropped, still queued, by a restart.
                crashed = self._broke(tries, "CancelledError: the pool was restarted")
            except (BrokenProcessPool, concurrent.futures.CancelledError) as exc:
                crashed = self._broke(tries, f"{type(exc).__name__}: {exc}")
            if crashed is not None:
                return crashed

    # --- a plain loop's side (re-processing) -----------------------------------

    def _wait(self, tries: _Tries) -> Outcome:
        while True:
            try:
                while True:
                    try:
                        return tries.submitted.future.result(timeout=self._check_every)
                    except concurrent.futures.TimeoutError:
                        if (late := self._kill_if_overdue(tries.submitted)) is not None:
                            return late
            except (BrokenProcessPool, concurrent.futures.CancelledError) as exc:
                if (crashed := self._broke(tries, f"{type(exc).__name__}: {exc}")) is not None:
                    return crashed

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
            key, tries = pending.popleft()
            if tries is None:
                return key, None
            in_flight -= 1
            return key, self._wait(tries)

        for key, page, context in jobs:
            if page is None:
                pending.append((key, None))
            else:
                pending.append((key, _Tries(page, context, self._submit(page, context))))
                in_flight += 1
            while in_flight >= window or (pending and pending[0][1] is None and len(pending) > window):
                yield head()
        while pending:
            yield head()


def default_workers() -> int:
    return os.cpu_count() or 1

"""Many workers share one crawl through Redis (scrapy-redis); on when REDIS_URL is set.

    python -m crawler SOURCE --workers N          the coordinator (`make crawl ... REDIS_URL=... WORKERS=N`)
    python -m crawler.distributed worker SOURCE   a worker joining the source's run (`make worker`)

The coordinator takes the per-source lock, seeds the entry points into the
run's Redis queue once, starts N local workers, watches every worker (local or
on other machines), decides when the crawl is complete, then aggregates what
the workers report into the one manifest, saves the crawl state only after a
clean run, deletes the run's keys and releases the lock. Workers take no lock.

scrapy-redis provides the shared priority queue and duplicate filter; on top:

- leases (`LeasingQueue`): a request popped by a worker is moved, atomically,
  into that worker's in-flight hash and removed from it only once its outcome
  is published in the archive. The in-flight requests of a worker that dies
  (process gone, or no heartbeat for NEWS_WORKER_TIMEOUT) go back to the queue.
- claims (`Claims`): before a worker writes rows into a Parquet file it claims
  every row's article id for the run, naming the file; a row another worker
  claimed first is dropped. So an article fetched twice (under two URLs, or
  again after its worker died having published it) is archived once.
- the fence (`Claims.commit`): right before it publishes (or spools) a file, a
  worker commits it, in one Redis step with a check that it has not been
  declared lost. A lost worker is fenced out first, then its claims on files
  that will never appear are released before its requests go back to the
  queue: for a worker only silent (paused, cut off, maybe alive), files it did
  not commit; for a local worker whose process is gone, files neither in the
  archive nor in the spool. A worker that comes back after it was declared
  lost publishes nothing more: what it holds, other workers fetch again.
- each machine's spool (`Spool.upload`): a worker joining a run first
  publishes what its machine spooled in earlier runs (an archive outage),
  leaving out rows the archive or another worker of the run already has.
- cluster politeness (`ClusterThrottle`): every request to a host reserves the
  next free slot of that host in Redis, DOWNLOAD_DELAY apart, at the moment it
  is sent, so N workers together keep the delay one crawler would.
- per-run keys, all expiring (`RunKeys`), deleted at the end of the run: the
  duplicate filter does not grow across runs.

Keys (Redis must be private: queued requests are pickled, as in scrapy-redis):

    news:<source>:current                  the run id of the source's run in progress
    news:<source>:<run>:config             JSON: archive URI, entry points, settings
    news:<source>:<run>:requests           the scrapy-redis priority queue (zset)
    news:<source>:<run>:dupefilter         the scrapy-redis request fingerprints (set)
    news:<source>:<run>:inflight:<worker>  requests leased by a worker (hash)
    news:<source>:<run>:claims:<dataset>   who archives which article / rejection (hash)
    news:<source>:<run>:committed          files their workers started to publish (set)
    news:<source>:<run>:lost               workers declared lost, fenced out (set)
    news:<source>:<run>:workers            registered workers (hash: id -> JSON)
    news:<source>:<run>:alive:<worker>     heartbeat, expires after NEWS_WORKER_TIMEOUT
    news:<source>:<run>:progress           stats of each worker at its last checkpoint (hash)
    news:<source>:<run>:results            final stats of each worker (hash: id -> JSON)
    news:<source>:<run>:done               set by the coordinator: the crawl is complete
    news:<source>:<run>:coordinator        the coordinator's heartbeat: idle workers leave without it
    news:throttle:<host>                   next free request slot of a host (all runs)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.spiders.news import NewsSpider
from pipelines.rejections import rejection_key
from pipelines.spool import DEFAULT_SPOOL_DIR, Spool
from pipelines.storage import ArchiveError
from pipelines.writer import ParquetArchiveWriter, ParquetDatasetWriter

logger = logging.getLogger(__name__)

WRITER = "pipelines.writer.ParquetArchiveWriter"
DISTRIBUTED_WRITER = "crawler.distributed.DistributedWriter"

# A worker refreshes its heartbeat every third of this; silent this long, it is lost
# and its leased requests go back to the queue. Long enough for a slow page.
DEFAULT_WORKER_TIMEOUT = 30
# Every key of a run expires this long after the coordinator last touched it, so
# a coordinator killed with SIGKILL leaves nothing behind for good.
DEFAULT_KEY_TTL = 24 * 3600
# The coordinator gives up a run no worker has worked on for this long.
# (also how long a worker waits for a run to join).
DEFAULT_NO_WORKER_TIMEOUT = 120
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class RunKeys:
    source: str
    run_id: str

    @staticmethod
    def current(source: str) -> str:
        return f"news:{source}:current"

    @property
    def prefix(self) -> str:
        return f"news:{self.source}:{self.run_id}"

    @property
    def config(self) -> str:
        return f"{self.prefix}:config"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def progress(self) -> str:
        return f"{self.prefix}:progress"

    @property
    def results(self) -> str:
        return f"{self.prefix}:results"

    @property
    def done(self) -> str:
        return f"{self.prefix}:done"

    @property
    def coordinator(self) -> str:
        return f"{self.prefix}:coordinator"

    def inflight(self, worker: str) -> str:
        return f"{self.prefix}:inflight:{worker}"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def claims(self, dataset: str) -> str:
        return f"{self.prefix}:claims:{dataset}"

    @property
    def committed(self) -> str:
        return f"{self.prefix}:committed"

    @property
    def lost(self) -> str:
        return f"{self.prefix}:lost"


def redacted(url: str) -> str:
    """REDIS_URL without its password, for messages and the manifest."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def redis_client(redis_url: str):
    return connection.get_redis(url=redis_url, **connection.defaults.REDIS_PARAMS)


def hset_expiring(server, key: str, field: str, value: str, ttl: int) -> None:
    """Write a worker's entry in one of its run's hashes, the key expiring as
    the coordinator's keys do: a worker may outlive its run (declared lost,
    it resumes after the coordinator deleted the run's keys)."""
    with server.pipeline() as pipe:
        pipe.hset(key, field, value)
        pipe.expire(key, ttl)
        pipe.execute()


# --- the queue with leases --------------------------------------------------------

# The scripts a worker (ARGV[1]) runs to change its run open with this check, in
# the same atomic step as what they do: nothing for a worker declared lost
# (KEYS[1]; what it holds is the other workers' now), or no longer registered
# in the run (KEYS[2]; the run's keys are deleted at its end, and a worker that
# resumes after it must not create them again, never to expire).
_IF_IN_THE_RUN = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  return false
end
"""

# Pop the best request of the queue (KEYS[3]) and lease it to the worker
# (KEYS[4]) in one atomic step; the lease id is the SHA-1 of the serialized
# request. A worker declared lost gets nothing: no one would requeue what it took.
_POP_LEASED = _IF_IN_THE_RUN + """
local item = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
if not item then return false end
redis.call('ZREM', KEYS[3], item)
local lease = redis.sha1hex(item)
redis.call('HSET', KEYS[4], lease, item)
return {lease, item}
"""
# Queue the request ARGV[4] at score ARGV[3] (KEYS[4]) unless its fingerprint
# ARGV[2] is in the run's duplicate filter (KEYS[3]) already; ARGV[5] '1': not
# filtered. The filter and the queue change in one step, so no fingerprint is
# marked seen for a request that was not queued. 1: queued, 0: a duplicate.
_ENQUEUE = _IF_IN_THE_RUN + """
if ARGV[5] ~= '1' and redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
return 1
"""
# A lost worker's leased requests back to the queue (at default priority).
_REQUEUE = """
local items = redis.call('HVALS', KEYS[1])
for _, item in ipairs(items) do redis.call('ZADD', KEYS[2], 0, item) end
redis.call('DEL', KEYS[1])
return #items
"""
# Complete: nothing queued and nothing leased by any registered worker. One script,
# so no request can move between the queue and a worker while it looks.
_COMPLETE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('HKEYS', KEYS[2])) do
  if redis.call('HLEN', ARGV[1] .. worker) > 0 then return 0 end
end
return 1
"""


class LeasingQueue(PriorityQueue):
    """scrapy-redis' priority queue, where `pop` leases the request to this worker."""

    def __init__(self, server, spider, keys: RunKeys, worker: str = "", serializer=None):
        super().__init__(server, spider, keys.requests, serializer)
        self.keys, self.worker = keys, worker
        self.inflight_key = keys.inflight(worker)
        self._pop = server.register_script(_POP_LEASED)
        self.leased: dict[str, Request] = {}

    def pop(self, timeout: int = 0) -> Request | None:
        got = self._pop(keys=[self.keys.lost, self.keys.workers, self.key, self.inflight_key],
                        args=[self.worker])
        if not got:
            return None
        lease, data = got
        request = self._decode_request(data)
        self.leased[lease.decode() if isinstance(lease, bytes) else lease] = request
        return request

    def settled(self, busy: set[Request] | None) -> list[str]:
        """Leases of requests no longer downloading or being processed (`busy`):
        what they produced is in the writer's buffers. None: none known."""
        if busy is None:
            return []
        return [lease for lease, request in self.leased.items() if request not in busy]

    def release(self, leases: list[str]) -> None:
        """Call once what these requests produced is published."""
        if leases:
            self.server.hdel(self.inflight_key, *leases)
            for lease in leases:
                self.leased.pop(lease, None)


def requeue(server, keys: RunKeys, worker: str) -> int:
    return int(server.register_script(_REQUEUE)(keys=[keys.inflight(worker), keys.requests]))


def crawl_complete(server, keys: RunKeys) -> bool:
    script = server.register_script(_COMPLETE)
    return bool(script(keys=[keys.requests, keys.workers], args=[keys.inflight("")]))


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis' duplicate filter on the run's own key, never cleared by a
    worker that closes (the other workers still need it); the coordinator
    deletes it at the end of the run, and it expires anyway."""

    def close(self, reason: str = "") -> None:
        pass


class RunScheduler(Scheduler):
    """scrapy-redis' scheduler on the keys of one run, with leases; it never
    flushes the shared queue when this worker closes."""

    def __init__(self, server, keys: RunKeys, worker: str, stats=None):
        super().__init__(server, persist=True, queue_key=keys.requests,
                         dupefilter=RunDupeFilter(server, keys.dupefilter),
                         dupefilter_key=keys.dupefilter)
        self.keys, self.worker = keys, worker
        self.stats = stats
        self._enqueue = server.register_script(_ENQUEUE)

    @classmethod
    def from_crawler(cls, crawler) -> "RunScheduler":
        settings = crawler.settings
        keys = RunKeys(settings["NEWS_SOURCE"], settings["NEWS_DISTRIBUTED_RUN_ID"])
        server = connection.from_settings(settings)
        server.ping()
        scheduler = cls(server, keys, settings["NEWS_WORKER_ID"], crawler.stats)
        worker = WorkerExtension.of(crawler)
        if worker is not None:
            worker.scheduler = scheduler
        return scheduler

    def open(self, spider) -> None:
        self.spider = spider
        self.queue = LeasingQueue(self.server, spider, self.keys, self.worker, self.serializer)

    # As scrapy-redis' (filter, then push), in one step, for a worker in the run.
    def enqueue_request(self, request: Request) -> bool:
        queued = self._enqueue(
            keys=[self.keys.lost, self.keys.workers, self.keys.dupefilter, self.keys.requests],
            args=[self.worker, self.df.request_fingerprint(request), -request.priority,
                  self.queue._encode_request(request), int(request.dont_filter)])
        if queued is None:      # out of the run: its pages are the other workers' now
            return False
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


# --- cluster-wide politeness ------------------------------------------------------

# Reserve the next free slot of a host: returns the microseconds to wait until it.
# Redis' clock is the one clock of the cluster.
_RESERVE_SLOT = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local slot = math.max(t, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%d', slot + interval),
           'PX', math.ceil((slot + interval - t) / 1000) + 60000)
return slot - t
"""


class ClusterThrottle:
    """One request per `delay` seconds per host, for all workers together."""

    def __init__(self, server, delay: float):
        self.server = server
        self.interval_us = int(delay * 1_000_000)
        self._reserve = server.register_script(_RESERVE_SLOT)

    def wait_for(self, host: str) -> float:
        """Reserve the host's next slot; seconds until it comes."""
        if self.interval_us <= 0:
            return 0.0
        return int(self._reserve(keys=[f"news:throttle:{host}"], args=[self.interval_us])) / 1e6


class ClusterThrottledHTTPHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP handler, waiting for the host's cluster-wide slot first.

    The wait is here, where the request is about to be sent, not in a downloader
    middleware: those run before Scrapy's own per-slot queue, which could hold a
    request past the slot it reserved."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.throttle = ClusterThrottle(connection.from_settings(crawler.settings),
                                        crawler.settings.getfloat("DOWNLOAD_DELAY"))
        self.stats = crawler.stats

    async def download_request(self, request: Request):
        host = urlparse_cached(request).hostname or ""
        while True:
            reserved = time.monotonic()
            wait = self.throttle.wait_for(host)
            if wait > 0:
                await asyncio.sleep(wait)
            # Woken late (a busy event loop, a busy machine), the request would go
            # out next to the slots after its own, which other workers hold: it
            # takes a new slot instead of bunching up with theirs.
            tolerance = self.throttle.interval_us / 2e6
            if not tolerance or time.monotonic() - reserved - wait <= tolerance:
                break
            self.stats.inc_value("throttle/late_slots")
        return await super().download_request(request)


# --- archiving once ----------------------------------------------------------------

# Claim fields (KEYS[3]) as rows of the file ARGV[2]; returns the 0-based
# positions of the fields it holds. A claim's value names its file, so the
# claims of a worker that died before publishing it can be told and released.
_CLAIM = _IF_IN_THE_RUN + """
local mine = ARGV[1] .. ' '
local held = {}
for i = 3, #ARGV do
  local owner = redis.call('HGET', KEYS[3], ARGV[i])
  if not owner or string.sub(owner, 1, #mine) == mine then
    redis.call('HSET', KEYS[3], ARGV[i], mine .. ARGV[2])
    held[#held + 1] = i - 3
  end
end
return held
"""

# Commit the file ARGV[2] (KEYS[3]), about to be published: the check and the
# mark are one step, so once the coordinator has fenced a worker out, the files
# that worker committed are all it will ever publish.
_COMMIT = _IF_IN_THE_RUN + """
redis.call('SADD', KEYS[3], ARGV[2])
return 1
"""

CLAIM_KEYS: dict[str, Callable[[dict], str]] = {
    "articles": lambda row: row["article_id"],
    "rejects": lambda row: " ".join(rejection_key(row)),
}


class Claims:
    def __init__(self, server, keys: RunKeys, worker: str):
        self.server = server
        self.keys = keys
        self.worker = worker
        self._claim = server.register_script(_CLAIM)
        self._commit = server.register_script(_COMMIT)

    def keep(self, dataset: str, relpath: str, rows: list[dict]) -> list[dict]:
        """The rows this worker may publish as `relpath`: those no other worker
        claimed first."""
        if not rows:
            return rows
        key = CLAIM_KEYS[dataset]
        held = self._claim(keys=[self.keys.lost, self.keys.workers, self.keys.claims(dataset)],
                           args=[self.worker, relpath, *(key(row) for row in rows)])
        if held is None:
            raise self._lost()
        return [rows[i] for i in held]

    def commit(self, relpath: str) -> None:
        """Mark `relpath` as being published; raises WorkerLost if the
        coordinator has declared this worker lost (its rows are others' now)."""
        if not self._commit(keys=[self.keys.lost, self.keys.workers, self.keys.committed],
                            args=[self.worker, relpath]):
            raise self._lost()

    def _lost(self) -> "WorkerLost":
        return WorkerLost(f"worker {self.worker} of run {self.keys.run_id} was declared lost by the "
                          f"coordinator (no heartbeat for NEWS_WORKER_TIMEOUT seconds), or the run "
                          f"is over; it publishes nothing more: the other workers fetch the pages "
                          f"it holds again, or the next run does")


class WorkerLost(Exception):
    """This worker was declared lost while it was still running (paused, cut off)."""


def fence_out(server, keys: RunKeys, worker: str) -> set[str]:
    """Declare `worker` lost: from now on it can commit no file. Returns the
    files of the run committed so far (a worker's later commits are refused,
    so this is every file it may still publish)."""
    server.sadd(keys.lost, worker)
    return {name.decode() for name in server.smembers(keys.committed)}


def release_claims(server, keys: RunKeys, worker: str, may_appear: Callable[[str], bool]) -> int:
    """Release the claims a lost worker holds on rows of files that will never
    appear in the archive (`may_appear(relpath)` false), so the worker that
    fetches those pages again may archive them. Returns how many were released."""
    mine = f"{worker} "
    released = 0
    for dataset in CLAIM_KEYS:
        key = keys.claims(dataset)
        appears: dict[str, bool] = {}
        orphans = []
        for field, value in server.hscan_iter(key, count=1000):
            value = value.decode()
            if not value.startswith(mine):
                continue
            relpath = value[len(mine):]
            if relpath not in appears:
                appears[relpath] = may_appear(relpath)
            if not appears[relpath]:
                orphans.append(field)
        if orphans:
            released += server.hdel(key, *orphans)
    return released


class ClaimingDatasetWriter(ParquetDatasetWriter):
    def __init__(self, *args: Any, claims: Claims, on_dropped: Callable[[str, dict], None],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.claims = claims
        self.on_dropped = on_dropped

    def rows_to_publish(self, relpath: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = self.claims.keep(self.dataset, relpath, rows)
        kept_ids = {id(row) for row in kept}
        for row in rows:
            if id(row) not in kept_ids:
                self.on_dropped(self.dataset, row)
        return kept

    def commit(self, relpath: str) -> None:
        self.claims.commit(relpath)


class DistributedWriter(ParquetArchiveWriter):
    """The archive writer of a worker: files named `<run_id>-<worker>-<n>`, rows
    claimed before they are published, and leases released after."""

    def __init__(self, *args: Any, claims: Claims, worker: "WorkerExtension", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.claims = claims
        self.worker = worker
        self.lost: WorkerLost | None = None
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler) -> "DistributedWriter":
        settings = crawler.settings
        worker = WorkerExtension.of(crawler)
        if worker is None:
            raise NotConfigured("DistributedWriter runs only in a distributed worker")
        writer = cls(settings.get("ARCHIVE_URI"), crawler.spider.source.key,
                     settings["NEWS_RUN_ID"], crawler.stats,
                     settings.getint("ARCHIVE_MAX_BUFFERED_ROWS"),
                     settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR,
                     row_group_rows=settings.getint("ARCHIVE_ROW_GROUP_ROWS"),
                     claims=Claims(worker.server, worker.keys, worker.worker_id), worker=worker)
        crawler.signals.connect(writer.item_dropped, signal=signals.item_dropped)
        writer._crawler = crawler   # the raw WARC files are published before the rows
        worker.writer = writer
        return writer

    def open_spider(self) -> None:
        super().open_spider()
        # Only `make crawl` uploads its machine's spool before a run; a machine
        # that only runs workers uploads when its worker joins, the rows
        # claimed as the run's own.
        spool = self.articles.spool
        try:
            uploaded = spool.upload(self.articles.archive, self.source,
                                    self.worker.crawler.spider.ledger, self.known_rejections,
                                    keep=self.claims.keep, commit=self.claims.commit,
                                    skip_run=self.run_id)
        except (ArchiveError, WorkerLost) as exc:
            logger.warning("files spooled on this machine by an earlier run stay at %s: %s",
                           spool.root, exc)
            return
        for relpath, moved_to, reason in uploaded.damaged:
            # An error: counted in the stats the coordinator merges, it makes the run partial.
            logger.error("a file spooled by an earlier run cannot be read (%s); it is moved to %s "
                         "and not uploaded as %s", reason, moved_to, relpath)
        if uploaded.files:
            self.stats.set_value("archive/spooled_files_uploaded", uploaded.files)
            logger.info("published %d files an earlier run spooled at %s (%d rows left out: "
                        "archived or claimed since)", uploaded.files, spool.root, uploaded.rows_left_out)

    def dataset_writer(self, *args: Any, **kwargs: Any) -> ClaimingDatasetWriter:
        # Buffers fill up together; checkpoint() flushes both, then releases leases.
        kwargs["max_buffered_rows"] = sys.maxsize
        return ClaimingDatasetWriter(*args, claims=self.claims, on_dropped=self._claimed_elsewhere,
                                     **kwargs)

    def _claimed_elsewhere(self, dataset: str, row: dict) -> None:
        self.stats.inc_value(f"archive/{dataset}_claimed_by_another_worker")
        if dataset == "articles" and row.get("version", 1) > 1:
            self.stats.inc_value("archive/versions_written", -1)

    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.lost is None:
            self._fenced(super().process_item, record)
            self._maybe_checkpoint()
        return record

    def item_dropped(self, *args: Any, **kwargs: Any) -> None:
        if self.lost is None:
            self._fenced(super().item_dropped, *args, **kwargs)
            self._maybe_checkpoint()

    def _maybe_checkpoint(self) -> None:
        if self.articles.buffered_rows + self.rejects.buffered_rows >= self.max_buffered_rows:
            self.checkpoint(busy=self.worker.busy_requests())

    def checkpoint(self, busy: set[Request] | None) -> None:
        """Publish what is buffered, then release the leases of the requests that
        had settled before: their outcome is in the archive now."""
        if self.lost is not None:
            return
        queue = self.worker.leases()
        settled = queue.settled(busy) if queue is not None else []
        for writer in (self.articles, self.rejects):
            self._fenced(writer.flush)
        if self.lost is not None:
            return
        if queue is not None:
            queue.release(settled)
        for writer in (self.articles, self.rejects):
            self.count_published(writer)
        self.worker.report_progress()

    def _fenced(self, step: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `step`; if it finds this worker declared lost, drop everything
        unpublished and stop the crawl (its requests are back in the queue)."""
        try:
            step(*args, **kwargs)
        except WorkerLost as exc:
            self.lost = exc
            dropped = sum(writer.discard() for writer in (self.articles, self.rejects))
            self.stats.set_value("archive/rows_dropped_worker_lost", dropped)
            logger.error("%s (%d rows not published)", exc, dropped)
            if self._crawler is not None and not self._closing:
                from scrapy.utils.defer import deferred_from_coro
                deferred_from_coro(self._crawler.engine.close_spider_async(reason="worker_lost"))

    def close_spider(self) -> None:
        self._closing = True
        if self.lost is None:
            self._fenced(super().close_spider)
        if self.lost is not None:
            for writer in (self.articles, self.rejects):
                if writer is not None:
                    writer.close()
            return          # (its raw WARC files are published when the spider closes)
        queue = self.worker.leases()
        if queue is not None:
            queue.release(queue.settled(set()))


# --- the worker --------------------------------------------------------------------

class DistributedNewsSpider(NewsSpider):
    """The news spider of a worker: its entry points are in the run's queue,
    seeded once by the coordinator."""

    async def start(self):
        return
        yield


class WorkerExtension:
    """Keeps a worker in the run while the crawl is not complete (an empty queue
    may fill again from another worker's sitemap), and publishes its buffered
    rows whenever it is idle, so its leases are released."""

    def __init__(self, crawler, server, keys: RunKeys, worker_id: str,
                 key_ttl: int = DEFAULT_KEY_TTL):
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.key_ttl = key_ttl
        self.scheduler: RunScheduler | None = None
        self.writer: DistributedWriter | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "WorkerExtension":
        settings = crawler.settings
        if not settings.get("NEWS_DISTRIBUTED_RUN_ID"):
            raise NotConfigured("not a distributed worker")
        ext = cls(crawler, connection.from_settings(settings),
                  RunKeys(settings["NEWS_SOURCE"], settings["NEWS_DISTRIBUTED_RUN_ID"]),
                  settings["NEWS_WORKER_ID"], settings.getint("NEWS_REDIS_KEY_TTL", DEFAULT_KEY_TTL))
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        ext.progress_interval = min(5.0, settings.getint("NEWS_WORKER_TIMEOUT",
                                                         DEFAULT_WORKER_TIMEOUT) / 3)
        return ext

    def spider_opened(self) -> None:
        from twisted.internet import task
        self._progress = task.LoopingCall(self.report_progress)
        self._progress.start(self.progress_interval, now=False)

    def spider_closed(self) -> None:
        if getattr(self, "_progress", None) and self._progress.running:
            self._progress.stop()

    def report_progress(self) -> None:
        """This worker's counts so far: what the manifest keeps of it if it dies."""
        hset_expiring(self.server, self.keys.progress, self.worker_id,
                      json.dumps(_jsonable(self.crawler.stats.get_stats()), default=str), self.key_ttl)

    @staticmethod
    def of(crawler) -> "WorkerExtension | None":
        for ext in getattr(crawler.extensions, "middlewares", ()):
            if isinstance(ext, WorkerExtension):
                return ext
        return None

    def leases(self) -> LeasingQueue | None:
        # (`is not None`: scrapy-redis' scheduler and queue have __len__, empty is falsy)
        return self.scheduler.queue if self.scheduler is not None else None

    def busy_requests(self) -> set[Request] | None:
        """Requests this worker is downloading or processing; None if Scrapy's
        internals moved (then leases are released only when the worker is idle)."""
        engine = self.crawler.engine
        try:
            return set(engine.downloader.active) | set(engine.scraper.slot.active)
        except AttributeError:
            return None

    def spider_idle(self) -> None:
        if self.writer is not None:
            self.writer.checkpoint(busy=set())
        if ((self.writer is not None and self.writer.lost is not None)
                or self.server.sismember(self.keys.lost, self.worker_id)):
            raise CloseSpider("worker_lost")     # its queue pops nothing more
        if self.server.exists(self.keys.done):
            return
        if not self.server.exists(self.keys.coordinator):
            logger.warning("the coordinator of run %s is gone (no heartbeat); this worker stops",
                           self.keys.run_id)
            return
        raise DontCloseSpider


def worker_settings(settings, keys: RunKeys, worker_id: str, redis_url: str) -> dict[str, Any]:
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines[DISTRIBUTED_WRITER] = pipelines.pop(WRITER, 400)
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.RunScheduler",
        # The run's queue is in Redis, not in a worker's memory; an entry point
        # held back in a worker would be lost with it.
        "DISCOVERY_QUEUE_LOW_WATER": 0,
        "NEWS_DISTRIBUTED_RUN_ID": keys.run_id,
        "NEWS_WORKER_ID": worker_id,
        # Names every file the worker writes (Parquet, WARC): unique per worker.
        "NEWS_RUN_ID": f"{keys.run_id}-{worker_id}",
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.distributed.WorkerExtension": 0},
        "DOWNLOAD_HANDLERS": {"http": "crawler.distributed.ClusterThrottledHTTPHandler",
                              "https": "crawler.distributed.ClusterThrottledHTTPHandler"},
    }


def _jsonable(stats: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()
            if isinstance(v, (int, float, str, datetime))}


class Heartbeat:
    """The worker's `alive` key, refreshed from a thread (a page that keeps the
    reactor busy for a while does not make the worker look dead)."""

    def __init__(self, server, key: str, timeout: int):
        self.server, self.key, self.timeout = server, key, timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="worker-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self.server.set(self.key, "1", ex=self.timeout)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.timeout / 3):
            try:
                self.server.set(self.key, "1", ex=self.timeout)
            except Exception:  # a missed beat is retried; the timeout allows two
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.delete(self.key)


def find_run(server, source: str, wait: float) -> str | None:
    deadline = time.monotonic() + wait
    while True:
        run_id = server.get(RunKeys.current(source))
        if run_id:
            return run_id.decode()
        if time.monotonic() >= deadline:
            return None
        time.sleep(1)


def work(source: str, redis_url: str, run_id: str | None = None, worker_id: str | None = None,
         wait: float = 120, extract_workers: int | None = None) -> int:
    """Join the source's run (or `run_id`), crawl until it is complete, report."""
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.run import EXIT_ARCHIVE, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_PARTIAL, crawl_failure

    try:
        server = redis_client(redis_url)
        server.ping()
        run_id = run_id or find_run(server, source, wait)
    except Exception as exc:  # redis.exceptions.ConnectionError and friends
        print(f"error: REDIS_URL {redacted(redis_url)}: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    if run_id is None:
        print(f"error: no run of {source!r} to join at {redacted(redis_url)} (waited {wait:.0f} s); "
              f"start one with `make crawl SOURCE={source} REDIS_URL=...`", file=sys.stderr)
        return EXIT_NOTHING_FETCHED
    keys = RunKeys(source, run_id)
    raw = server.get(keys.config)
    if raw is None or server.exists(keys.done) or not server.exists(keys.coordinator):
        print(f"worker: run {run_id} of {source!r} is over; nothing to do", file=sys.stderr)
        return EXIT_OK
    config = json.loads(raw)
    worker_id = worker_id or secrets.token_hex(3)

    settings = get_project_settings()
    if extract_workers is not None:
        settings.set("EXTRACT_WORKERS", extract_workers, priority="cmdline")
    # The spool is this machine's: its own SPOOL_DIR, never the coordinator's.
    settings.setdict({k: v for k, v in config["overrides"].items() if k != "SPOOL_DIR"},
                     priority="cmdline")
    if os.environ.get("SPOOL_DIR"):
        settings.set("SPOOL_DIR", os.environ["SPOOL_DIR"], priority="cmdline")
    timeout = settings.getint("NEWS_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
    settings.setdict({"NEWS_SOURCE": source, "NEWS_START_URLS": config["start_urls"],
                      "ARCHIVE_URI": config["archive_uri"],
                      **worker_settings(settings, keys, worker_id, redis_url)}, priority="cmdline")

    key_ttl = settings.getint("NEWS_REDIS_KEY_TTL", DEFAULT_KEY_TTL)
    heartbeat = Heartbeat(server, keys.alive(worker_id), timeout).start()
    hset_expiring(server, keys.workers, worker_id, json.dumps(
        {"host": socket.gethostname(), "pid": os.getpid(),
         "started_at": datetime.now(timezone.utc).isoformat()}), key_ttl)
    try:
        process = CrawlerProcess(settings)
        crawler = Crawler(DistributedNewsSpider, settings, init_reactor=True)
        failed: list[BaseException] = []
        process.crawl(crawler).addErrback(lambda failure: failed.append(crawl_failure(failure)))
        process.start()
        spider = crawler.spider
        if spider is None:
            # Its ledger could not be read: the coordinator will find it silent, and lost.
            print(f"error: worker {worker_id} of run {run_id} could not start: {failed[0]}",
                  file=sys.stderr)
            return EXIT_ARCHIVE if isinstance(failed[0], ArchiveError) else EXIT_NOTHING_FETCHED
        result = {"stats": _jsonable(crawler.stats.get_stats()),
                  "entry_points": spider.entry_points_report,
                  "state": spider.state.changes() if spider.state else {}}
        hset_expiring(server, keys.results, worker_id, json.dumps(result, default=str), key_ttl)
    finally:
        heartbeat.stop()
    stats = result["stats"]
    print(f"worker {worker_id} of run {run_id}: pages fetched={stats.get('downloader/response_count', 0)} "
          f"articles written={stats.get('archive/articles_written', 0)}", file=sys.stderr)
    if stats.get("finish_reason") == "worker_lost":
        print(f"error: worker {worker_id} was declared lost by the coordinator of run {run_id} "
              f"(silent for NEWS_WORKER_TIMEOUT={timeout} s) and stopped; "
              f"{stats.get('archive/rows_dropped_worker_lost', 0)} rows it held were left to the "
              f"other workers", file=sys.stderr)
        return EXIT_PARTIAL
    if failed:
        print(f"error: worker {worker_id} of run {run_id} stopped: {failed[0]}", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


# --- the coordinator ---------------------------------------------------------------

@dataclass
class LocalWorker:
    worker_id: str
    process: subprocess.Popen


def merge_entry_points(reports: list[list[dict]]) -> list[dict]:
    """One entry per URL: what the worker that discovered it and the one that
    fetched it each know."""
    merged: dict[str, dict] = {}
    for report in reports:
        for entry in report:
            into = merged.setdefault(entry["url"], dict(entry))
            for key, value in entry.items():
                if value not in (None, False, 0) and into.get(key) in (None, False, 0):
                    into[key] = value
    return list(merged.values())


def merge_stats(parts: list[dict]) -> dict:
    """Counts summed over the coordinator and the workers; the run started with
    the first and finished with the last."""
    total: dict[str, Any] = {}
    for stats in parts:
        for key, value in stats.items():
            if key in ("start_time", "finish_time"):
                when = datetime.fromisoformat(value) if isinstance(value, str) else value
                pick = min if key == "start_time" else max
                total[key] = pick(total[key], when) if key in total else when
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                if key.endswith("max") or key == "elapsed_time_seconds":
                    total[key] = max(total.get(key, 0), value)
                else:
                    total[key] = total.get(key, 0) + value
            else:
                total.setdefault(key, value)
    return total


class Coordinator:
    def __init__(self, server, keys: RunKeys, redis_url: str, settings, archive):
        self.server = server
        self.archive = archive
        self.keys = keys
        self.redis_url = redis_url
        self.worker_timeout = settings.getint("NEWS_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
        self.key_ttl = settings.getint("NEWS_REDIS_KEY_TTL", DEFAULT_KEY_TTL)
        self.no_worker_timeout = settings.getint("NEWS_NO_WORKER_TIMEOUT", DEFAULT_NO_WORKER_TIMEOUT)
        self.local: list[LocalWorker] = []
        self.lost: dict[str, int] = {}      # worker -> requests it held, requeued
        self.spool_dir = settings.get("SPOOL_DIR") or DEFAULT_SPOOL_DIR   # local workers' spool
        self._last_touch = 0.0

    def beat(self) -> None:
        self.server.set(self.keys.coordinator, "1", ex=self.worker_timeout)

    def publish_run(self, config: dict) -> None:
        self.beat()
        self.server.set(self.keys.config, json.dumps(config), ex=self.key_ttl)
        self.server.set(RunKeys.current(self.keys.source), self.keys.run_id, ex=self.key_ttl)

    def seed(self, spider: NewsSpider) -> int:
        """The entry points, once, into the run's queue (and its duplicate filter)."""
        queue = LeasingQueue(self.server, spider, self.keys)
        dupefilter = RunDupeFilter(self.server, self.keys.dupefilter)
        seeded = 0
        for url in spider.source.entry_points:
            request = spider._entry_point_request(url, discovered_from=None)
            if not dupefilter.request_seen(request):
                queue.push(request)
                seeded += 1
        self.touch(force=True)
        return seeded

    def start_local(self, source: str, count: int, extract_workers: int | None = None) -> None:
        env = {**os.environ, "REDIS_URL": self.redis_url}
        share = ["--extract-workers", str(extract_workers)] if extract_workers is not None else []
        for _ in range(count):
            worker_id = secrets.token_hex(3)
            process = subprocess.Popen(
                [sys.executable, "-m", "crawler.distributed", "worker", source,
                 "--run", self.keys.run_id, "--worker-id", worker_id, *share], env=env)
            self.local.append(LocalWorker(worker_id, process))

    def touch(self, force: bool = False) -> None:
        """Keep the run's keys from expiring while it runs."""
        if not force and time.monotonic() - self._last_touch < 30:
            return
        self._last_touch = time.monotonic()
        self.server.expire(RunKeys.current(self.keys.source), self.key_ttl)
        for key in self.server.scan_iter(match=f"{self.keys.prefix}:*", count=1000):
            self.server.expire(key, self.key_ttl)

    def registered(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.server.hgetall(self.keys.workers).items()}

    def finished(self) -> set[str]:
        return {k.decode() for k in self.server.hkeys(self.keys.results)}

    def _lose(self, worker: str, why: str, exited: bool = False) -> None:
        # Fenced out first, then claims: once its requests are back in the queue,
        # another worker may fetch them and must be free to archive what this one
        # will never publish.
        committed = fence_out(self.server, self.keys, worker)
        if exited:
            # Its process is gone: a file of it appears only if it is published
            # already or waits in this machine's spool for the next run.
            spool = Spool(self.spool_dir, self.archive.uri)

            def may_appear(relpath: str) -> bool:
                return self.archive.exists(relpath) or (spool.root / relpath).is_file()
        else:
            # Silent, maybe still running: it may yet publish what it committed.
            may_appear = committed.__contains__
        try:
            released = release_claims(self.server, self.keys, worker, may_appear)
            claims = f"{released} rows it claimed but will not publish are free again"
        except Exception as exc:  # the archive cannot be read: the next run fetches them
            claims = (f"its unpublished claims stay (ARCHIVE_URI {self.archive.uri}: {exc}); "
                      f"the next run fetches what it did not publish")
        held = requeue(self.server, self.keys, worker)
        self.lost[worker] = held
        print(f"warning: worker {worker} of run {self.keys.run_id} {why}; "
              f"{held} requests it held are back in the queue; {claims}", file=sys.stderr)

    def watch(self) -> bool:
        """Until every worker has finished or is lost; False if the run was given up."""
        last_work = time.monotonic()
        done = False
        while True:
            self.beat()
            self.touch()
            # Exits first, reports after: a worker reports, then exits, so one
            # seen gone has its report in `finished` (the other order took a
            # worker that finished between the two looks for lost).
            exited = [local for local in self.local if local.process.poll() is not None]
            finished = self.finished()
            registered = self.registered()
            for local in exited:
                if local.worker_id in finished or local.worker_id in self.lost:
                    continue
                if local.process.returncode == 0 and local.worker_id not in registered:
                    # Started after the crawl was complete: it found the run over and
                    # left without joining ("nothing to do"); it held nothing.
                    continue
                self._lose(local.worker_id, f"exited with status {local.process.returncode}",
                           exited=True)
            for worker in registered:
                if (worker not in finished and worker not in self.lost
                        and not self.server.exists(self.keys.alive(worker))
                        # A worker reports, then stops its heartbeat: one without a
                        # heartbeat may have reported since `finished` was read.
                        and not self.server.hexists(self.keys.results, worker)):
                    self._lose(worker, f"sent no heartbeat for {self.worker_timeout} s")
            active = [w for w in registered if w not in finished and w not in self.lost]
            starting = [l for l in self.local if l.worker_id not in registered and l.process.poll() is None]
            if active or starting:
                last_work = time.monotonic()
            if not done and crawl_complete(self.server, self.keys):
                self.server.set(self.keys.done, "1", ex=self.key_ttl)
                done = True
            if done and not active and not starting:
                return True
            # All local workers gone: remote ones have a worker timeout to show up.
            patience = (self.worker_timeout if self.local and not active and not starting
                        else self.no_worker_timeout)
            if not done and time.monotonic() - last_work > patience:
                print(f"error: run {self.keys.run_id}: no worker for {patience} s; "
                      f"giving up (the next run starts again from the archive)", file=sys.stderr)
                return False
            time.sleep(POLL_INTERVAL)

    def results(self) -> dict[str, dict]:
        """Each worker's final report; for a lost worker, its last progress."""
        results = {k.decode(): json.loads(v) for k, v in self.server.hgetall(self.keys.results).items()}
        for worker, stats in self.server.hgetall(self.keys.progress).items():
            results.setdefault(worker.decode(), {"stats": json.loads(stats), "entry_points": [],
                                                 "state": {}})
        return results

    def cleanup(self) -> None:
        for local in self.local:
            try:
                local.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                local.process.kill()
        keys = list(self.server.scan_iter(match=f"{self.keys.prefix}:*", count=1000))
        if keys:
            self.server.delete(*keys)
        current = RunKeys.current(self.keys.source)
        if self.server.get(current) == self.keys.run_id.encode():
            self.server.delete(current)


def coordinate(source_key: str, start_urls: list[str], archive, overrides: dict[str, str],
               redis_url: str, workers: int) -> int:
    """One distributed run of a source: what `make crawl SOURCE=... REDIS_URL=...` does."""
    from scrapy.utils.project import get_project_settings

    from crawler.run import (EXIT_ARCHIVE, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_PARTIAL,
                             RunSummary, take_run_lock)
    from crawler.sources import load_source
    from pipelines.ledger import CrawlState, Ledger
    from pipelines.storage import ArchiveError
    from pipelines.writer import new_run_id

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    try:
        server = redis_client(redis_url)
        server.ping()
    except Exception as exc:
        print(f"error: REDIS_URL {redacted(redis_url)}: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    run_id = new_run_id()
    lock, lock_status, uploaded = take_run_lock(archive, source_key, run_id, settings.get("SPOOL_DIR"))
    if lock is None:
        return lock_status
    keys = RunKeys(source_key, run_id)
    coordinator = Coordinator(server, keys, redis_url, settings, archive)
    started_at = datetime.now(timezone.utc)
    try:
        source = load_source(source_key)
        if start_urls:
            source = source.with_entry_points(start_urls)
        state = CrawlState(archive, source_key)
        seeder = DistributedNewsSpider(source, Ledger(), state)
        coordinator.publish_run({"archive_uri": archive.uri, "start_urls": start_urls,
                                 "overrides": overrides})
        coordinator.seed(seeder)
        # Local workers share this machine's cores: each extracts in its share of
        # them, unless EXTRACT_WORKERS says otherwise.
        share = (None if settings.get("EXTRACT_WORKERS") is not None or not workers
                 else max(1, (os.cpu_count() or 1) // workers))
        coordinator.start_local(source_key, workers, share)
        print(f"run {run_id} source={source_key}: {len(source.entry_points)} entry points queued at "
              f"{redacted(redis_url)}; {workers} local workers; more join with "
              f"`make worker SOURCE={source_key} REDIS_URL=...`", file=sys.stderr)
        completed = coordinator.watch()
        results = coordinator.results()
        own = {"start_time": started_at, "finish_time": datetime.now(timezone.utc),
               "discovery/entry_points": len(source.entry_points),
               "finish_reason": "finished" if completed and not coordinator.lost else "workers_lost"}
        stats = merge_stats([own] + [r["stats"] for r in results.values()])
        summary = RunSummary(source_key, run_id, stats, merge_entry_points(
            [seeder.entry_points_report] + [r["entry_points"] for r in results.values()]))
        print(summary.report(), file=sys.stderr)
        status = summary.exit_status()
        if status == EXIT_NOTHING_FETCHED:
            print(f"error: {summary.nothing_fetched_reason()}", file=sys.stderr)
        if not completed or coordinator.lost:
            # What finished is archived, but a lost worker's counts stop at its last
            # progress report (so "nothing fetched" cannot be concluded either), and
            # state is not saved: the next run re-reads every listing.
            status = EXIT_PARTIAL
        registered = coordinator.registered()
        worker_report = [
            {"worker_id": w, **info,
             "status": "lost" if w in coordinator.lost else "finished" if w in results else "unknown",
             "requeued": coordinator.lost.get(w, 0),
             "pages_fetched": results.get(w, {}).get("stats", {}).get("downloader/response_count", 0),
             "articles_written": results.get(w, {}).get("stats", {}).get("archive/articles_written", 0)}
            for w, info in sorted(registered.items())]
        if status == EXIT_OK:
            for result in results.values():
                state.merge_changes(result["state"])
            state.save()
        recovered = lock.recovered_from
        manifest = summary.manifest(
            archive.uri, status, spool_uploaded=asdict(uploaded),
            lock_recovered_from=recovered.run_id if recovered else None,
            distributed={"redis_url": redacted(redis_url), "workers": worker_report,
                         "articles_claimed_by_another_worker":
                             int(stats.get("archive/articles_claimed_by_another_worker", 0))})
        archive.publish(f"_runs/{source_key}/{run_id}.json",
                        json.dumps(manifest, indent=1, default=str).encode())
        return status
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ARCHIVE
    finally:
        try:
            coordinator.cleanup()
        finally:
            lock.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.distributed")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="join the run of SOURCE in Redis (REDIS_URL)")
    worker.add_argument("source")
    worker.add_argument("--run", help="run id (default: the source's run in progress)")
    worker.add_argument("--worker-id", help=argparse.SUPPRESS)
    worker.add_argument("--wait", type=float, default=120,
                        help="seconds to wait for a run to join (default 120)")
    worker.add_argument("--extract-workers", type=int,
                        help="processes extracting pages (default: one per core)")
    args = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("error: REDIS_URL is required, e.g. REDIS_URL=redis://10.0.0.5:6379/0", file=sys.stderr)
        return 2
    return work(args.source, redis_url, args.run, args.worker_id, args.wait, args.extract_workers)

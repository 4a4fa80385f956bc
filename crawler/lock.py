"""One run per source at a time, for local and S3 archives alike.

The lock is an object in the archive, ``_locks/<source>.lock``, created only
if absent and complete with its content (a finished file hard-linked into
place locally, ``If-None-Match: *`` on S3), so two machines
sharing a bucket exclude each other as two cron jobs on one machine do. It
holds who took it and when, and a heartbeat the holder refreshes while it
runs. A lock is stale, and is taken over, when its heartbeat is older than
``stale_after`` or when its holder is a process of this host that no longer
exists (a run killed with SIGKILL).

Runs that find the same stale lock at the same moment claim its takeover
first: a claim is an object named after the stale lock's content, created
only if absent like the lock, so one run takes the lock over and the others
stop as if it were held. A claim whose run died before it finished is stale
like a lock, and the next claim (numbered on) supersedes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipelines.storage import Archive, ArchiveError

HEARTBEAT_INTERVAL = timedelta(seconds=60)
# A run refreshes its heartbeat every minute; ten silent minutes means it is gone.
DEFAULT_STALE_AFTER = timedelta(minutes=10)


class LockHeld(RuntimeError):
    """Another run holds the lock; the message names it and since when."""


@dataclass
class LockInfo:
    run_id: str
    host: str
    pid: int
    since: datetime
    heartbeat: datetime

    def to_json(self) -> bytes:
        return json.dumps({"run_id": self.run_id, "host": self.host, "pid": self.pid,
                           "since": self.since.isoformat(),
                           "heartbeat": self.heartbeat.isoformat()}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "LockInfo | None":
        try:
            raw = json.loads(data)
            return cls(raw["run_id"], raw["host"], int(raw["pid"]),
                       datetime.fromisoformat(raw["since"]),
                       datetime.fromisoformat(raw["heartbeat"]))
        except (ValueError, KeyError, TypeError):
            return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(info: LockInfo | None, now: datetime, stale_after: timedelta,
             host: str | None = None) -> bool:
    """A lock nobody can be holding any more (or that cannot be read)."""
    if info is None:
        return True
    if now - info.heartbeat > stale_after:
        return True
    return info.host == (host or socket.gethostname()) and not _process_exists(info.pid)


class RunLock:
    def __init__(self, archive: Archive, source: str, run_id: str,
                 stale_after: timedelta = DEFAULT_STALE_AFTER):
        self.archive = archive
        self.relpath = f"_locks/{source}.lock"
        self.source = source
        self.run_id = run_id
        self.stale_after = stale_after
        self.recovered_from: LockInfo | None = None
        self.replaced_unreadable = False    # the lock taken over said nothing we could read
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._info: LockInfo | None = None

    def acquire(self) -> None:
        now = datetime.now(timezone.utc)
        self._info = LockInfo(self.run_id, socket.gethostname(), os.getpid(), now, now)
        if self.archive.create_exclusive(self.relpath, self._info.to_json()):
            return self._start_heartbeat()
        held = self.archive.read_bytes(self.relpath)
        holder = LockInfo.from_json(held) if held is not None else None
        if held is not None and not is_stale(holder, now, self.stale_after):
            raise LockHeld(
                f"source {self.source!r} is locked by run {holder.run_id} "
                f"(host {holder.host}, pid {holder.pid}) since {holder.since:%Y-%m-%d %H:%M:%S}Z, "
                f"last heartbeat {holder.heartbeat:%H:%M:%S}Z; lock: {self.archive.uri}/{self.relpath}")
        # Stale (or gone since): the holder is gone. Claim the takeover, then
        # replace its lock, unless another run has replaced it meanwhile.
        claims = self._claim_takeover(held, now) if held is not None else []
        try:
            if held is not None and self.archive.read_bytes(self.relpath) == held:
                self.archive.delete(self.relpath)
            if not self.archive.create_exclusive(self.relpath, self._info.to_json()):
                raise LockHeld(f"source {self.source!r}: another run took the stale lock "
                               f"{self.archive.uri}/{self.relpath} first")
        finally:
            for claim in claims:
                self.archive.delete(claim)
        self.recovered_from = holder
        self.replaced_unreadable = held is not None and holder is None
        self._start_heartbeat()

    def _claim_takeover(self, stale: bytes, now: datetime) -> list[str]:
        """Claim the takeover of the stale lock whose content is `stale`: the
        claims made (ours last; the caller deletes them), or LockHeld when a
        live run claimed it first."""
        name = f"{self.relpath}.takeover-{hashlib.sha256(stale).hexdigest()[:16]}"
        claims: list[str] = []
        while True:
            claims.append(f"{name}-{len(claims)}")
            if self.archive.create_exclusive(claims[-1], self._info.to_json()):
                return claims
            held = self.archive.read_bytes(claims[-1])
            claimant = LockInfo.from_json(held) if held is not None else None
            if held is None or not is_stale(claimant, now, self.stale_after):
                # Claimed by a live run, or taken over and cleared already.
                raise LockHeld(f"source {self.source!r}: another run is taking over the stale "
                               f"lock {self.archive.uri}/{self.relpath}")

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="run-lock-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_INTERVAL.total_seconds()):
            self._info.heartbeat = datetime.now(timezone.utc)
            try:
                self.archive.publish(self.relpath, self._info.to_json())
            except Exception:  # a missed beat is retried; staleness allows ten
                pass

    def release(self) -> None:
        """Remove our lock. If the archive cannot be reached the lock stays, and
        the next run recovers it as stale (dead pid, or heartbeat too old)."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        try:
            current = self.archive.read_bytes(self.relpath)
            holder = LockInfo.from_json(current) if current else None
            if holder and holder.run_id == self.run_id:
                self.archive.delete(self.relpath)
        except ArchiveError as exc:
            print(f"warning: could not release the lock: {exc}", file=sys.stderr)

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

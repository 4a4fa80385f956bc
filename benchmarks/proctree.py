"""Measuring a command and every process it starts: wall clock, CPU seconds of
the whole tree (workers included), peak memory (the main process's RSS, the
tree's summed RSS and summed PSS: PSS shares copy-on-write pages fairly among
the processes that share them)."""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphans of our children (extraction workers, multiprocessing's resource
    tracker) become our children, so their CPU time reaches RUSAGE_CHILDREN
    once reaped."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    return children


def descendants(pid: int) -> list[int]:
    children, found, todo = _children_map(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def own_rss_mb() -> float:
    """This process's RSS now, in MB."""
    return proc_kb("/proc/self/status", b"VmRSS:") / 1024


def proc_kb(path: str, key: bytes) -> int:
    """The figure in kB on the line starting with `key` of a /proc file
    (`VmRSS:` of status, `Pss:` of smaps_rollup); 0 if the process is gone."""
    try:
        with open(path, "rb") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Peaks:
    main_rss_mb: float = 0.0
    tree_rss_mb: float = 0.0
    tree_pss_mb: float = 0.0
    processes: int = 0
    samples: list[tuple[float, float, float]] = field(default_factory=list)


class Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peaks = pid, interval, Peaks()
        self._done = threading.Event()
        self._start = time.monotonic()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            pids = descendants(self.pid)
            main = proc_kb(f"/proc/{self.pid}/status", b"VmRSS:") / 1024
            rss = sum(proc_kb(f"/proc/{p}/status", b"VmRSS:") for p in pids) / 1024
            pss = sum(proc_kb(f"/proc/{p}/smaps_rollup", b"Pss:") for p in pids) / 1024
            peaks = self.peaks
            peaks.main_rss_mb = max(peaks.main_rss_mb, main)
            peaks.tree_rss_mb = max(peaks.tree_rss_mb, rss)
            peaks.tree_pss_mb = max(peaks.tree_pss_mb, pss)
            peaks.processes = max(peaks.processes, len(pids))
            peaks.samples.append((round(time.monotonic() - self._start, 2), round(main, 1), round(pss, 1)))

    def stop(self) -> Peaks:
        self._done.set()
        self.join()
        return self.peaks


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float
    peaks: Peaks
    machine_busy_seconds: float = 0.0   # every process of the machine, ours included


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _reap_orphans(keep: set[int], timeout: float = 10.0) -> None:
    """Wait for the orphans the command left (they exit when their parent did)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [p for p in _children_map().get(os.getpid(), []) if p not in keep]
        if not mine:
            return
        for pid in mine:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.05)


def measure(command: list[str], *, env: dict[str, str], cwd: str, keep: set[int] = frozenset(),
            timeout: float | None = None) -> Measured:
    """Run `command`; `keep`: our other children (servers), not to be reaped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate(timeout=timeout)
    seconds = time.perf_counter() - start
    busy = machine_busy_seconds() - busy
    peaks = sampler.stop()
    _reap_orphans(set(keep))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(process.returncode, stdout, stderr, seconds, cpu, peaks, busy)

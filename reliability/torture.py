"""`make torture`: kill -9 at random moments, take the S3 store away mid-run,
then prove nothing was lost, duplicated or left partial.

Against a generated site of a few hundred articles and a SeaweedFS archive:
  1. ROUNDS crawls, each killed with SIGKILL at a random moment;
  2. one crawl during which the S3 server is stopped and later restarted;
  3. crawls until one finishes cleanly;
then it reads every object of the archive and reports articles expected vs
archived, duplicates (rows beyond one per article version), lost, partial or
unreadable files, and the peak memory of the crawls, including one over the
fault site's bombs (gzip bomb, entity bomb, oversize page).

    .venv/bin/python -m reliability.torture [--rounds 12] [--articles 300] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from tests.archive_readers import filesystem_and_root, read_dataset
from tests.conftest import REPO, clean_env
from tests.fault_site import FAULT_SETTINGS, FaultSite
from tests.fixture_site import FixtureSite
from tests.generated_site import generate_site
from tests.s3_server import S3TestServer

# Small files and a slow-ish site, so kills land between, during and after publishes.
TORTURE_SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false",
                    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "ARCHIVE_MAX_BUFFERED_ROWS=20",
                    "-s", "LOG_LEVEL=WARNING", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_TIMEOUT=5"]
SITE_DELAY = 0.03
NEW_PER_ROUND = 25


def crawl_command() -> list[str]:
    return [sys.executable, "-m", "crawler", "abc", *TORTURE_SETTINGS]


def peak_rss_mb_of_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def killed_run(env: dict, kill_after: float) -> dict:
    process = subprocess.Popen(crawl_command(), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        process.wait(timeout=kill_after)
        outcome = f"finished before the kill (exit {process.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        outcome = "killed"
    return {"kill_after_s": round(kill_after, 2), "outcome": outcome}


def run_to_completion(env: dict, attempts: int = 5) -> list[int]:
    codes = []
    for _ in range(attempts):
        result = subprocess.run(crawl_command(), cwd=REPO, env=env, capture_output=True, text=True)
        codes.append(result.returncode)
        if result.returncode == 0:
            break
    return codes


def audit(archive_uri: str, env: dict, expected_paths: list[str], base_url: str) -> dict:
    filesystem, root = filesystem_and_root(archive_uri, env)
    from pyarrow import fs as pafs
    infos = filesystem.get_file_info(pafs.FileSelector(root, recursive=True))
    files = [i.path for i in infos if i.type == pafs.FileType.File]
    partial, unreadable = [], []
    for path in files:
        name = path.rsplit("/", 1)[-1]
        if name.startswith(".") or name.endswith(".tmp"):
            partial.append(path)
        elif name.endswith(".parquet"):
            try:
                with filesystem.open_input_file(path) as handle:
                    pq.read_metadata(handle)
            except Exception:
                unreadable.append(path)
    articles = read_dataset(archive_uri, "articles", env)
    ids = articles.column("article_id").to_pylist()
    versions = articles.column("version").to_pylist()
    urls = {u[len(base_url):] for u in articles.column("url").to_pylist()}
    return {
        "files": len(files),
        "partial_files": partial,
        "unreadable_files": unreadable,
        "articles_expected": len(expected_paths),
        "articles_archived": len(set(ids)),
        "rows": len(ids),
        "duplicates": len(ids) - len(set(zip(ids, versions))),
        "lost": sorted(set(expected_paths) - urls)[:20],
        "lost_count": len(set(expected_paths) - urls),
    }


def bomb_memory(workdir: Path) -> float:
    """Peak RSS (MB) of a crawl over the fault site's bombs, run alone."""
    script = ("import resource, subprocess, sys; "
              "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    with FaultSite() as site:
        env = clean_env(ARCHIVE_URI=str(workdir / "bombs"), START_URLS=" ".join(
            site.url(p) for p in ("feed.rss", "bomb-feed.xml", "xxe-sitemap.xml")))
        result = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "crawler",
                                 "abc", *FAULT_SETTINGS], cwd=REPO, env=env, capture_output=True,
                                text=True)
    return float(result.stdout.strip() or "nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability.torture")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("reliability/torture-results.json"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="torture-") as tmp:
        workdir = Path(tmp)
        generate_site(workdir / "site", args.articles)
        server = S3TestServer(workdir / "seaweedfs").start()
        try:
            bucket = server.create_bucket("torture")
            archive_uri = f"s3://{bucket}/news"
            with FixtureSite(workdir / "site", delay=SITE_DELAY) as site:
                env = clean_env(ARCHIVE_URI=archive_uri, START_URLS=site.url("robots.txt"),
                                SPOOL_DIR=str(workdir / "spool"), **server.env)
                kills = []
                for round_no in range(args.rounds):
                    # The newsroom keeps publishing between cron runs, so every
                    # killed run has new work in flight.
                    expected = generate_site(workdir / "site", args.articles + NEW_PER_ROUND * (round_no + 1))
                    kills.append(killed_run(env, rng.uniform(0.8, 4.0)))
                print(f"{len(kills)} kill rounds: {sum(k['outcome'] == 'killed' for k in kills)} killed "
                      f"mid-run", flush=True)

                # The S3 store goes away mid-run and comes back.
                expected = generate_site(workdir / "site", args.articles + NEW_PER_ROUND * (args.rounds + 2))
                site.delay, fetched_before = 0.1, len(site.requests)
                outage = subprocess.Popen(crawl_command(), cwd=REPO, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                while len(site.requests) < fetched_before + 20 and outage.poll() is None:
                    time.sleep(0.05)
                server.stop()
                _, outage_err = outage.communicate(timeout=600)
                server.start()
                site.delay = SITE_DELAY
                outage_report = {"exit": outage.returncode,
                                 "spooled": [l for l in outage_err.splitlines() if "are spooled at" in l][-1:]}
                print(f"S3 outage run: exit {outage.returncode} {outage_report['spooled']}", flush=True)

                final_codes = run_to_completion(env)
                report = audit(archive_uri, env, expected, site.base_url)
        finally:
            server.stop()
        report.update(kill_rounds=kills, s3_outage=outage_report, final_runs_exit=final_codes,
                      peak_rss_mb_crawls=round(peak_rss_mb_of_children(), 1),
                      peak_rss_mb_bomb_crawl=round(bomb_memory(workdir), 1),
                      seconds=round(time.monotonic() - started, 1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    killed = sum(k["outcome"] == "killed" for k in report["kill_rounds"])
    print(f"kill -9 rounds: {len(report['kill_rounds'])} ({killed} killed mid-run); "
          f"S3 outage run exit {report['s3_outage']['exit']}; final runs {report['final_runs_exit']}")
    print(f"articles expected {report['articles_expected']}, archived {report['articles_archived']}, "
          f"duplicates {report['duplicates']}, lost {report['lost_count']}, "
          f"partial files {len(report['partial_files'])}, unreadable files {len(report['unreadable_files'])}")
    print(f"peak RSS: crawls {report['peak_rss_mb_crawls']} MB, bomb crawl {report['peak_rss_mb_bomb_crawl']} MB; "
          f"{report['seconds']} s; figures in {args.out}")
    ok = (report["duplicates"] == 0 and report["lost_count"] == 0 and not report["partial_files"]
          and not report["unreadable_files"] and report["final_runs_exit"][-1:] == [0])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

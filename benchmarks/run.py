"""`make bench [N=2000] [DATA=../shared/eval] [OUT=benchmarks/results.json]`

One run, same pages for every side:
  1. the site: N article pages (generated, or the evaluation pages with DATA),
     served from 127.0.0.1 without delay;
  2. plain: trafilatura.bare_extraction, default options, one core, in a fresh
     process, over the bytes the server sends; run before the first pipeline
     run and again after each, and each run's ratio is against the plain loops
     just before and just after it (this machine's speed drifts: the same loop
     took 25 and 36 ms a page twenty minutes apart);
  3. crawl to a local archive, then to SeaweedFS (S3): `python -m crawler`,
     the full pipeline (discovery, fetch, WARC, extract, validate, dedup, Parquet);
  4. reprocess: `python -m pipelines.reprocess` over the WARC files the local
     crawl wrote, into a fresh archive;
  5. ledger: Ledger.load over a synthetic archive of LEDGER_ROWS articles.

pages/s is wall clock of the whole command (start-up, discovery and the final
publish included) for N pages; CPU is every process of the command's tree.
Prints the figures, and last `ratio=<slowest pipeline pages/s ÷ plain pages/s>`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.proctree import Measured, become_subreaper, measure
from benchmarks.site import SITEMAP, build_site
from tests.conftest import REPO, clean_env
from tests.fixture_site import FixtureSite

CRAWL_SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false",
                  "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
                  "-s", "LOG_LEVEL=WARNING"]


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(mem_gb, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%MZ")}


def read_manifest(archive_uri: str, env: dict[str, str]) -> dict[str, Any]:
    from pipelines.storage import open_archive
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        archive = open_archive(archive_uri)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    from pyarrow import fs as pafs
    infos = archive.filesystem.get_file_info(pafs.FileSelector(archive.path("_runs"), recursive=True))
    paths = sorted(i.path for i in infos if i.type == pafs.FileType.File and i.path.endswith(".json"))
    with archive.filesystem.open_input_stream(paths[-1]) as handle:
        return json.loads(handle.read())


def summarize(name: str, m: Measured, pages: int, manifest: dict[str, Any],
              plain: dict[str, Any]) -> dict[str, Any]:
    perf = manifest.get("performance") or {}
    rate = pages / m.seconds
    cpu = m.cpu_seconds
    extract = perf.get("extract_cpu_s", 0.0)
    warc = perf.get("warc_cpu_s", 0.0)
    parquet = perf.get("parquet_cpu_s", 0.0)
    main = perf.get("main_cpu_s", 0.0)
    inline_extract = extract if not perf.get("extract_workers") else 0.0
    # fetch: the rest of the main process (download, spider, scheduling, validate, dedup).
    fetch = max(main - warc - parquet - inline_extract, 0.0)
    # other: pool start-up and inter-process traffic of the workers, the resource tracker.
    other = max(cpu - fetch - extract - warc - parquet, 0.0)
    shares = {"fetch": fetch / cpu, "extract": extract / cpu, "warc": warc / cpu,
              "parquet+s3": parquet / cpu, "other": other / cpu} if cpu else {}
    return with_ratios({
        "name": name, "exit": m.returncode, "pages": pages, "seconds": round(m.seconds, 2),
        "pages_per_s": round(rate, 2),
        "cpu_seconds": round(cpu, 2), "cpu_s_per_page": round(cpu / pages, 4),
        "cores_busy": round(cpu / m.seconds, 2),
        # CPU the rest of the machine used meanwhile (the site server, S3, anything else)
        "others_cores_busy": round(max(m.machine_busy_seconds - cpu, 0.0) / m.seconds, 2),
        "peak_rss_main_mb": round(m.peaks.main_rss_mb, 1),
        "peak_rss_tree_mb": round(m.peaks.tree_rss_mb, 1),
        "peak_pss_tree_mb": round(m.peaks.tree_pss_mb, 1),
        "processes": m.peaks.processes,
        # (seconds, main RSS MB, all processes' PSS MB), about 20 points over the run
        "memory_curve": m.peaks.samples[::max(len(m.peaks.samples) // 20, 1)],
        "shares": {k: round(v, 3) for k, v in shares.items()},
        "performance": perf,
        "articles_written": manifest.get("articles_written"),
        "rejections": manifest.get("rejections"),
    }, plain)


def plain_over(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The plain loop's figures over several of its runs (those around a pipeline run, or all)."""
    pages = sum(run["pages"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    cpu = sum(run["cpu_seconds"] for run in runs)
    return {"pages": pages, "seconds": seconds, "cpu_seconds": cpu,
            "pages_per_s": round(pages / seconds, 2), "cpu_s_per_page": round(cpu / pages, 4),
            "runs": runs}


def with_ratios(r: dict[str, Any], plain: dict[str, Any]) -> dict[str, Any]:
    r["ratio"] = round(r["pages_per_s"] / plain["pages_per_s"], 3)
    # Not a measurement: what `ratio` would be with every core ours (the
    # machine's cores divided by the pipeline's CPU per page, against the
    # plain loop's); when others use the machine, `ratio` measures them too.
    r["cpu_bound_ratio"] = round((os.cpu_count() or 1) * plain["cpu_s_per_page"]
                                 / r["cpu_s_per_page"], 3) if r["cpu_s_per_page"] else None
    return r


def line(r: dict[str, Any]) -> str:
    shares = " ".join(f"{k}={v:.1%}" for k, v in r["shares"].items()) or "n/a"
    return (f"{r['name']:<14} {r['pages_per_s']:7.1f} pages/s  {r['cpu_s_per_page'] * 1000:6.1f} ms CPU/page  "
            f"cores busy {r['cores_busy']:.2f} (others {r['others_cores_busy']:.2f})  peak RSS main {r['peak_rss_main_mb']:.0f} MB, "
            f"all processes {r['peak_rss_tree_mb']:.0f} MB (PSS {r['peak_pss_tree_mb']:.0f} MB)  "
            + (f"ratio {r['ratio']:.2f} against the plain loop before it" if r["ratio"] else "no plain loop")
            + f"\n{'':<15}CPU time: {shares}; {r['seconds']:.1f} s, exit {r['exit']}, "
            f"articles written {r['articles_written']}, rejected {sum((r['rejections'] or {}).values())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", "-n", type=int, default=2000)
    parser.add_argument("--data", type=Path, help="evaluation folder (../shared/eval): real pages")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--workdir", type=Path, help="keep the site and archives here")
    parser.add_argument("--no-s3", action="store_true", help="skip the SeaweedFS crawl")
    parser.add_argument("--no-reprocess", action="store_true")
    parser.add_argument("--no-plain", action="store_true",
                        help="skip the plain loop (memory runs at large N; no ratio)")
    parser.add_argument("--ledger-rows", type=int, default=100_000,
                        help="rows of the synthetic archive for Ledger.load (0: skip)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawls")
    args = parser.parse_args(argv)
    become_subreaper()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="news-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    site_dir = workdir / "site"
    shutil.rmtree(site_dir, ignore_errors=True)
    info = machine()
    print(f"machine: {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB, "
          f"Python {info['python']}; {info['date']}", flush=True)
    paths = build_site(site_dir, args.pages, args.data)
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths))
    results: dict[str, Any] = {"machine": info, "pages": args.pages,
                               "data": str(args.data) if args.data else "generated", "runs": {}}
    env = clean_env(PYTHONPATH=str(REPO))
    s3 = None
    try:
        with FixtureSite(site_dir, keep_alive=True) as site:
            print(f"site: {len(paths)} pages ({results['data']}) at {site.base_url}", flush=True)
            def run_plain(label: str) -> dict[str, Any]:
                m = measure([sys.executable, "-m", "benchmarks.plain", str(site_dir), site.base_url,
                             str(paths_file), *(["--count-only"] if args.no_plain else [])],
                            env=env, cwd=str(REPO))
                if m.returncode:
                    raise SystemExit(f"plain loop failed: {m.stderr[-2000:]}")
                plain = json.loads(m.stdout)
                rate = plain["pages"] / plain["seconds"] if plain["seconds"] else float("inf")
                plain.update(pages_per_s=round(rate, 2),
                             cpu_s_per_page=round(plain["cpu_seconds"] / plain["pages"], 4),
                             others_cores_busy=round(max(m.machine_busy_seconds - m.cpu_seconds, 0)
                                                     / m.seconds, 2),
                             peak_rss_mb=round(m.peaks.main_rss_mb, 1))
                if not args.no_plain:
                    print(f"{label:<14} {rate:7.1f} pages/s  {plain['cpu_s_per_page'] * 1000:6.1f} ms CPU/page  "
                          f"(one core, trafilatura.bare_extraction defaults; {plain['seconds']:.1f} s; "
                          f"others busy {plain['others_cores_busy']:.2f} cores)", flush=True)
                return plain

            plains = [run_plain("plain loop")]

            def bracket(r: dict[str, Any]) -> None:
                """Run the plain loop again; `r`'s ratio is against it and the one before `r`."""
                if args.no_plain:
                    return
                plains.append(run_plain("plain again"))
                with_ratios(r, plain_over(plains[-2:]))
                print(f"{'':<15}{r['name']}: ratio {r['ratio']:.2f} against the plain loops before "
                      f"and after it (CPU-bound estimate {r['cpu_bound_ratio'] or 0:.2f})", flush=True)

            crawl_env = {**env, "START_URLS": f"{site.base_url}/{SITEMAP}",
                         "SPOOL_DIR": str(workdir / "spool")}
            extra = [a for kv in args.set for a in ("-s", kv)]
            command = [sys.executable, "-m", "crawler", "abc", *CRAWL_SETTINGS,
                       "-s", f"WARC_SPOOL_DIR={workdir}", *extra]
            targets = [("crawl local", str(workdir / "archive"), {})]
            if not args.no_s3:
                from tests.s3_server import S3TestServer
                shutil.rmtree(workdir / "seaweedfs", ignore_errors=True)
                s3 = S3TestServer(workdir / "seaweedfs").start()
                s3.create_bucket("bench")
                targets.append(("crawl S3", "s3://bench/news", s3.env))
            keep = {s3.process.pid} if s3 else set()
            for name, uri, extra_env in targets:
                if not uri.startswith("s3://"):
                    shutil.rmtree(uri, ignore_errors=True)
                run_env = {**crawl_env, **extra_env, "ARCHIVE_URI": uri}
                m = measure(command, env=run_env, cwd=str(REPO), keep=keep)
                (workdir / f"{name.replace(' ', '-')}.log").write_text(m.stderr)
                manifest = read_manifest(uri, run_env)
                pages = manifest.get("article_candidates") or len(paths)
                r = summarize(name, m, pages, manifest, plains[-1])
                if m.returncode:
                    r["stderr"] = m.stderr[-3000:]
                results["runs"][name] = r
                print(line(r), flush=True)
                bracket(r)
            if not args.no_reprocess:
                source_archive = workdir / "archive"
                warcs = sorted(str(p) for p in (source_archive / "raw").rglob("*.warc.gz"))
                target = workdir / "reprocessed"
                shutil.rmtree(target, ignore_errors=True)
                run_env = {**env, "ARCHIVE_URI": str(target)}
                command = [sys.executable, "-m", "pipelines.reprocess", "abc", "--domain", "*",
                           *[a for w in warcs for a in ("--warc", w)]]
                m = measure(command, env=run_env, cwd=str(REPO), keep=keep)
                manifest = read_manifest(str(target), run_env)
                r = summarize("reprocess", m, manifest.get("article_candidates") or len(paths),
                              manifest, plains[-1])
                if m.returncode:
                    r["stderr"] = m.stderr[-3000:]
                results["runs"]["reprocess"] = r
                print(line(r), flush=True)
                bracket(r)
            results["plain"] = plains[0] if len(plains) == 1 else plain_over(plains)
    finally:
        if s3 is not None:
            s3.stop()
    if args.ledger_rows:
        m = measure([sys.executable, "-m", "benchmarks.ledger", "--rows", str(args.ledger_rows),
                     "--workdir", str(workdir / "ledger")], env=env, cwd=str(REPO))
        if m.returncode:
            print(m.stderr[-2000:], file=sys.stderr)
        else:
            results["ledger"] = json.loads(m.stdout)
            led = results["ledger"]
            print(f"{'ledger load':<14} {led['rows']:,} archived articles: Ledger.load {led['load_seconds']:.2f} s, "
                  f"needs_fetch {led['lookups_per_s']:,.0f} lookups/s, peak RSS {m.peaks.main_rss_mb:.0f} MB; "
                  f"RSS after it, then after a run's new articles: "
                  + ", ".join(f"{moment.replace('_', ' ')} {mb:.0f} MB" for moment, mb in led["rss_mb"].items()),
                  flush=True)
            led["peak_rss_mb"] = round(m.peaks.main_rss_mb, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str))
    print(f"results: {args.out}" + (f"; work files: {workdir}" if args.workdir else ""))
    for name, r in results["runs"].items():
        checks = [("ratio >= 1.7", r["ratio"] >= 1.7),
                  ("peak PSS of all processes <= 400 MB", r["peak_pss_tree_mb"] <= 400),
                  ("peak RSS of all processes <= 400 MB", r["peak_rss_tree_mb"] <= 400),
                  ("Parquet + S3 < 5 % of CPU", r["shares"].get("parquet+s3", 1) < 0.05)]
        print(f"targets {name}: " + "; ".join(f"{label} {'met' if ok else 'NOT met'}"
                                             for label, ok in checks if not args.no_plain or "ratio" not in label))
    ratios = {k: v["ratio"] for k, v in results["runs"].items() if not args.no_plain}
    print("ratios: " + ", ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
    print(f"ratio={min(ratios.values()):.2f}" if ratios else "ratio=n/a")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

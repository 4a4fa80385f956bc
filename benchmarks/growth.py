"""Memory as a crawl grows: the issue's "within 10 % between 2,000 and 50,000
pages", in one command.

    python -m benchmarks.growth [--pages 2000 50000] [--out benchmarks/growth.json]

Runs `benchmarks.run` once per size, a local crawl only (no plain loop, no
S3, no re-processing, no ledger benchmark: what differs between the runs is
the crawl's length), and prints for each measure of memory (the main
process's peak RSS, all processes' RSS summed, all processes' PSS) its peak
at each size and its growth from the first size to the last.

The target is judged on the pipeline's memory, all its processes (RSS and
PSS), the measure `make bench` holds to 400 MB; the crawler's own process is
shown beside them (README, Performance). The largest size takes about 12
minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_GROWTH = 0.10
# (key in benchmarks.run's results, label, judged against MAX_GROWTH)
MEASURES = (("peak_rss_main_mb", "main process RSS", False),
            ("peak_rss_tree_mb", "all processes' RSS", True),
            ("peak_pss_tree_mb", "all processes' PSS", True))


def crawl_peaks(pages: int, workdir: Path, settings: list[str]) -> dict:
    """One local crawl of `pages` generated pages: benchmarks.run's figures for it."""
    out = workdir / f"run-{pages}.json"
    command = [sys.executable, "-m", "benchmarks.run", "--pages", str(pages), "--no-plain",
               "--no-s3", "--no-reprocess", "--ledger-rows", "0", "--out", str(out)]
    for setting in settings:
        command += ["--set", setting]
    subprocess.run(command, check=True, cwd=REPO)
    return json.loads(out.read_text())["runs"]["crawl local"]


def growth_report(runs: dict[int, dict]) -> tuple[list[str], list[str]]:
    """Lines a person reads, and the judged measures that grew by more than
    MAX_GROWTH from the smallest crawl to the largest."""
    sizes = sorted(runs)
    first, last = sizes[0], sizes[-1]
    lines = [f"{'':<20}" + "".join(f"{size:>10,} pages" for size in sizes) + "    growth"]
    unmet = []
    for key, label, judged in MEASURES:
        growth = runs[last][key] / runs[first][key] - 1
        met = runs[last][key] <= runs[first][key] * (1 + MAX_GROWTH)
        if judged and not met:
            unmet.append(label)
        verdict = (f"{'met' if met else 'NOT met'} (<= {MAX_GROWTH:.0%})" if judged
                   else "the crawler's process alone, shown")
        lines.append(f"{label:<20}" + "".join(f"{runs[size][key]:>13.0f} MB" for size in sizes)
                     + f"  {growth:+7.1%}  {verdict}")
    return lines, unmet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[2000, 50000])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "growth.json")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawls")
    args = parser.parse_args(argv)
    if len(args.pages) < 2:
        parser.error("--pages needs two sizes or more")
    with tempfile.TemporaryDirectory(prefix="news-growth-") as workdir:
        runs = {pages: crawl_peaks(pages, Path(workdir), args.set) for pages in args.pages}
    lines, unmet = growth_report(runs)
    print("\n".join(lines))
    first, last = min(runs), max(runs)
    print(f"the pipeline's memory within {MAX_GROWTH:.0%} from {first:,} to {last:,} pages: "
          + ("met by all processes' RSS and PSS" if not unmet else f"NOT met by {', '.join(unmet)}"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": {str(k): v for k, v in runs.items()},
                                    "max_growth": MAX_GROWTH, "not_met": unmet}, indent=1, default=str))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

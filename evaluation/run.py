"""Run both systems over the benchmark sets; print a table, write JSON.

    python -m evaluation.run --data /path/to/eval [--out results.json]
        [--sets trafilatura,fundus] [--limit N] [--systems ours,trafilatura]
        [--details per-page.jsonl]

Systems:
  ours         pipelines.extract.extract_article, in its non-rejecting mode
               (min_body_words=0): short pages are scored on what we extract;
               a page still rejected (no text at all) counts as empty output.
  trafilatura  plain trafilatura.bare_extraction(html, url=url,
               with_metadata=True), every other option at its default.
Timing covers the extraction call only (not reading or decompressing files),
in this one process, one page after the other.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import trafilatura

from evaluation.datasets import LOADERS, SETS, Case, split_gold_authors
from evaluation.metrics import (authors_exact, caption_exact, credit_matches, date_day_correct,
                                date_day_correct_utc, date_minute_correct, prf, snippet_counts,
                                tags_exact, text_scores, title_exact, title_exact_strict)
from pipelines.extract import PageContext, Rejected, extract_article


def run_ours(case: Case) -> dict[str, Any]:
    context = PageContext(url=case.url, source="eval", min_body_words=0)
    try:
        record = extract_article(case.html, context)
    except Rejected as exc:
        return {"body": "", "title": None, "authors": [], "published_at": None, "tags": [],
                "image_url": None, "image_caption": None, "image_credit": None,
                "rejected": exc.reason}
    return {key: record[key] for key in ("body", "title", "authors", "published_at", "tags",
                                         "image_url", "image_caption", "image_credit")}


def run_trafilatura(case: Case) -> dict[str, Any]:
    doc = trafilatura.bare_extraction(case.html, url=case.url, with_metadata=True)
    if doc is None:
        return {"body": "", "title": None, "authors": [], "published_at": None, "tags": [],
                "image_url": None, "image_caption": None, "image_credit": None}
    return {"body": doc.text or "", "title": doc.title,
            "authors": split_gold_authors(doc.author or "") or [], "published_at": doc.date,
            "tags": list(doc.tags or []), "image_url": doc.image, "image_caption": None,
            "image_credit": None}


SYSTEMS: dict[str, Callable[[Case], dict[str, Any]]] = {
    "ours": run_ours, "trafilatura": run_trafilatura}


def score_case(case: Case, out: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if case.with_snippets is not None:
        row["snippets"] = snippet_counts(out["body"], case.with_snippets,
                                         case.without_snippets or [])
    if case.body is not None:
        row.update(text_scores(out["body"], case.body))
    if case.title is not None:
        row["title"] = title_exact(out["title"], case.title)
        row["title_strict"] = title_exact_strict(out["title"], case.title)
    if case.authors is not None:
        row["authors"] = authors_exact(out["authors"], case.authors)
        if case.authors:
            row["authors_nonempty"] = row["authors"]
    if case.date is not None:
        row["date_day"] = date_day_correct(out["published_at"], case.date)
        row["date_day_utc"] = date_day_correct_utc(out["published_at"], case.date)
        if case.date.instant is not None:
            row["date_minute"] = date_minute_correct(out["published_at"], case.date)
    if case.tags is not None:
        row["tags"] = tags_exact(out["tags"], case.tags)
    if case.cover_caption is not None:
        row["image"] = out["image_url"] is not None
        row["caption"] = caption_exact(out["image_caption"], case.cover_caption)
        row["credit"] = credit_matches(out["image_credit"], case.cover_credits or [])
    return row


def _mean(rows: list[dict[str, Any]], key: str) -> tuple[float | None, int]:
    values = [float(r[key]) for r in rows if key in r]
    return (sum(values) / len(values) if values else None), len(values)


def summarize(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    summary: dict[str, Any] = {"docs": len(rows),
                               "docs_per_s": len(rows) / seconds if seconds else None,
                               "seconds": seconds}
    counts = [r["snippets"] for r in rows if "snippets" in r]
    if counts:
        tp, fp, fn = (sum(c[k] for c in counts) for k in ("tp", "fp", "fn"))
        summary["body_p"], summary["body_r"], summary["body_f1"] = prf(tp, fp, fn)
        summary["snippets"] = {k: sum(c[k] for c in counts) for k in ("tp", "fp", "fn", "tn")}
    else:
        for key in ("word_p", "word_r", "word_f1", "shingle_p", "shingle_r", "shingle_f1"):
            summary[key], _ = _mean(rows, key)
        summary["body_p"], summary["body_r"] = summary["word_p"], summary["word_r"]
        summary["body_f1"] = summary["word_f1"]
    for key in ("title", "title_strict", "authors", "authors_nonempty", "date_day",
                "date_day_utc", "date_minute", "tags", "image", "caption", "credit"):
        value, n = _mean(rows, key)
        summary[key] = value
        summary[f"{key}_n"] = n
    summary["rejected"] = sum(1 for r in rows if r.get("rejected"))
    return summary


def evaluate_set(cases: list[Case], systems: list[str],
                 details: Any | None) -> dict[str, dict[str, Any]]:
    """Systems take turns page by page (the order alternating), so both see
    the same machine load and neither pays alone for warming shared caches
    (dateparser compiles its regexes on first use)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in systems}
    seconds = {name: 0.0 for name in systems}
    for index, case in enumerate(cases):
        order = systems if index % 2 == 0 else systems[::-1]
        for name in order:
            start = time.perf_counter()
            out = SYSTEMS[name](case)
            seconds[name] += time.perf_counter() - start
            row = score_case(case, out)
            if out.get("rejected"):
                row["rejected"] = out["rejected"]
            rows[name].append(row)
            if details is not None:
                details.write(json.dumps({"set": case.set_name, "case": case.case_id,
                                          "system": name, "url": case.url,
                                          "pred": {"title": out["title"],
                                                   "authors": out["authors"],
                                                   "published_at": str(out["published_at"]),
                                                   "body_chars": len(out["body"]),
                                                   "tags": out["tags"],
                                                   "image_url": out["image_url"],
                                                   "image_caption": out["image_caption"],
                                                   "image_credit": out["image_credit"]},
                                          "gold": {"title": case.title, "authors": case.authors,
                                                   "date": str(case.date)},
                                          "score": row},
                                         ensure_ascii=False) + "\n")
    return {name: summarize(rows[name], seconds[name]) for name in systems}


def _fmt(value: Any, n: int | None = None) -> str:
    if value is None:
        return "-"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return text


COLUMNS = [("body P", "body_p"), ("body R", "body_r"), ("body F1", "body_f1"),
           ("4g F1", "shingle_f1"), ("title", "title"), ("title=", "title_strict"),
           ("authors", "authors"), ("auth≠∅", "authors_nonempty"), ("date day", "date_day"),
           ("day UTC", "date_day_utc"),
           ("date min", "date_minute"), ("tags", "tags"), ("image", "image"),
           ("caption", "caption"), ("credit", "credit"), ("docs/s", "docs_per_s")]


def format_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    header = f"{'set':<12} {'system':<12} {'docs':>5} " + " ".join(f"{c:>8}" for c, _ in COLUMNS)
    lines = [header, "-" * len(header)]
    for set_name, by_system in results.items():
        for system, s in by_system.items():
            cells = []
            for _, key in COLUMNS:
                value = s.get(key)
                cells.append(f"{(f'{value:.1f}' if key == 'docs_per_s' else f'{value:.3f}') if value is not None else '-':>8}")
            lines.append(f"{set_name:<12} {system:<12} {s['docs']:>5} " + " ".join(cells))
        first = next(iter(by_system.values()))
        ns = ", ".join(f"{k}={first[f'{k}_n']}" for k in
                       ("title", "authors", "authors_nonempty", "date_day", "date_minute",
                        "tags", "image") if first[f"{k}_n"])
        lines.append(f"{'':<12} {'(gold n)':<12} {'':>5} {ns}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder holding the benchmark sets")
    parser.add_argument("--out", default="evaluation/results.json")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--limit", type=int, default=0, help="first N pages of each set")
    parser.add_argument("--details", help="write per-page scores (JSON lines) here")
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("--data is required (the folder with the benchmark sets)")
    root = Path(args.data)
    if not root.is_dir():
        parser.error(f"--data {root}: not a folder")
    sets = [s for s in args.sets.split(",") if s]
    systems = [s for s in args.systems.split(",") if s]
    for name in sets:
        if name not in LOADERS:
            parser.error(f"unknown set {name!r} (known: {', '.join(SETS)})")
    details = open(args.details, "w", encoding="utf-8") if args.details else None
    results: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for name in sets:
            cases = []
            for case in LOADERS[name](root):
                cases.append(case)
                if args.limit and len(cases) >= args.limit:
                    break
            results[name] = evaluate_set(cases, systems, details)
            print(f"[{name}] {len(cases)} pages done", file=sys.stderr, flush=True)
    finally:
        if details:
            details.close()
    print(format_table(results))
    payload = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "command": " ".join(sys.argv), "data": str(root),
               "machine": {"platform": platform.platform(), "python": platform.python_version(),
                           "trafilatura": trafilatura.__version__},
               "results": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

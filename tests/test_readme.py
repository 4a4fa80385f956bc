"""The README's reading snippets run, as written, against a crawled archive."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO, clean_env, run_crawl

README = (REPO / "README.md").read_text(encoding="utf-8")


def reading_snippets() -> list[str]:
    section = README.split("### Reading it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def crawled_dir(site, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("readme")
    start_urls = " ".join(site.url(p) for p in ("robots.txt", "feed.rss", "atom.xml"))
    result = run_crawl("abc", env=clean_env(ARCHIVE_URI=str(workdir / "archive"),
                                            START_URLS=start_urls))
    assert result.returncode == 0, result.stderr[-2000:]
    return workdir


def test_readme_has_the_three_readers():
    assert [s.split("\n", 1)[0] for s in reading_snippets()] == [
        "import pyarrow.dataset as ds", "import duckdb", "import polars as pl"]


@pytest.mark.parametrize("index, check", [
    (0, lambda ns: ns["table"].num_rows == 2),
    (1, lambda ns: [r[0] for r in ns["rows"]] == [
        "Envoys meet in Sochi as both sides signal a thaw after long freeze",
        "Senate passes stopgap budget hours before deadline",
        "Storm knocks out power to 200,000 homes across three states"]),
    (2, lambda ns: ns["frame"].height == 3
        and sorted(ns["frame"]["dateline"].to_list()) == ["NEW YORK", "SOCHI, Russia", "WASHINGTON"]),
])
def test_readme_snippet_runs(crawled_dir, monkeypatch, capsys, index, check):
    monkeypatch.chdir(crawled_dir)
    namespace: dict = {}
    exec(compile(reading_snippets()[index], f"README snippet {index}", "exec"), namespace)
    assert check(namespace)


def test_readme_warc_pointer_snippet_prints_the_fetched_page(crawled_dir, monkeypatch, capsys):
    section = README.split("### The raw pages", 1)[1].split("\n### ", 1)[0]
    [snippet] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    monkeypatch.chdir(crawled_dir)
    exec(compile(snippet, "README WARC snippet", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.startswith("WARC/1.1\r\n") and "WARC-Type: response" in printed
    assert re.search(r"\r\n\r\nHTTP/1\.[01] 200 OK\r\n", printed)   # the fixture server speaks 1.0

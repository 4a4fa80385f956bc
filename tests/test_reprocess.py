"""Re-processing: the dataset rebuilt from the raw archive alone, the same rows,
idempotent; new rows for a new extractor; foreign WARC files read without a crash."""

from __future__ import annotations

import io

import pytest

import pipelines.extract
import pipelines.reprocess
from crawler.sources import load_source
from pipelines.reprocess import NOT_ARTICLE_URL, reprocess
from pipelines.storage import open_archive
from pipelines.warc import WarcPointer, iter_responses, read_pointer
from tests.archive_readers import list_files, read_dataset, read_json
from tests.conftest import REPLAY_WARC, clean_env, offline_env, run_crawl, run_reprocess
from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.test_warc import use_env


def article_rows(archive_uri: str, env: dict) -> list[dict]:
    rows = read_dataset(archive_uri, "articles", env).to_pylist()
    return sorted(rows, key=lambda r: (r["article_id"], r["version"], r["extractor_version"]))


@pytest.fixture
def crawled(archive):
    """An archive with one crawl of the fixture site: (uri, env, its articles)."""
    archive_uri, env = archive
    with FixtureSite(FIXTURE_SITE) as site:
        result = run_crawl("abc", env={**env, "ARCHIVE_URI": archive_uri,
                                       "START_URLS": site.url("/")})
    assert result.returncode == 0, result.stderr[-3000:]
    return archive_uri, env, article_rows(archive_uri, env)


def delete_dataset(archive_uri: str, env: dict, dataset: str) -> None:
    store = open_archive(archive_uri, env)
    for relpath in list_files(archive_uri, dataset, env):
        store.delete(relpath)


def test_reprocess_rebuilds_the_deleted_dataset_offline_and_twice_writes_nothing(
        crawled, monkeypatch):
    archive_uri, env, crawled_rows = crawled
    use_env(monkeypatch, env)
    delete_dataset(archive_uri, env, "articles")
    env = offline_env({**env, "ARCHIVE_URI": archive_uri}) if not archive_uri.startswith("s3://") \
        else {**env, "ARCHIVE_URI": archive_uri}   # S3 is reached over the network

    first = run_reprocess("abc", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "articles written=3 " in first.stderr
    rebuilt = article_rows(archive_uri, env)
    # Identical rows: bodies, metadata, versions, fetch times, listing hints, pointers.
    assert rebuilt == crawled_rows
    assert [r["body"] for r in rebuilt] == [r["body"] for r in crawled_rows]

    files = list_files(archive_uri, "articles", env) + list_files(archive_uri, "rejects", env)
    second = run_reprocess("abc", env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "articles written=0 " in second.stderr and "unchanged=3 " in second.stderr
    assert list_files(archive_uri, "articles", env) + list_files(archive_uri, "rejects", env) == files
    manifests = [read_json(archive_uri, p, env) for p in list_files(archive_uri, "_runs/abc", env)]
    assert [m.get("kind") for m in manifests].count("reprocess") == 2


def test_a_new_extractor_adds_rows_once_and_keeps_the_old_ones(crawled, monkeypatch, tmp_path):
    archive_uri, env, crawled_rows = crawled
    use_env(monkeypatch, env)
    new_version = "pipelines-9.9+test"
    monkeypatch.setattr(pipelines.extract, "EXTRACTOR_VERSION", new_version)
    monkeypatch.setattr(pipelines.reprocess, "EXTRACTOR_VERSION", new_version)
    # The patched version exists in this process only: extract here, not in workers.
    monkeypatch.setenv("EXTRACT_WORKERS", "0")
    source, store = load_source("abc"), open_archive(archive_uri, env)

    manifest = reprocess(source, store)
    assert (manifest["articles_written"], manifest["unchanged"]) == (3, 0)
    rows = article_rows(archive_uri, env)
    assert len(rows) == 6
    new = [r for r in rows if r["extractor_version"] == new_version]
    assert [(r["version"], r["body"], r["warc_record_offset"]) for r in new] == [
        (r["version"], r["body"], r["warc_record_offset"]) for r in crawled_rows]

    again = reprocess(source, store)
    assert (again["articles_written"], again["unchanged"], again["files_written"]) == (3 - 3, 3, 0)
    assert len(article_rows(archive_uri, env)) == 6


def test_since_and_until_select_fetch_days(crawled, monkeypatch):
    archive_uri, env, _ = crawled
    use_env(monkeypatch, env)
    delete_dataset(archive_uri, env, "articles")
    result = run_reprocess("abc", "--until", "2000-01-01", env={**env, "ARCHIVE_URI": archive_uri})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WARC files=0 responses=0 " in result.stderr
    assert list_files(archive_uri, "articles", env) == []


def test_a_real_common_crawl_warc_is_read_and_every_page_accounted_for(real_warc, tmp_path):
    """Not news (16 random sites): each page is rejected with its reason, pointing
    to its record in the foreign file; nothing crashes."""
    archive_uri = str(tmp_path / "archive")
    env = offline_env(clean_env(ARCHIVE_URI=archive_uri))
    result = run_reprocess("abc", "--warc", str(real_warc), "--domain", "*", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "responses=16 " in result.stderr
    rejects = read_dataset(archive_uri, "rejects", {}).to_pylist()
    assert len(rejects) == 16
    assert {r["reason"] for r in rejects} == {NOT_ARTICLE_URL}
    assert all(r["detail"] for r in rejects)
    store = open_archive(archive_uri, environ={})
    for row in rejects:
        assert row["warc_filename"] == str(real_warc)
        assert read_pointer(store, WarcPointer.from_fields(row)).url == row["url"]
    assert list_files(archive_uri, "articles", {}) == []


def test_foreign_warc_keeps_only_the_sources_domains_by_default(real_warc, tmp_path):
    archive_uri = str(tmp_path / "archive")
    env = clean_env(ARCHIVE_URI=archive_uri)
    result = run_reprocess("abc", "--warc", str(real_warc), env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "responses=0 " in result.stderr
    narrowed = run_reprocess("abc", "--warc", str(real_warc), "--domain", "live-radsport.ch", env=env)
    assert "responses=2 " in narrowed.stderr   # 06.live-radsport.ch, twice, narrowed.stderr[-2000:]


def test_a_truncated_warc_gives_its_whole_articles_and_an_error_naming_the_cut(tmp_path):
    # A foreign WARC whose download stopped in the middle of the third article:
    # warcio alone gives that article's body cut short, which would be
    # archived as a correction of the whole one.
    data = REPLAY_WARC.read_bytes()
    [third] = [r for r in iter_responses(io.BytesIO(data), "x")
               if r.url.endswith("senate-passes-stopgap-budget.html")]
    truncated = tmp_path / "download.warc.gz"
    truncated.write_bytes(data[:third.pointer.offset + third.pointer.length // 2])
    archive_uri = str(tmp_path / "archive")
    result = run_reprocess("abc", "--warc", str(truncated),
                           env=offline_env(clean_env(ARCHIVE_URI=archive_uri)))
    assert result.returncode == 1, result.stderr[-3000:]
    assert [line for line in result.stderr.splitlines() if line.startswith("error: ")] == [
        f"error: WARC {truncated}: the response record at byte {third.pointer.offset} is cut short: "
        "the file is truncated; the rest of the file is skipped"]
    assert "articles written=2 " in result.stderr and "errors=1 " in result.stderr
    titles = sorted(read_dataset(archive_uri, "articles", {}).column("title").to_pylist())
    assert titles == ["Envoys meet in Sochi as both sides signal a thaw after long freeze",
                      "Storm knocks out power to 200,000 homes across three states"]

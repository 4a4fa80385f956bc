"""Replay: a crawl served from a WARC instead of the network, with the network
blocked, archives the same articles as the crawl that recorded it."""

from __future__ import annotations

from pathlib import Path

from tests.archive_readers import list_files, read_dataset
from tests.conftest import REPLAY_WARC, REPO, clean_env, offline_env, run_crawl
from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.test_crawl_e2e import EXPECTED

README = (REPO / "README.md").read_text(encoding="utf-8")
ARTICLE_FIELDS = ["article_id", "url", "title", "body", "authors", "published_at", "dateline",
                  "rights", "image_credit", "fetched_at", "content_sha256", "version",
                  "listed_modified_at", "keywords"]


def articles(archive_uri: str) -> list[dict]:
    rows = read_dataset(archive_uri, "articles", {}).to_pylist()
    return sorted(({k: r[k] for k in ARTICLE_FIELDS} for r in rows), key=lambda r: r["url"])


def rejections(archive_uri: str) -> set[tuple[str, str]]:
    return {(r["url"], r["reason"]) for r in read_dataset(archive_uri, "rejects", {}).to_pylist()}


def test_replay_with_the_network_blocked_archives_the_same_articles(tmp_path):
    live = str(tmp_path / "live")
    with FixtureSite(FIXTURE_SITE) as site:
        root = site.url("/")
        recorded = run_crawl("abc", env=clean_env(ARCHIVE_URI=live, START_URLS=root))
        assert recorded.returncode == 0, recorded.stderr[-3000:]
    [warc] = list_files(live, "raw", {})

    replayed_uri = str(tmp_path / "replayed")
    replayed = run_crawl("abc", env=offline_env(clean_env(
        ARCHIVE_URI=replayed_uri, START_URLS=root, REPLAY=str(Path(live) / warc))))
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    assert articles(replayed_uri) == articles(live)
    assert rejections(replayed_uri) == rejections(live)
    # The replayed crawl keeps its own raw archive, so its rows point into it too.
    assert list_files(replayed_uri, "raw", {}) and all(
        r["warc_filename"].startswith("raw/source=abc/")
        for r in read_dataset(replayed_uri, "articles", {}).to_pylist())


def test_readme_replay_demo_works_offline(tmp_path):
    command = "make crawl SOURCE=abc REPLAY=tests/fixtures/abc-site.warc.gz START_URLS=http://abcnewsradioonline.com/"
    assert command in README
    archive_uri = str(tmp_path / "archive")
    result = run_crawl("abc", env=offline_env(clean_env(
        ARCHIVE_URI=archive_uri, START_URLS="http://abcnewsradioonline.com/",
        REPLAY=str(REPLAY_WARC.relative_to(REPO)))))   # as in the README, from the clone
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles written=3 " in result.stderr
    assert sorted(r["title"] for r in articles(archive_uri)) == sorted(EXPECTED)
    assert {reason for _, reason in rejections(archive_uri)} == {
        "http_404", "robots_disallowed", "too_short"}


def test_replay_of_a_missing_warc_is_bad_input(tmp_path):
    result = run_crawl("abc", env=clean_env(ARCHIVE_URI=str(tmp_path / "a"),
                                            REPLAY=str(tmp_path / "missing.warc.gz")))
    assert result.returncode == 2
    assert f"error: REPLAY {tmp_path}/missing.warc.gz: no such WARC file" in result.stderr


def test_replay_of_a_truncated_warc_replays_its_whole_responses_and_exits_1(tmp_path):
    truncated = tmp_path / "cut.warc.gz"
    truncated.write_bytes(REPLAY_WARC.read_bytes()[:16_000])    # inside the third article
    archive_uri = str(tmp_path / "archive")
    result = run_crawl("abc", env=offline_env(clean_env(
        ARCHIVE_URI=archive_uri, REPLAY=str(truncated), START_URLS="http://abcnewsradioonline.com/")))
    assert result.returncode == 1, result.stderr[-3000:]
    assert (f"[crawler.warc] ERROR: WARC {truncated}: the response record at byte 15231 is cut short: "
            "the file is truncated; the rest of the file is not replayed") in result.stderr
    titles = sorted(read_dataset(archive_uri, "articles", {}).column("title").to_pylist())
    assert titles == ["Envoys meet in Sochi as both sides signal a thaw after long freeze",
                      "Storm knocks out power to 200,000 homes across three states"]

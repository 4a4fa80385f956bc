"""Bad input ends with one clear line and a non-zero exit, before anything is
fetched; secrets never appear in what a run prints or writes."""

from __future__ import annotations

import subprocess

import pytest

from crawler.sources import available_sources
from crawler.run import EXIT_ARCHIVE, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_USAGE
from tests.archive_readers import read_dataset
from tests.conftest import REPO, clean_env, run_crawl


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def test_unknown_source_names_the_known_ones(tmp_path):
    result = run_crawl("nope", env=clean_env(ARCHIVE_URI=str(tmp_path / "a")))
    assert result.returncode == EXIT_USAGE
    known = ", ".join(available_sources())
    assert "abc, apnews" in known
    assert error_lines(result) == [
        f"error: SOURCE='nope': no such source (known: {known}); "
        "add crawler/sources/nope.toml to configure one"]
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


def test_start_urls_must_be_http_urls(tmp_path):
    result = run_crawl("abc", env=clean_env(ARCHIVE_URI=str(tmp_path / "a"),
                                             START_URLS="ftp://example.org/feed"))
    assert result.returncode == EXIT_USAGE
    assert error_lines(result) == ["error: START_URLS: 'ftp://example.org/feed' is not an http(s) URL"]


def test_make_crawl_without_source_says_what_to_type():
    result = subprocess.run(["make", "-s", "crawl"], cwd=REPO, capture_output=True, text=True,
                            env=clean_env(SOURCE=""))
    assert result.returncode != 0
    assert "SOURCE is required, e.g. make crawl SOURCE=abc" in result.stderr


def test_unwritable_local_archive(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_crawl("abc", env=clean_env(ARCHIVE_URI=str(blocker / "archive")))
    assert result.returncode == EXIT_ARCHIVE
    [line] = error_lines(result)
    assert line.startswith(f"error: ARCHIVE_URI {blocker / 'archive'}: cannot create directory")


def test_unreachable_s3_endpoint(tmp_path):
    env = clean_env(ARCHIVE_URI="s3://news/raw", AWS_ENDPOINT_URL="http://127.0.0.1:9",
                    AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="s3cr3t-never-printed")
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_ARCHIVE
    assert error_lines(result) == [
        "error: ARCHIVE_URI s3://news/raw: cannot reach http://127.0.0.1:9: EndpointConnectionError"]
    assert "s3cr3t-never-printed" not in result.stdout + result.stderr


def test_s3_without_credentials(tmp_path):
    env = clean_env(ARCHIVE_URI="s3://news/raw", AWS_ENDPOINT_URL="http://127.0.0.1:9",
                    AWS_EC2_METADATA_DISABLED="true")
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_ARCHIVE
    assert error_lines(result) == [
        "error: ARCHIVE_URI s3://news/raw: no AWS credentials found; set AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY or configure a profile"]


@pytest.mark.s3
def test_missing_bucket(s3_server):
    result = run_crawl("abc", env=clean_env(ARCHIVE_URI="s3://no-such-bucket/news", **s3_server.env))
    assert result.returncode == EXIT_ARCHIVE
    assert error_lines(result) == [
        f"error: ARCHIVE_URI s3://no-such-bucket/news: bucket 'no-such-bucket' does not exist "
        f"at {s3_server.endpoint}; create it first"]


@pytest.mark.s3
def test_wrong_secret_is_rejected_and_never_printed(s3_server, s3_bucket):
    wrong = "wrong-secret-" + s3_server.secret_key[:6]
    env = clean_env(ARCHIVE_URI=f"s3://{s3_bucket}/news", **{**s3_server.env,
                                                              "AWS_SECRET_ACCESS_KEY": wrong})
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_ARCHIVE
    assert error_lines(result) == [
        f"error: ARCHIVE_URI s3://{s3_bucket}/news: credentials rejected by {s3_server.endpoint} "
        "(SignatureDoesNotMatch); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"]
    assert wrong not in result.stdout + result.stderr


@pytest.mark.s3
def test_unknown_access_key_is_rejected(s3_server, s3_bucket):
    env = clean_env(ARCHIVE_URI=f"s3://{s3_bucket}/news",
                    **{**s3_server.env, "AWS_ACCESS_KEY_ID": "AKIDUNKNOWN"})
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_ARCHIVE
    [line] = error_lines(result)
    assert "credentials rejected by" in line


@pytest.mark.s3
def test_secret_never_appears_in_logs_or_archive(s3_server, s3_bucket, site, tmp_path):
    env = clean_env(ARCHIVE_URI=f"s3://{s3_bucket}/news", START_URLS=site.url("feed.rss"),
                    **s3_server.env)
    result = run_crawl("abc", env=env, args=["-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=DEBUG"])
    assert result.returncode == 0, result.stderr[-2000:]
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys
    everything = result.stdout + result.stderr
    blobs = [client.get_object(Bucket=s3_bucket, Key=k)["Body"].read() for k in keys]
    assert s3_server.secret_key not in everything
    assert all(s3_server.secret_key.encode() not in blob for blob in blobs)


def test_entry_points_that_all_fail_exit_non_zero(tmp_path):
    env = clean_env(ARCHIVE_URI=str(tmp_path / "a"), START_URLS="http://127.0.0.1:9/feed.rss")
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_NOTHING_FETCHED
    assert error_lines(result) == [
        "error: nothing could be fetched: all 1 entry points failed (see the log above)"]


def test_a_file_in_the_archive_that_is_not_parquet_stops_the_run_naming_it(tmp_path, site):
    archive = tmp_path / "archive"
    env = clean_env(ARCHIVE_URI=str(archive), START_URLS=site.url("feed.rss"))
    foreign = archive / "articles" / "source=abc" / "date=2019-05-14" / "copied-in.parquet"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"<html>an error page saved under a .parquet name</html>")
    site.responses.clear()
    result = run_crawl("abc", env=env)
    assert result.returncode == EXIT_ARCHIVE, result.stderr[-3000:]
    [line] = error_lines(result)
    assert line.startswith("error: run ")
    assert (f" of abc could not start: ARCHIVE_URI {archive}: cannot read articles/source=abc: "
            f"Could not open Parquet input source '{foreign}'") in line
    assert line.endswith("Move that file out of the archive, then run again")
    assert "Traceback" not in result.stderr
    assert not site.fetched(200)                     # not one page fetched

    foreign.rename(tmp_path / "copied-in.parquet")
    again = run_crawl("abc", env=env)
    assert again.returncode == EXIT_OK, again.stderr[-3000:]
    # The feed's two stories (its third is withdrawn: a 404).
    assert read_dataset(str(archive), "articles", env).num_rows == 2

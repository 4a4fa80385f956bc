"""Shared fixtures: the fixture news site and a real S3 server, both on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixture_site import FIXTURE_SITE, FixtureSite
from tests.s3_server import S3TestServer

REPO = Path(__file__).resolve().parent.parent

# Crawl the fixture site as fast as it answers: politeness is for real sites.
FAST_CRAWL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "RETRY_TIMES=0"]


@pytest.fixture(scope="session")
def site():
    with FixtureSite(FIXTURE_SITE) as fixture:
        yield fixture


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = S3TestServer(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server) -> str:
    return s3_server.create_bucket(f"news-{secrets.token_hex(4)}")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def archive(request, tmp_path):
    """(ARCHIVE_URI, environment) of an empty archive of each kind."""
    if request.param == "local":
        return str(tmp_path / "archive"), clean_env()
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return f"s3://{bucket}/news", clean_env(**server.env)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a crawl: ours, minus any AWS settings of the machine."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("ARCHIVE_URI", "START_URLS")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env.update(extra)
    return env


def run_crawl(source: str, *, env: dict[str, str], args: list[str] = FAST_CRAWL,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """What `make crawl SOURCE=… START_URLS=… ARCHIVE_URI=…` runs, as a subprocess."""
    return subprocess.run([sys.executable, "-m", "crawler", source, *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


# A small real Common Crawl WARC (not news), outside the repository: in the shared
# evaluation data beside the clone, or where REAL_WARC_SAMPLE says.
REAL_WARC_SAMPLE = Path(os.environ.get(
    "REAL_WARC_SAMPLE",
    REPO.parent / "shared/eval/feeds-sitemaps-warc/chatnoir-resiliparse/tests/data/warcfile.warc.gz"))

# The fixture site recorded as a WARC (tests/make_replay_warc.py), for replay demos.
REPLAY_WARC = REPO / "tests" / "fixtures" / "abc-site.warc.gz"
# On PYTHONPATH, a process has no network (tests/offline/sitecustomize.py).
OFFLINE = REPO / "tests" / "offline"


@pytest.fixture
def real_warc() -> Path:
    if not REAL_WARC_SAMPLE.is_file():
        pytest.skip(f"real WARC sample not found at {REAL_WARC_SAMPLE} "
                    "(set REAL_WARC_SAMPLE to chatnoir-resiliparse's tests/data/warcfile.warc.gz)")
    return REAL_WARC_SAMPLE


def offline_env(env: dict[str, str]) -> dict[str, str]:
    """`env` for a subprocess that cannot reach any network."""
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(OFFLINE), env.get("PYTHONPATH")]))}


def run_reprocess(source: str, *args: str, env: dict[str, str],
                  timeout: float = 120) -> subprocess.CompletedProcess:
    """What `make reprocess SOURCE=… [SINCE=… UNTIL=… WARC=… DOMAINS=…]` runs."""
    return subprocess.run([sys.executable, "-m", "pipelines.reprocess", source, *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)

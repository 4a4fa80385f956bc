"""The schema is the contract: documented field by field, additive across versions."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipelines.ids import article_id
from pipelines.ledger import Ledger
from pipelines.storage import open_archive
from schemas import ARTICLE_SCHEMA, REJECTION_SCHEMA
from tests.conftest import REPO

V2_FIELDS = {"version", "listed_modified_at", "keywords"}
V3_FIELDS = {"warc_filename", "warc_record_offset", "warc_record_length"}
V5_FIELDS = {"section", "tags", "image_url", "image_caption"}


def content_sha256(article_id: str, version: int | None) -> str:
    return hashlib.sha256(f"{article_id}-{version}".encode()).hexdigest()


# Two articles' ids, as the crawler makes them (32 hex digits), named a and b.
A, B = (article_id(f"http://a/{name}") for name in "ab")


def row(article_id: str, version: int | None = None, schema_version: int | None = None) -> dict:
    base = {"article_id": article_id, "source": "abc", "url": f"http://a/{article_id}",
            "canonical_url": f"http://a/{article_id}", "title": "T", "body": "B", "authors": [],
            "published_at": datetime(2019, 5, 14, tzinfo=timezone.utc), "modified_at": None,
            "dateline": None, "rights": None, "image_credit": None, "language": "en",
            "description": None, "fetched_at": datetime(2026, 11, 28, tzinfo=timezone.utc),
            "http_status": 200, "content_sha256": content_sha256(article_id, version),
            "extractor_version": "x",
            "schema_version": schema_version or (1 if version is None else 2)}
    if version is not None:
        base.update(version=version, listed_modified_at=None, keywords=[])
    if base["schema_version"] >= 3:
        base.update(warc_filename=f"raw/source=abc/date=2026-11-28/r-{article_id}.warc.gz",
                    warc_record_offset=100, warc_record_length=2000)
    return base


def test_every_field_is_described_in_the_file_and_in_the_readme():
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.M))
    for field in ARTICLE_SCHEMA:
        assert field.metadata[b"description"], field.name
        assert field.name in documented, field.name
    for field in REJECTION_SCHEMA:
        assert field.metadata[b"description"], field.name


def test_v1_and_v2_files_read_together(tmp_path):
    v1_schema = pa.schema([f for f in ARTICLE_SCHEMA if f.name not in V2_FIELDS],
                          metadata={b"schema_version": b"1"})
    directory = tmp_path / "articles" / "source=abc" / "date=2019-05-14"
    directory.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row(A)], schema=v1_schema), directory / "old.parquet")
    pq.write_table(pa.Table.from_pylist([row(A, 2), row(B, 1)], schema=ARTICLE_SCHEMA),
                   directory / "new.parquet")

    table = pads.dataset(tmp_path / "articles" / "source=abc", format="parquet",
                         schema=ARTICLE_SCHEMA).to_table()
    assert sorted(zip(table.column("article_id").to_pylist(), table.column("version").to_pylist()),
                  key=str) == sorted([(A, None), (A, 2), (B, 1)], key=str)

    rows = duckdb.sql(
        f"SELECT article_id, coalesce(version, 1) AS v FROM read_parquet('{tmp_path}/articles/**/*.parquet', "
        "hive_partitioning = true, union_by_name = true) ORDER BY article_id, v").fetchall()
    assert rows == sorted([(A, 1), (A, 2), (B, 1)])

    ledger = Ledger.load(open_archive(str(tmp_path), environ={}), "abc")
    assert ledger.latest(A).version == 2 and ledger.latest(A).content_sha256 == content_sha256(A, 2)
    assert ledger.latest(B).version == 1


def test_v1_v2_and_v3_files_read_together(tmp_path):
    v1_schema = pa.schema([f for f in ARTICLE_SCHEMA if f.name not in V2_FIELDS | V3_FIELDS],
                          metadata={b"schema_version": b"1"})
    v2_schema = pa.schema([f for f in ARTICLE_SCHEMA if f.name not in V3_FIELDS],
                          metadata={b"schema_version": b"2"})
    directory = tmp_path / "articles" / "source=abc" / "date=2019-05-14"
    directory.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row(A)], schema=v1_schema), directory / "v1.parquet")
    pq.write_table(pa.Table.from_pylist([row(A, 2)], schema=v2_schema), directory / "v2.parquet")
    pq.write_table(pa.Table.from_pylist([row(A, 3, 3), row(B, 1, 3)], schema=ARTICLE_SCHEMA),
                   directory / "v3.parquet")

    table = pads.dataset(tmp_path / "articles" / "source=abc", format="parquet",
                         schema=ARTICLE_SCHEMA).to_table()
    got = sorted(zip(table.column("article_id").to_pylist(), table.column("version").to_pylist(),
                     table.column("warc_record_offset").to_pylist()), key=str)
    assert got == sorted([(A, None, None), (A, 2, None), (A, 3, 100), (B, 1, 100)], key=str)

    rows = duckdb.sql(
        f"SELECT article_id, coalesce(version, 1) AS v, warc_filename IS NOT NULL "
        f"FROM read_parquet('{tmp_path}/articles/**/*.parquet', hive_partitioning = true, "
        "union_by_name = true) ORDER BY article_id, v").fetchall()
    assert rows == sorted([(A, 1, False), (A, 2, False), (A, 3, True), (B, 1, True)])

    ledger = Ledger.load(open_archive(str(tmp_path), environ={}), "abc")
    assert ledger.latest(A).version == 3 and ledger.latest(A).content_sha256 == content_sha256(A, 3)


def test_v4_and_v5_files_read_together(tmp_path):
    v4_schema = pa.schema([f for f in ARTICLE_SCHEMA if f.name not in V5_FIELDS],
                          metadata={b"schema_version": b"4"})
    directory = tmp_path / "articles" / "source=abc" / "date=2019-05-14"
    directory.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row(A, 1, 4)], schema=v4_schema), directory / "v4.parquet")
    pq.write_table(pa.Table.from_pylist(
        [{**row(B, 1, 5), "section": "Politics", "tags": ["Congress", "Bridges"],
          "image_url": "https://a/lead.jpg", "image_caption": "Traffic on the bridge."}],
        schema=ARTICLE_SCHEMA), directory / "v5.parquet")

    table = pads.dataset(tmp_path / "articles" / "source=abc", format="parquet",
                         schema=ARTICLE_SCHEMA).to_table()
    got = sorted(zip(table.column("article_id").to_pylist(), table.column("tags").to_pylist(),
                     table.column("section").to_pylist()), key=str)
    assert got == sorted([(A, None, None), (B, ["Congress", "Bridges"], "Politics")], key=str)

    rows = duckdb.sql(
        f"SELECT article_id FROM read_parquet('{tmp_path}/articles/**/*.parquet', "
        "hive_partitioning = true, union_by_name = true) "
        "WHERE list_contains(tags, 'Bridges')").fetchall()
    assert rows == [(B,)]

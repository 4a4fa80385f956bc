"""How the tests read an archive back: the way downstream teams do."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from pyarrow import fs as pafs


def filesystem_and_root(archive_uri: str, env: dict[str, str]) -> tuple[pafs.FileSystem, str]:
    if archive_uri.startswith("s3://"):
        endpoint = env["AWS_ENDPOINT_URL"]
        s3 = pafs.S3FileSystem(access_key=env["AWS_ACCESS_KEY_ID"],
                               secret_key=env["AWS_SECRET_ACCESS_KEY"], region="us-east-1",
                               endpoint_override=endpoint.split("://")[1], scheme="http")
        return s3, archive_uri[len("s3://"):].rstrip("/")
    return pafs.LocalFileSystem(), str(Path(archive_uri).resolve())


def read_dataset(archive_uri: str, dataset: str, env: dict[str, str]) -> pa.Table:
    filesystem, root = filesystem_and_root(archive_uri, env)
    return pads.dataset(f"{root}/{dataset}", filesystem=filesystem, format="parquet",
                        partitioning="hive").to_table()


def list_files(archive_uri: str, dataset: str, env: dict[str, str]) -> list[str]:
    filesystem, root = filesystem_and_root(archive_uri, env)
    selector = pafs.FileSelector(f"{root}/{dataset}", recursive=True, allow_not_found=True)
    return sorted(info.path[len(root) + 1:] for info in filesystem.get_file_info(selector)
                  if info.type == pafs.FileType.File)


def read_json(archive_uri: str, relpath: str, env: dict[str, str]) -> dict:
    import json
    filesystem, root = filesystem_and_root(archive_uri, env)
    with filesystem.open_input_stream(f"{root}/{relpath}") as handle:
        return json.loads(handle.read())


def file_metadata(archive_uri: str, relpath: str, env: dict[str, str]) -> dict[bytes, bytes]:
    filesystem, root = filesystem_and_root(archive_uri, env)
    with filesystem.open_input_file(f"{root}/{relpath}") as handle:
        return pq.read_schema(handle).metadata


def duckdb_connection(archive_uri: str, env: dict[str, str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if archive_uri.startswith("s3://"):
        import duckdb_extension_httpfs
        ext_dir = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
        extension = next(ext_dir.glob("v*/httpfs.duckdb_extension"))
        con.execute(f"LOAD '{extension}'")
        con.execute("CREATE SECRET (TYPE S3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', "
                    "USE_SSL false, REGION 'us-east-1')",
                    [env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                     env["AWS_ENDPOINT_URL"].split("://")[1]])
    return con


def duckdb_glob(archive_uri: str, dataset: str) -> str:
    root = archive_uri.rstrip("/") if archive_uri.startswith("s3://") else os.path.abspath(archive_uri)
    return f"{root}/{dataset}/**/*.parquet"

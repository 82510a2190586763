"""``python -m services.ingest`` as a real process: serves, logs JSON, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.common.grpc_server import insecure_channel
from tests.conftest import Database, free_port
from tests.unit.test_ingest_validate import make_pdf

ROOT = Path(__file__).resolve().parents[2]


async def _wait_serving(address: str, deadline: float) -> None:
    async with insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                answer = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.2)


async def test_module_runs_and_stops_on_sigterm(
    sqlite_database: Database, blob_root: Path, namespace: str
) -> None:
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_database.url,
        "STORAGE_URL": f"file://{blob_root}",
        "FINTRACT_NAMESPACE": namespace,
        "INGEST_ADDR": address,
        "LOG_JSON": "true",
        "SHUTDOWN_GRACE_S": "2",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.ingest",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_serving(address, time.monotonic() + 60)
        async with insecure_channel(address) as channel:
            stub = ingest_pb2_grpc.IngestServiceStub(channel)

            async def requests():  # type: ignore[no-untyped-def]
                meta = ingest_pb2.UploadMetadata(user_id="proc-user", filename="p.pdf")
                yield ingest_pb2.UploadRequest(metadata=meta)
                yield ingest_pb2.UploadRequest(chunk=make_pdf(1))

            response = await stub.Upload(requests())
            assert response.document.pages == 1
        proc.send_signal(signal.SIGTERM)
        stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    events = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    names = [e.get("event") for e in events]
    assert "server_started" in names and "shutting_down" in names
    assert "document_stored" in names
    assert all(e.get("service") == "ingest" for e in events)

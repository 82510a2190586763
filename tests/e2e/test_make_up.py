"""`make up` (fintract up): serves, prints the URL and a working key, and Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_fintract_up_serves_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, namespace: str, redis_url: str, nats_url: str
) -> None:
    port, payments_port = free_port(), free_port()
    env = {
        **os.environ,
        "FINTRACT_NAMESPACE": f"{namespace}up",
        "REDIS_URL": redis_url,
        "NATS_URL": nats_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/up.db",
        "STORAGE_URL": f"file://{tmp_path}/blobs",
        "GATEWAY_PORT": str(port),
        "PAYMENTS_PORT": str(payments_port),
        **{
            k: f"127.0.0.1:{free_port()}"
            for k in ("INGEST_ADDR", "JOBS_ADDR", "PARSER_ADDR", "PAYMENTS_ADDR")
        },
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fintract.cli", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail("fintract up exited early:\n" + "".join(lines))
            lines.append(line)
            if line.startswith("ft_"):
                break
        key = lines[-1].strip()
        assert any(f"http://127.0.0.1:{port}" in line for line in lines), lines
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 6  # ingest, jobs, payments, parser, 2 gateways

        health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).json()
        assert health["data"]["status"] == "ok", health
        listing = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/parse/statements",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert listing.status_code == 200
        status = httpx.get(f"http://127.0.0.1:{payments_port}/status", timeout=10).json()
        assert status["daily_limit"] == 500

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        _gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()

"""The whole suite as real processes (the code path of ``make up``), driven through REST."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fintract.devstack import Stack, start_stack
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, namespace: str, redis_url: str, nats_url: str
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    env = {
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": f"{namespace}e2e",
        "REDIS_URL": redis_url,
        "NATS_URL": nats_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/fintract.db",
        "STORAGE_URL": f"file://{tmp}/blobs",
        "LOG_LEVEL": "WARNING",
        "CALLBACK_ALLOWLIST": "127.0.0.1",
        "CALLBACK_BACKOFF_S": "0.2",
        "CALLBACK_SECRET": "e2e-callback-secret",
        "GATEWAY_KEY_CACHE_TTL_S": "0",
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "0",
        **{
            k: f"127.0.0.1:{free_port()}"
            for k in ("INGEST_ADDR", "JOBS_ADDR", "PARSER_ADDR", "PAYMENTS_ADDR")
        },
    }
    running = start_stack(
        workers=1,
        gateway_port=free_port(),
        var=tmp,
        env=env,
        payments_gateway=False,
        say=lambda _m: None,
    )
    yield running
    running.stop()
    for name in ("ingest", "jobs", "parser-1", "gateway"):
        log = tmp / "logs" / f"{name}.log"
        if log.exists() and "Traceback" in log.read_text(errors="replace"):
            sys.stderr.write(f"\n--- {name}.log has tracebacks ---\n{log.read_text()[-4000:]}\n")


def cli(stack: Stack, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "fintract.cli", *args],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def new_key(stack: Stack, user: str) -> str:
    return cli(stack, "keys", "create", "--user", user).strip().splitlines()[-1]


@pytest.fixture(scope="session")
def alice_key(stack: Stack) -> str:
    return new_key(stack, "alice")


@pytest.fixture(scope="session")
def bob_key(stack: Stack) -> str:
    return new_key(stack, "bob")


@pytest.fixture
def alice(stack: Stack, alice_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, timeout=60, headers={"Authorization": f"Bearer {alice_key}"}
    ) as client:
        yield client


@pytest.fixture
def bob(stack: Stack, bob_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.base_url, timeout=60, headers={"Authorization": f"Bearer {bob_key}"}
    ) as client:
        yield client


@pytest.fixture
def anonymous(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        yield client


def stored_blobs(stack: Stack) -> list[Path]:
    root = Path(stack.env["STORAGE_URL"].removeprefix("file://"))
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


__all__ = ["cli", "new_key", "os", "stored_blobs"]

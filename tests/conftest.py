"""Shared fixtures: real Redis, NATS JetStream, SQLite and PostgreSQL, isolated per run.

Every run gets its own namespace (Redis key prefix, NATS stream/subject prefix, blob prefix)
and every PostgreSQL test its own schema, so runs never collide with each other or with a
running ``make up``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from services.common.migrate import upgrade

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("TEST_NATS_URL", "nats://127.0.0.1:4222")
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = Path(os.environ.get("FINTRACT_CORPUS", SHARED / "corpus"))


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def run_id() -> str:
    return f"{os.getpid()}{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def namespace(run_id: str) -> str:
    """Prefix for Redis keys, NATS streams/subjects and blob keys of this test run."""
    return f"fttest{run_id}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not _reachable(REDIS_URL, 6379):
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (start it; see README)")
    return REDIS_URL


@pytest.fixture(scope="session")
def nats_url() -> str:
    if not _reachable(NATS_URL, 4222):
        pytest.fail(f"NATS is not reachable at {NATS_URL} (start it; see README)")
    return NATS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not _reachable(POSTGRES_URL.replace("+asyncpg", ""), 5432):
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} (start it; see README)")
    return POSTGRES_URL


@pytest.fixture(scope="session", autouse=True)
async def _cleanup_run(namespace: str) -> AsyncIterator[None]:
    """After the run: drop this run's Redis keys and NATS streams."""
    yield
    if _reachable(REDIS_URL, 6379):
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL)
        async for key in client.scan_iter(match=f"{namespace}*", count=1000):
            await client.delete(key)
        await client.aclose()
    if _reachable(NATS_URL, 4222):
        import nats

        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.lower().startswith(namespace.lower()):
                await js.delete_stream(info.config.name)
        await nc.close()


@dataclass(frozen=True)
class Database:
    url: str
    schema: str
    kind: str


async def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text

    from services.common.db import create_engine

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Database:
    path = tmp_path_factory.mktemp("db") / "fintract.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url, "")
    return Database(url=url, schema="", kind="sqlite")


@pytest.fixture(scope="session")
async def postgres_database(postgres_url: str, run_id: str) -> AsyncIterator[Database]:
    schema = f"fttest_{run_id}"
    await asyncio.to_thread(upgrade, postgres_url, schema)
    yield Database(url=postgres_url, schema=schema, kind="postgres")
    await _drop_schema(postgres_url, schema)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    db: Database = request.getfixturevalue(f"{request.param}_database")
    return db


@pytest.fixture
def blob_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "blobs"
    root.mkdir()
    yield root


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS

"""``fintract keys`` through the real entry point (a subprocess), on SQLite and PostgreSQL;
a revoked key is refused by the gateway afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    Gateway,
    gateway_fixture,
    stand_in_fixture,
)


async def fintract(database, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database.url, "DATABASE_SCHEMA": database.schema}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fintract.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_keys_create_list_revoke(gateway: Gateway, database) -> None:
    code, out, _ = await fintract(
        database, "keys", "create", "--user", "ivan", "--name", "ci", "--scopes", "parse"
    )
    assert code == 0
    lines = out.strip().splitlines()
    key = lines[-1]
    assert key.startswith("ft_") and key == key.strip() and " " not in key and len(key) > 40
    assert key not in "\n".join(lines[:-1])
    headers = {"Authorization": f"Bearer {key}"}
    assert (
        await gateway.client.get("/api/v1/parse/statements", headers=headers)
    ).status_code == 200

    code, out, _ = await fintract(database, "keys", "list", "--user", "ivan", "--json")
    assert code == 0
    listed = [json.loads(line) for line in out.splitlines()]
    assert len(listed) == 1
    entry = listed[0]
    assert entry["user_id"] == "ivan" and entry["name"] == "ci" and entry["scopes"] == ["parse"]
    assert entry["revoked_at"] is None and key not in out and key.startswith(entry["prefix"])

    code, out, _ = await fintract(database, "keys", "list")
    assert code == 0 and entry["key_id"] in out and key not in out

    code, out, _ = await fintract(database, "keys", "revoke", entry["key_id"])
    assert code == 0
    refused = await gateway.client.get("/api/v1/parse/statements", headers=headers)
    assert refused.status_code == 401
    code, out, _ = await fintract(database, "keys", "list", "--user", "ivan", "--json")
    assert json.loads(out.splitlines()[0])["revoked_at"] is not None
    code, _, err = await fintract(database, "keys", "revoke", entry["key_id"])
    assert code == 1 and "no active key" in err


async def test_db_upgrade_creates_every_branch(tmp_path) -> None:
    import sqlite3

    from tests.conftest import Database

    path = tmp_path / "fresh" / "fintract.db"
    db = Database(url=f"sqlite+aiosqlite:///{path}", schema="", kind="sqlite")
    code, out, err = await fintract(db, "db", "upgrade")
    assert code == 0, err
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
    assert {"api_keys", "api_logs", "alembic_version"} <= tables
    code, out, _ = await fintract(db, "keys", "create", "--user", "olga")
    assert code == 0 and out.strip().splitlines()[-1].startswith("ft_")


async def test_keys_on_an_unmigrated_database_say_what_to_do(tmp_path) -> None:
    from tests.conftest import Database

    db = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", schema="", kind="sqlite")
    code, _, err = await fintract(db, "keys", "list")
    assert code == 2 and "fintract db upgrade" in err


async def test_keys_prune_logs_through_the_cli(database) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from fintract.keys import api_logs, create_engine

    marker = f"cli-prune-{datetime.now(UTC).timestamp()}"
    now = datetime.now(UTC)
    engine = create_engine(database.url, schema=database.schema)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(api_logs),
                [
                    {
                        "method": "GET",
                        "path": "/x",
                        "status": 200,
                        "latency_ms": 1.0,
                        "request_id": f"{marker}-{age}",
                        "created_at": now - timedelta(days=age),
                    }
                    for age in (400, 1)
                ],
            )
        code, out, err = await fintract(database, "keys", "prune-logs", "--days", "365")
        assert code == 0, err
        assert "deleted" in out
        async with engine.connect() as conn:
            left = (
                (
                    await conn.execute(
                        select(api_logs.c.request_id).where(
                            api_logs.c.request_id.like(f"{marker}-%")
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert left == [f"{marker}-1"]
        code, _, err = await fintract(database, "keys", "prune-logs", "--days", "0")
        assert code != 0
    finally:
        await engine.dispose()

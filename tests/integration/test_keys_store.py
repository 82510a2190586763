"""The key store on SQLite and PostgreSQL: only hashes are stored; verify, revoke, list,
last use recorded by the batch writer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from fintract.keys import (
    ApiLogEntry,
    DatabaseKeyVerifier,
    KeyStore,
    UsageRecorder,
    api_keys,
    api_logs,
    create_engine,
    hash_key,
)


@pytest.fixture
async def store(database):
    engine = create_engine(database.url, schema=database.schema)
    yield KeyStore(engine)
    await engine.dispose()


async def test_create_stores_only_the_hash(store: KeyStore) -> None:
    record, key = await store.create("lena", name="phone", scopes=["parse", "payments"])
    async with store.engine.connect() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.key_id == record.key_id))).one()
    assert key not in " ".join(str(v) for v in row)
    assert row.key_hash == hash_key(key)
    verified = await store.verify(key)
    assert verified is not None
    assert (verified.user_id, verified.key_id) == ("lena", record.key_id)
    assert verified.scopes == ("parse", "payments")
    assert await store.verify(key + "x") is None
    assert await store.verify("not-even-prefixed") is None


async def test_revoke_and_list(store: KeyStore) -> None:
    user = f"mia-{datetime.now(UTC).timestamp()}"
    first, key1 = await store.create(user, name="a")
    second, key2 = await store.create(user, name="b")
    assert [k.key_id for k in await store.list(user_id=user)] == [first.key_id, second.key_id]
    assert await store.revoke(first.key_id) is True
    assert await store.revoke(first.key_id) is False
    assert await store.revoke("no-such-key") is False
    assert await store.verify(key1) is None
    assert await store.verify(key2) is not None
    listed = {k.key_id: k for k in await store.list(user_id=user)}
    assert listed[first.key_id].revoked_at is not None
    assert listed[first.key_id].revoked_at.tzinfo is not None
    assert listed[second.key_id].active
    assert first.key_id in {k.key_id for k in await store.list()}
    with pytest.raises(ValueError):
        await store.create("  ")
    with pytest.raises(ValueError):
        await store.create(user, scopes=["two words"])


async def test_database_verifier_and_usage_writer(store: KeyStore) -> None:
    record, key = await store.create("nina")
    assert (await DatabaseKeyVerifier(store).verify(key)).user_id == "nina"
    recorder = UsageRecorder(store.engine, interval=10, batch_size=3)
    recorder.start()
    marker = f"rid-{record.key_id}"
    when = datetime.now(UTC)
    for n in range(3):  # the third fills the batch: flushed at once, not after 10 s
        recorder.record(
            ApiLogEntry("GET", "/api/v1/x", 200, 1.5, "nina", record.key_id, f"{marker}-{n}", when)
        )
    count = 0
    for _ in range(100):
        async with store.engine.connect() as conn:
            count = (
                await conn.execute(
                    select(func.count()).where(api_logs.c.request_id.like(f"{marker}-%"))
                )
            ).scalar_one()
        if count == 3:
            break
        await asyncio.sleep(0.05)
    assert count == 3
    recorder.record(ApiLogEntry("GET", "/y", 404, 1.0, None, None, f"{marker}-last", when))
    await recorder.stop()  # flushes the rest
    async with store.engine.connect() as conn:
        total = (
            await conn.execute(
                select(func.count()).where(api_logs.c.request_id.like(f"{marker}-%"))
            )
        ).scalar_one()
    assert total == 4
    [stored] = [k for k in await store.list(user_id="nina") if k.key_id == record.key_id]
    assert stored.last_used_at is not None


async def test_prune_logs_deletes_only_rows_older_than_the_cutoff(store: KeyStore) -> None:
    marker = f"prune-{datetime.now(UTC).timestamp()}"
    old = datetime(2001, 1, 1, tzinfo=UTC)
    kept = datetime(2001, 6, 1, tzinfo=UTC)
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(api_logs),
            [
                {
                    "method": "GET",
                    "path": "/x",
                    "status": 200,
                    "latency_ms": 1.0,
                    "request_id": f"{marker}-{n}",
                    "created_at": kept if n == 5 else old,
                }
                for n in range(6)
            ],
        )
    # Five old rows in batches of two: three transactions, every old row gone.
    deleted = await store.prune_logs(before=datetime(2001, 3, 1, tzinfo=UTC), batch_size=2)
    assert deleted == 5
    async with store.engine.connect() as conn:
        left = (
            (
                await conn.execute(
                    select(api_logs.c.request_id).where(api_logs.c.request_id.like(f"{marker}-%"))
                )
            )
            .scalars()
            .all()
        )
    assert left == [f"{marker}-5"]
    assert await store.prune_logs(before=datetime(2001, 3, 1, tzinfo=UTC)) == 0
    with pytest.raises(ValueError):
        await store.prune_logs(before=old, batch_size=0)

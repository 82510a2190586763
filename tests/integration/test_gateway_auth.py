"""Authentication, rate limiting and request logging of the gateway (SQLite and PostgreSQL
key stores, real Redis)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from fintract.keys import api_keys, api_logs
from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    PDF,
    Gateway,
    StandInBackend,
    gateway_fixture,
    gateway_settings,
    open_gateway,
    stand_in_fixture,
)

JOBS = "/api/v1/parse/statements"


def _unauthorized(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "unauthorized"


async def test_missing_malformed_invalid_and_revoked_keys_are_401(gateway: Gateway) -> None:
    _unauthorized(await gateway.client.get(JOBS))
    _unauthorized(await gateway.client.get(JOBS, headers={"Authorization": "Basic abc"}))
    _unauthorized(await gateway.client.get(JOBS, headers={"Authorization": "Bearer "}))
    _unauthorized(
        await gateway.client.get(JOBS, headers={"Authorization": "Bearer ft_not-a-real-key"})
    )
    _unauthorized(await gateway.client.post("/api/v1/parse/upload"))
    _unauthorized(await gateway.client.get("/api/v1/files/anything"))

    record, key = await gateway.store.create("carol", name="laptop")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await gateway.client.get(JOBS, headers=headers)).status_code == 200
    assert await gateway.store.revoke(record.key_id) is True
    _unauthorized(await gateway.client.get(JOBS, headers=headers))


async def test_revocation_takes_effect_within_the_cache_ttl(
    stand_in: StandInBackend, database, redis_url: str, namespace: str
) -> None:
    settings = gateway_settings(
        stand_in.address, database, redis_url, namespace, key_cache_ttl_s=0.5
    )
    async for gw in open_gateway(settings, database):
        record, key = await gw.store.create("dave")
        headers = {"Authorization": f"Bearer {key}"}
        assert (await gw.client.get(JOBS, headers=headers)).status_code == 200
        await gw.store.revoke(record.key_id)
        # still cached: the TTL is the documented window
        assert (await gw.client.get(JOBS, headers=headers)).status_code == 200
        await asyncio.sleep(0.6)
        _unauthorized(await gw.client.get(JOBS, headers=headers))


async def test_rate_limit_is_per_key_with_retry_after(
    stand_in: StandInBackend, database, redis_url: str, namespace: str
) -> None:
    settings = gateway_settings(
        stand_in.address, database, redis_url, namespace, rate_limit_per_minute=3
    )
    async for gw in open_gateway(settings, database):
        first = await gw.key("erin")
        answers = [await gw.client.get(JOBS, headers=first) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert [a.headers["x-ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
        assert answers[0].headers["x-ratelimit-limit"] == "3"
        limited = answers[3]
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # another key of the same user has its own budget; health is never limited
        second = await gw.key("erin")
        assert (await gw.client.get(JOBS, headers=second)).status_code == 200
        for _ in range(5):
            assert (await gw.client.get("/api/v1/health")).status_code == 200


async def test_scopes_are_enforced(gateway: Gateway) -> None:
    headers = await gateway.key("frank", scopes=["payments"])
    response = await gateway.client.get(JOBS, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    ok = await gateway.key("frank", scopes=["parse"])
    assert (await gateway.client.get(JOBS, headers=ok)).status_code == 200


async def test_api_logs_row_written_without_body_and_last_used_set(gateway: Gateway) -> None:
    record, key = await gateway.store.create("grace")
    secret_body = "TOP-SECRET-BODY-CONTENT"
    response = await gateway.client.post(
        JOBS,
        json={"file_id": secret_body, "document_id": "d"},
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": "log-me-1"},
    )
    assert response.status_code == 202
    await gateway.client.get("/api/v1/nowhere", headers={"X-Request-ID": "log-me-2"})
    engine = gateway.store.engine
    rows: list = []
    for _ in range(100):  # the writer flushes every 50 ms in tests
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(api_logs).where(api_logs.c.request_id.in_(["log-me-1", "log-me-2"]))
                )
            ).all()
        if len(rows) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(rows) == 2
    by_id = {row.request_id: row for row in rows}
    logged = by_id["log-me-1"]
    assert (logged.method, logged.path, logged.status) == ("POST", JOBS, 202)
    assert logged.user_id == "grace" and logged.key_id == record.key_id
    assert logged.latency_ms > 0
    anonymous = by_id["log-me-2"]
    assert anonymous.status == 404 and anonymous.user_id is None
    for row in rows:
        assert secret_body not in " ".join(str(v) for v in row)
        assert key not in " ".join(str(v) for v in row)
    async with engine.connect() as conn:
        used = (
            await conn.execute(
                select(api_keys.c.last_used_at).where(api_keys.c.key_id == record.key_id)
            )
        ).scalar_one()
    assert used is not None


async def test_request_id_is_generated_when_absent(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/v1/health")
    assert len(response.headers["x-request-id"]) >= 16
    bad = await gateway.client.get("/api/v1/health", headers={"X-Request-ID": "bad id\twith"})
    assert bad.headers["x-request-id"] != "bad id\twith"


async def test_redis_outage_fails_open_and_shows_in_health(
    stand_in: StandInBackend, database, namespace: str
) -> None:
    from tests.conftest import free_port

    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    settings = gateway_settings(
        stand_in.address, database, dead_redis, namespace, rate_limit_per_minute=1
    )
    async for gw in open_gateway(settings, database):
        alice = await gw.key("alice")
        for _ in range(3):  # over the limit, but the limiter cannot count: allowed
            assert (await gw.client.get(JOBS, headers=alice)).status_code == 200
        health = (await gw.client.get("/api/v1/health")).json()["data"]
        assert health["status"] == "degraded" and health["services"]["redis"] == "down"

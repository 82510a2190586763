"""``GET /api/v1/health`` (no auth): every service's gRPC health, the database, NATS and
Redis, each ``ok`` or ``down``; overall ``ok`` or ``degraded``. Always HTTP 200 (the gateway
itself answers); probes that need a hard failure read ``data.status``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2
from sqlalchemy import text

from gateway.clients import SERVICES
from gateway.deps import State
from gateway.errors import ok
from gateway.state import GatewayState

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 1.5


async def _grpc(state: GatewayState, name: str) -> bool:
    response = await state.clients.health(name).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=CHECK_TIMEOUT_S
    )
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


async def _database(state: GatewayState) -> bool:
    async with state.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True


async def _redis(state: GatewayState) -> bool:
    return bool(await state.redis.ping())


async def _nats(state: GatewayState) -> bool:
    """Speak just enough of the NATS protocol: INFO, CONNECT, PING → PONG."""
    url = urlparse(state.settings.nats_url.split(",")[0])
    reader, writer = await asyncio.open_connection(url.hostname or "127.0.0.1", url.port or 4222)
    try:
        info = await reader.readline()
        if not info.startswith(b"INFO"):
            return False
        writer.write(b'CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n')
        await writer.drain()
        return (await reader.readline()).startswith(b"PONG")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _check(probe: Callable[[], Awaitable[bool]]) -> str:
    try:
        ok = await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - any failure means the dependency is down
        return "down"
    return "ok" if ok else "down"


@router.get("/api/v1/health", summary="Health of the gateway and everything it needs")
async def health(state: State) -> JSONResponse:
    names = [*SERVICES, "database", "nats", "redis"]
    probes: list[Callable[[], Awaitable[bool]]] = [
        *(lambda n=n: _grpc(state, n) for n in SERVICES),
        lambda: _database(state),
        lambda: _nats(state),
        lambda: _redis(state),
    ]
    results = await asyncio.gather(*(_check(p) for p in probes))
    services = dict(zip(names, results, strict=True))
    overall = "ok" if all(v == "ok" for v in results) else "degraded"
    return ok({"status": overall, "services": services})


__all__ = ["router"]

"""REST ↔ gRPC translation of contract §1, over a real gRPC channel to the stand-in backend
(see test_gateway_support), on SQLite and PostgreSQL key stores."""

from __future__ import annotations

from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    PDF,
    PNG,
    Gateway,
    StandInBackend,
    gateway,
    stand_in,
)


async def test_health_needs_no_key_and_reports_each_dependency(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["error"] is None
    services = body["data"]["services"]
    assert set(services) == {"ingest", "parser", "jobs", "payments", "database", "nats", "redis"}
    assert services["database"] == "ok" and services["redis"] == "ok"
    assert services["nats"] == "ok" and services["jobs"] == "ok"
    assert body["data"]["status"] == "ok"

"""REST ↔ gRPC translation of contract §1, over a real gRPC channel to the stand-in backend
(see test_gateway_support), on SQLite and PostgreSQL key stores."""

from __future__ import annotations

import pytest
from fastapi import APIRouter

from gateway.deps import CurrentUser, OptionalUser
from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    PDF,
    PNG,
    Gateway,
    StandInBackend,
    gateway_fixture,
    stand_in_fixture,
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


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def test_upload_several_files_one_bad(gateway: Gateway, stand_in: StandInBackend) -> None:
    headers = await gateway.key("alice")
    files = [
        ("files", ("statement.pdf", PDF + b"alice-1", "application/pdf")),
        ("files", ("notes.txt", b"just some text", "text/plain")),
        ("files", ("shot.png", PNG, "image/png")),
    ]
    response = await gateway.client.post(
        "/api/v1/parse/upload", files=files, data={"password": "pw-123"}, headers=headers
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [f["filename"] for f in data["files"]] == ["statement.pdf", "shot.png"]
    assert data["errors"] == [
        {
            "filename": "notes.txt",
            "code": "unsupported_file_type",
            "message": "only PDF, JPEG and PNG files are accepted",
        }
    ]
    pdf, png = data["files"]
    assert set(pdf) == {
        "file_id",
        "doc_id",
        "file_url",
        "type",
        "filename",
        "size",
        "pages",
        "sha256",
    }
    assert pdf["type"] == "bank_statement" and png["type"] == "payment_screenshot"
    assert pdf["size"] == len(PDF + b"alice-1")
    assert pdf["file_url"] == f"http://gw.test/api/v1/files/{pdf['file_id']}"
    # the password reached ingest with every file
    assert stand_in.seen.passwords[-3:] == ["pw-123", "pw-123", "pw-123"]

    # the stored file streams back with its content type, to its owner only
    got = await gateway.client.get(pdf["file_url"], headers=headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.content == PDF + b"alice-1"
    other = await gateway.client.get(pdf["file_url"], headers=await gateway.key("mallory"))
    _error(other, 404, "not_found")


async def test_upload_where_every_file_fails_answers_with_the_error(gateway: Gateway) -> None:
    headers = await gateway.key("alice")
    encrypted = PDF + b"/Encrypt 5 0 R"
    response = await gateway.client.post(
        "/api/v1/parse/upload",
        files=[("files", ("locked.pdf", encrypted, "application/pdf"))],
        headers=headers,
    )
    error = _error(response, 400, "encrypted_pdf")
    assert error["details"]["errors"][0]["filename"] == "locked.pdf"
    # the right password opens it
    ok = await gateway.client.post(
        "/api/v1/parse/upload",
        files=[("files", ("locked.pdf", encrypted, "application/pdf"))],
        data={"password": "open-sesame"},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.json()["data"]["errors"] == []
    empty = await gateway.client.post(
        "/api/v1/parse/upload",
        files=[("files", ("e.pdf", b"", "application/pdf"))],
        headers=headers,
    )
    _error(empty, 400, "empty_file")
    txt = await gateway.client.post(
        "/api/v1/parse/upload",
        files=[("files", ("a.txt", b"text", "text/plain"))],
        headers=headers,
    )
    _error(txt, 415, "unsupported_file_type")
    none = await gateway.client.post("/api/v1/parse/upload", headers=headers)
    _error(none, 422, "validation_error")


@pytest.mark.parametrize(
    ("prefix", "document_type"),
    [("/api/v1/parse/statements", "bank_statement"), ("/api/v1/parse/invoices", "invoice")],
)
async def test_job_lifecycle_routes(
    gateway: Gateway, stand_in: StandInBackend, prefix: str, document_type: str
) -> None:
    alice = await gateway.key("alice")
    created = await gateway.client.post(
        prefix,
        json={
            "file_id": "f1",
            "document_id": "d1",
            "provider": "local",
            "callback_url": "https://example.com/hook",
        },
        headers={**alice, "X-Request-ID": "req-abc-123"},
    )
    assert created.status_code == 202, created.text
    assert created.headers["x-request-id"] == "req-abc-123"
    assert "req-abc-123" in stand_in.seen.request_ids
    job_id = created.json()["data"]["job_id"]
    assert created.json()["data"] == {"job_id": job_id, "status": "pending"}
    sent = stand_in.seen.create_jobs[-1]
    assert sent.provider == "local" and sent.callback_url == "https://example.com/hook"

    job = (await gateway.client.get(f"{prefix}/{job_id}", headers=alice)).json()["data"]
    assert job["job_id"] == job_id and job["status"] == "pending"
    assert job["document_type"] == document_type
    assert job["results"] is None and job["error"] is None and job["batch_id"] is None
    assert job["created_at"].endswith("Z") and job["completed_at"] is None
    for field in ("file_id", "document_id", "pages_total", "pages_done", "updated_at"):
        assert field in job

    listed = await gateway.client.get(prefix, params={"page_size": 1}, headers=alice)
    page = listed.json()["data"]
    assert page["items"][0]["job_id"] == job_id
    assert page["page"] == 1 and page["page_size"] == 1 and page["total"] >= 1
    bad_status = await gateway.client.get(prefix, params={"status": "nope"}, headers=alice)
    _error(bad_status, 422, "validation_error")

    batch = await gateway.client.post(
        f"{prefix}/batch",
        json={"files": [{"file_id": f"f{i}", "document_id": f"d{i}"} for i in range(3)]},
        headers=alice,
    )
    assert batch.status_code == 202
    created_batch = batch.json()["data"]
    assert created_batch["status"] == "pending" and created_batch["total"] == 3
    assert [j["file_id"] for j in created_batch["jobs"]] == ["f0", "f1", "f2"]
    status = await gateway.client.get(f"{prefix}/batch/{created_batch['batch_id']}", headers=alice)
    data = status.json()["data"]
    assert data["pending"] == 3 and data["completed"] == 0 and len(data["jobs"]) == 3
    assert data["jobs"][0]["status"] == "pending" and data["jobs"][0]["error"] is None

    # another user sees none of it
    bob = await gateway.key("bob")
    _error(await gateway.client.get(f"{prefix}/{job_id}", headers=bob), 404, "not_found")
    _error(
        await gateway.client.get(f"{prefix}/batch/{created_batch['batch_id']}", headers=bob),
        404,
        "not_found",
    )
    assert (await gateway.client.get(prefix, headers=bob)).json()["data"]["total"] == 0


async def test_a_statement_job_is_not_served_as_an_invoice(gateway: Gateway) -> None:
    alice = await gateway.key("alice")
    created = await gateway.client.post(
        "/api/v1/parse/statements", json={"file_id": "f", "document_id": "d"}, headers=alice
    )
    job_id = created.json()["data"]["job_id"]
    wrong = await gateway.client.get(f"/api/v1/parse/invoices/{job_id}", headers=alice)
    _error(wrong, 404, "not_found")


async def test_validation_errors_use_the_envelope(gateway: Gateway) -> None:
    alice = await gateway.key("alice")
    malformed = await gateway.client.post(
        "/api/v1/parse/statements",
        content=b'{"file_id": "x", ',
        headers={**alice, "content-type": "application/json"},
    )
    _error(malformed, 422, "validation_error")
    missing = await gateway.client.post(
        "/api/v1/parse/invoices", json={"file_id": "x"}, headers=alice
    )
    error = _error(missing, 422, "validation_error")
    assert error["details"]["errors"][0]["field"] == "document_id"
    too_many = await gateway.client.post(
        "/api/v1/parse/statements/batch",
        json={"files": [{"file_id": f"f{i}", "document_id": f"d{i}"} for i in range(51)]},
        headers=alice,
    )
    _error(too_many, 422, "validation_error")
    empty = await gateway.client.post(
        "/api/v1/parse/statements/batch", json={"files": []}, headers=alice
    )
    _error(empty, 422, "validation_error")
    provider = await gateway.client.post(
        "/api/v1/parse/statements",
        json={"file_id": "x", "document_id": "y", "provider": "openai"},
        headers=alice,
    )
    _error(provider, 422, "validation_error")


async def test_unknown_route_is_a_404_envelope(gateway: Gateway) -> None:
    _error(await gateway.client.get("/api/v1/nope"), 404, "not_found")
    _error(await gateway.client.delete("/api/v1/health"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("status", "code", "http", "expected_code"),
    [
        ("NOT_FOUND", "not_found", 404, "not_found"),
        ("INVALID_ARGUMENT", "corrupt_file", 400, "corrupt_file"),
        ("INVALID_ARGUMENT", "unsupported_file_type", 415, "unsupported_file_type"),
        ("INVALID_ARGUMENT", "encrypted_pdf", 400, "encrypted_pdf"),
        ("INVALID_ARGUMENT", "wrong_password", 400, "wrong_password"),
        ("INVALID_ARGUMENT", "invalid_callback_url", 400, "invalid_callback_url"),
        ("RESOURCE_EXHAUSTED", "file_too_large", 413, "file_too_large"),
        ("RESOURCE_EXHAUSTED", "too_many_pages", 413, "too_many_pages"),
        ("RESOURCE_EXHAUSTED", "image_too_large", 413, "image_too_large"),
        ("RESOURCE_EXHAUSTED", "rate_limited", 429, "rate_limited"),
        ("FAILED_PRECONDITION", "invalid_transition", 409, "invalid_transition"),
        ("ALREADY_EXISTS", "conflict", 409, "conflict"),
        ("UNAVAILABLE", "unavailable", 503, "unavailable"),
        ("INTERNAL", "extraction_failed", 500, "internal_error"),
        ("INTERNAL", "internal_error", 500, "internal_error"),
        ("UNKNOWN", "whatever", 500, "internal_error"),
    ],
)
async def test_grpc_errors_map_to_http(
    gateway: Gateway, status: str, code: str, http: int, expected_code: str
) -> None:
    alice = await gateway.key("alice")
    response = await gateway.client.get(
        f"/api/v1/parse/statements/fail.{status}.{code}", headers=alice
    )
    _error(response, http, expected_code)
    if http >= 500:
        assert "secret detail" not in response.text


async def test_an_unexpected_service_failure_leaks_nothing(gateway: Gateway) -> None:
    alice = await gateway.key("alice")
    response = await gateway.client.get("/api/v1/parse/statements/crash", headers=alice)
    _error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


async def test_services_down_is_503_and_health_degraded(
    gateway: Gateway, database, redis_url: str, namespace: str
) -> None:
    from tests.conftest import free_port
    from tests.integration.test_gateway_support import gateway_settings, open_gateway

    dead = f"127.0.0.1:{free_port()}"
    settings = gateway_settings(dead, database, redis_url, namespace, rpc_timeout_s=2)
    async for gw in open_gateway(settings, database):
        alice = await gw.key("alice")
        response = await gw.client.get("/api/v1/parse/statements/x", headers=alice)
        _error(response, 503, "unavailable")
        health = (await gw.client.get("/api/v1/health")).json()["data"]
        assert health["status"] == "degraded"
        assert health["services"]["jobs"] == "down" and health["services"]["redis"] == "ok"


async def test_oversized_requests_are_refused_before_reading(
    stand_in: StandInBackend, database, redis_url: str, namespace: str
) -> None:
    from tests.integration.test_gateway_support import gateway_settings, open_gateway

    settings = gateway_settings(
        stand_in.address,
        database,
        redis_url,
        namespace,
        max_request_bytes=2000,
        max_file_bytes=500,
    )
    async for gw in open_gateway(settings, database):
        alice = await gw.key("alice")
        big = await gw.client.post(
            "/api/v1/parse/upload",
            files=[("files", ("big.pdf", PDF + b"0" * 5000, "application/pdf"))],
            headers=alice,
        )
        _error(big, 413, "request_too_large")
        assert big.headers["x-request-id"]
        # under the request limit but over the per-file one: refused per file
        mixed = await gw.client.post(
            "/api/v1/parse/upload",
            files=[
                ("files", ("ok.pdf", PDF, "application/pdf")),
                ("files", ("fat.pdf", PDF + b"0" * 900, "application/pdf")),
            ],
            headers=alice,
        )
        assert mixed.status_code == 200
        data = mixed.json()["data"]
        assert [f["filename"] for f in data["files"]] == ["ok.pdf"]
        assert [(e["filename"], e["code"]) for e in data["errors"]] == [
            ("fat.pdf", "file_too_large")
        ]


async def test_openapi_lists_the_contract(gateway: Gateway) -> None:
    assert (await gateway.client.get("/docs")).status_code == 200
    paths = (await gateway.client.get("/openapi.json")).json()["paths"]
    for prefix in ("/api/v1/parse/statements", "/api/v1/parse/invoices"):
        assert set(paths[prefix]) == {"get", "post"}
        for suffix in ("/{job_id}", "/batch", "/batch/{batch_id}"):
            assert prefix + suffix in paths
    assert "/api/v1/parse/upload" in paths and "/api/v1/files/{file_id}" in paths


async def test_routers_plug_in_and_optional_auth(
    stand_in: StandInBackend, database, redis_url: str, namespace: str
) -> None:
    """Another area adds its router to the list and reuses the auth dependencies."""
    from gateway.app import create_app
    from gateway.routes import ROUTERS
    from tests.integration.test_gateway_support import gateway_settings, open_gateway

    extra = APIRouter()

    @extra.get("/whoami")
    async def whoami(user: OptionalUser) -> dict:
        return {"user": user.user_id if user else None}

    @extra.get("/mine")
    async def mine(user: CurrentUser) -> dict:
        return {"user": user.user_id}

    settings = gateway_settings(stand_in.address, database, redis_url, namespace)
    app = create_app(settings, routers=[*ROUTERS, extra])
    async for gw in open_gateway(settings, database, app=app):
        alice = await gw.key("alice")
        assert (await gw.client.get("/whoami")).json() == {"user": None}
        assert (await gw.client.get("/whoami", headers=alice)).json() == {"user": "alice"}
        bad = await gw.client.get("/whoami", headers={"Authorization": "Bearer ft_nope"})
        assert bad.status_code == 401
        assert (await gw.client.get("/mine")).status_code == 401
        assert (await gw.client.get("/mine", headers=alice)).json() == {"user": "alice"}
        assert (await gw.client.get("/api/v1/parse/statements", headers=alice)).status_code == 200

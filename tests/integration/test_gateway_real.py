"""The gateway in front of the REAL ingest and jobs services (started in-process on free
ports, real Redis, NATS JetStream, SQLite/PostgreSQL and a blob folder): uploads, files,
jobs and batches, ownership, and real error codes mapped to HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pymupdf
import pytest

from tests.integration.test_gateway_support import Gateway, gateway_settings, open_gateway


def _pdf(text: str, *, password: str | None = None) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text, fontsize=11)
    if password:
        data = doc.tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw=password, user_pw=password
        )
    else:
        data = doc.tobytes()
    doc.close()
    return data


STATEMENT = (
    "State Bank of India  Statement of Account\nAccount Number 1234567890  IFSC SBIN0001234\n"
    "Date Description Debit Credit Balance\nOpening Balance 1,000.00\n"
    "03-01-2025 UPI/ZOMATO 250.00 750.00\nClosing Balance 750.00"
)


@dataclass
class RealStack:
    gateway: Gateway


@pytest.fixture
async def real(
    database, redis_url: str, nats_url: str, namespace: str, blob_root
) -> AsyncIterator[RealStack]:
    from services.ingest.server import start as start_ingest
    from services.ingest.settings import IngestSettings
    from services.jobs.server import start as start_jobs
    from services.jobs.settings import JobsSettings

    common = {
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": namespace,
        "DATABASE_URL": database.url,
        "DATABASE_SCHEMA": database.schema,
        "REDIS_URL": redis_url,
        "NATS_URL": nats_url,
        "STORAGE_URL": f"file://{blob_root}",
        "LOG_JSON": True,
    }
    ingest = await start_ingest(IngestSettings(_env_file=None, **common), address="127.0.0.1:0")
    jobs = await start_jobs(
        JobsSettings(_env_file=None, INGEST_ADDR=f"127.0.0.1:{ingest.port}", **common),
        address="127.0.0.1:0",
    )
    settings = gateway_settings("127.0.0.1:1", database, redis_url, namespace)
    settings.ingest_addr = f"127.0.0.1:{ingest.port}"
    settings.jobs_addr = f"127.0.0.1:{jobs.port}"
    settings.nats_url = nats_url
    try:
        async for gw in open_gateway(settings, database):
            yield RealStack(gateway=gw)
    finally:
        await jobs.stop(1)
        await ingest.stop(1)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True and body["error"] is None
    return body["data"]


def _err(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_upload_parse_and_ownership_with_real_services(real: RealStack) -> None:
    gw = real.gateway
    alice, bob = await gw.key("alice"), await gw.key("bob")
    statement = _pdf(STATEMENT)
    data = _ok(
        await gw.client.post(
            "/api/v1/parse/upload",
            files=[
                ("files", ("jan.pdf", statement, "application/pdf")),
                ("files", ("notes.txt", b"plain words, not a document", "text/plain")),
            ],
            headers=alice,
        )
    )
    [doc] = data["files"]
    assert doc["filename"] == "jan.pdf" and doc["pages"] == 1 and doc["size"] == len(statement)
    assert doc["type"] in ("bank_statement", "invoice", "payment_screenshot", "unknown")
    assert [e["code"] for e in data["errors"]] == ["unsupported_file_type"]

    downloaded = await gw.client.get(doc["file_url"].replace("http://gw.test", ""), headers=alice)
    assert downloaded.status_code == 200 and downloaded.content == statement
    assert downloaded.headers["content-type"] == "application/pdf"
    _err(await gw.client.get(f"/api/v1/files/{doc['file_id']}", headers=bob), 404, "not_found")

    created = _ok(
        await gw.client.post(
            "/api/v1/parse/statements",
            json={"file_id": doc["file_id"], "document_id": doc["doc_id"]},
            headers=alice,
        ),
        202,
    )
    job = _ok(await gw.client.get(f"/api/v1/parse/statements/{created['job_id']}", headers=alice))
    assert job["status"] in ("pending", "processing") and job["results"] is None
    assert job["file_id"] == doc["file_id"] and job["document_id"] == doc["doc_id"]
    assert job["document_type"] == "bank_statement" and job["created_at"].endswith("Z")
    _err(
        await gw.client.get(f"/api/v1/parse/statements/{created['job_id']}", headers=bob),
        404,
        "not_found",
    )
    # bob cannot parse alice's document either
    stolen = await gw.client.post(
        "/api/v1/parse/statements",
        json={"file_id": doc["file_id"], "document_id": doc["doc_id"]},
        headers=bob,
    )
    _err(stolen, 404, "not_found")

    listed = _ok(await gw.client.get("/api/v1/parse/statements", headers=alice))
    assert created["job_id"] in [item["job_id"] for item in listed["items"]]
    assert _ok(await gw.client.get("/api/v1/parse/statements", headers=bob))["total"] == 0

    batch = _ok(
        await gw.client.post(
            "/api/v1/parse/invoices/batch",
            json={"files": [{"file_id": doc["file_id"], "document_id": doc["doc_id"]}] * 2},
            headers=alice,
        ),
        202,
    )
    assert batch["total"] == 2 and len(batch["jobs"]) == 2
    status = _ok(
        await gw.client.get(f"/api/v1/parse/invoices/batch/{batch['batch_id']}", headers=alice)
    )
    assert status["total"] == 2 and status["pending"] + status["processing"] == 2
    _err(
        await gw.client.get(f"/api/v1/parse/invoices/batch/{batch['batch_id']}", headers=bob),
        404,
        "not_found",
    )


async def test_real_ingest_refusals_map_to_http(real: RealStack) -> None:
    gw = real.gateway
    alice = await gw.key("alice")

    async def upload(name: str, data: bytes, **form: str):
        return await gw.client.post(
            "/api/v1/parse/upload",
            files=[("files", (name, data, "application/pdf"))],
            data=form or None,
            headers=alice,
        )

    _err(await upload("a.pdf", b"just a few words of plain text"), 415, "unsupported_file_type")
    _err(await upload("locked.pdf", _pdf(STATEMENT, password="pw1")), 400, "encrypted_pdf")
    opened = await upload("locked.pdf", _pdf(STATEMENT, password="pw1"), password="pw1")
    assert opened.status_code == 200, opened.text
    _err(await upload("broken.pdf", b"%PDF-1.7\n garbage garbage"), 400, "corrupt_file")
    _err(await upload("empty.pdf", b""), 400, "empty_file")

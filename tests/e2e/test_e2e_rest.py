"""Contract §1 end to end: REST → gateway → ingest/jobs → NATS → parser workers → results."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from fintract.devstack import Stack
from tests.conftest import free_port
from tests.e2e.conftest import cli, new_key, stored_blobs
from tests.factories import encrypted_pdf, image_bytes, simple_statement_pdf, text_pdf

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"
JOB_KEYS = {
    "job_id",
    "status",
    "document_type",
    "document_id",
    "file_id",
    "batch_id",
    "pages_total",
    "pages_done",
    "results",
    "error",
    "created_at",
    "updated_at",
    "completed_at",
}
FILE_KEYS = {"file_id", "doc_id", "file_url", "type", "filename", "size", "pages", "sha256"}


def invoice_pdf(number: str) -> bytes:
    return text_pdf(
        [
            [
                "ACME Supplies GmbH                         TAX INVOICE",
                f"Invoice No: {number}          Invoice Date: 14/03/2025",
                "Bill To: Example Buyer Ltd, 4 Main Street",
                "Description              Qty     Unit Price      Amount",
                "Paper A4                 10       32.00          320.00",
                "Stapler                   2       40.00           80.00",
                "Subtotal                                         400.00",
                "VAT 19%                                           76.00",
                "Total                                            476.00",
            ]
        ]
    )


def upload(client: httpx.Client, *files: tuple[str, bytes, str], **form: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/parse/upload", files=[("files", f) for f in files], data=form or None
    )
    body = response.json()
    assert set(body) == {"success", "data", "error"}, body
    return {"status": response.status_code, **body}


def wait_job(client: httpx.Client, kind: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/parse/{kind}/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()["data"]
        if job["status"] in ("completed", "failed"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def submit(client: httpx.Client, kind: str, doc: dict[str, Any], **extra: Any) -> str:
    response = client.post(
        f"/api/v1/parse/{kind}",
        json={"file_id": doc["file_id"], "document_id": doc["doc_id"], **extra},
    )
    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["status"] == "pending"
    return str(data["job_id"])


@pytest.mark.parametrize(
    ("kind", "document", "doc_type", "example"),
    [
        (
            "statements",
            simple_statement_pdf(6, pages=2),
            "bank_statement",
            "bank_statement.example.json",
        ),
        ("invoices", invoice_pdf("INV-E2E-1"), "invoice", "invoice.example.json"),
    ],
    ids=["statement", "invoice"],
)
def test_upload_submit_and_read_the_result(
    alice: httpx.Client, kind: str, document: bytes, doc_type: str, example: str
) -> None:
    up = upload(alice, (f"{doc_type}.pdf", document, "application/pdf"))
    assert up["status"] == 200 and up["success"], up
    [doc] = up["data"]["files"]
    assert set(doc) >= FILE_KEYS
    assert doc["sha256"] == hashlib.sha256(document).hexdigest()
    assert doc["type"] == doc_type
    assert alice.get(doc["file_url"]).content == document

    job_id = submit(alice, kind, doc)
    job = wait_job(alice, kind, job_id)
    assert set(job) >= JOB_KEYS
    assert job["status"] == "completed", job["error"]
    assert job["document_type"] == doc_type
    assert job["pages_done"] == job["pages_total"] == doc["pages"]
    assert job["completed_at"] and job["error"] is None
    if (CONTRACT / example).exists():
        expected = json.loads((CONTRACT / example).read_text())
        assert set(job["results"]) == set(expected)
        for key, value in expected.items():
            if isinstance(value, dict):
                assert set(job["results"][key]) == set(value), key


def test_batch_of_fifty_completes_and_counts_add_up(alice: httpx.Client) -> None:
    files = [
        (f"s{i}.pdf", simple_statement_pdf(2 + i % 3) + f"%{i}\n".encode(), "application/pdf")
        for i in range(50)
    ]
    up = upload(alice, *files)
    docs = up["data"]["files"]
    assert len(docs) == 50 and not up["data"]["errors"]
    response = alice.post(
        "/api/v1/parse/statements/batch",
        json={"files": [{"file_id": d["file_id"], "document_id": d["doc_id"]} for d in docs]},
    )
    assert response.status_code == 202, response.text
    created = response.json()["data"]
    assert created["total"] == 50 and len(created["jobs"]) == 50
    deadline = time.monotonic() + 240
    while True:
        batch = alice.get(f"/api/v1/parse/statements/batch/{created['batch_id']}").json()["data"]
        counts = [batch[k] for k in ("pending", "processing", "completed", "failed")]
        assert sum(counts) == batch["total"] == 50, batch
        if batch["completed"] + batch["failed"] == 50:
            break
        assert time.monotonic() < deadline, batch
        time.sleep(0.25)
    assert batch["completed"] == 50 and batch["status"] == "completed"
    assert {j["status"] for j in batch["jobs"]} == {"completed"}
    one = alice.get(f"/api/v1/parse/statements/{batch['jobs'][0]['job_id']}").json()["data"]
    assert one["batch_id"] == created["batch_id"]


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


def test_callback_arrives_signed(stack: Stack, alice: httpx.Client) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        doc = upload(alice, ("cb.pdf", simple_statement_pdf(3) + b"%cb\n", "application/pdf"))[
            "data"
        ]["files"][0]
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        job_id = submit(alice, "statements", doc, callback_url=url)
        deadline = time.monotonic() + 60
        while not _Receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _Receiver.received, "no callback arrived"
        headers, body = _Receiver.received[0]
        secret = stack.env["CALLBACK_SECRET"].encode()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        signature = {k.lower(): v for k, v in headers.items()}["x-signature"]
        assert hmac.compare_digest(signature, expected)
        payload = json.loads(body)
        assert payload["job_id"] == job_id and payload["status"] == "completed"
        # a callback sends exactly what GET returns for the same job, extra keys included
        rest = alice.get(f"/api/v1/parse/statements/{job_id}").json()["data"]
        assert payload == rest and {"provider", "model", "escalated_pages"} <= set(payload)
    finally:
        server.shutdown()


def test_callback_to_a_private_address_is_refused(alice: httpx.Client) -> None:
    doc = upload(alice, ("p.pdf", simple_statement_pdf(2) + b"%p\n", "application/pdf"))["data"][
        "files"
    ][0]
    response = alice.post(
        "/api/v1/parse/statements",
        json={
            "file_id": doc["file_id"],
            "document_id": doc["doc_id"],
            "callback_url": "http://10.1.2.3/hook",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_callback_url"


def test_listing_is_newest_first_paginated_and_filtered(stack: Stack) -> None:
    key = new_key(stack, "carol")
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as carol:
        docs = upload(
            carol,
            *[
                (f"c{i}.pdf", simple_statement_pdf(2) + f"%c{i}\n".encode(), "application/pdf")
                for i in range(5)
            ],
        )["data"]["files"]
        ids = [submit(carol, "statements", d) for d in docs]
        for job_id in ids:
            wait_job(carol, "statements", job_id)
        page1 = carol.get("/api/v1/parse/statements", params={"page": 1, "page_size": 2}).json()
        data = page1["data"]
        assert (data["total"], data["total_pages"], data["page"], data["page_size"]) == (5, 3, 1, 2)
        seen = [
            j["job_id"]
            for p in (1, 2, 3)
            for j in carol.get(
                "/api/v1/parse/statements", params={"page": p, "page_size": 2}
            ).json()["data"]["items"]
        ]
        assert seen == list(reversed(ids))
        done = carol.get("/api/v1/parse/statements", params={"status": "completed"}).json()["data"]
        assert done["total"] == 5
        assert (
            carol.get("/api/v1/parse/statements", params={"status": "failed"}).json()["data"][
                "total"
            ]
            == 0
        )
        assert carol.get("/api/v1/parse/invoices").json()["data"]["total"] == 0


def test_missing_invalid_and_revoked_keys_get_401(stack: Stack, anonymous: httpx.Client) -> None:
    assert anonymous.get("/api/v1/health").status_code == 200
    for headers in (
        {},
        {"Authorization": "Bearer ft_not_a_real_key"},
        {"Authorization": "Basic x"},
    ):
        response = anonymous.get("/api/v1/parse/statements", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    key = new_key(stack, "dave")
    auth = {"Authorization": f"Bearer {key}"}
    assert anonymous.get("/api/v1/parse/statements", headers=auth).status_code == 200
    [line] = [
        json.loads(x)
        for x in cli(stack, "keys", "list", "--user", "dave", "--json").splitlines()
        if x.strip()
    ]
    cli(stack, "keys", "revoke", line["key_id"])
    assert anonymous.get("/api/v1/parse/statements", headers=auth).status_code == 401


def test_another_users_things_are_not_found(alice: httpx.Client, bob: httpx.Client) -> None:
    doc = upload(alice, ("mine.pdf", simple_statement_pdf(2) + b"%mine\n", "application/pdf"))[
        "data"
    ]["files"][0]
    job_id = submit(alice, "statements", doc)
    batch = alice.post(
        "/api/v1/parse/statements/batch",
        json={"files": [{"file_id": doc["file_id"], "document_id": doc["doc_id"]}]},
    ).json()["data"]
    for path in (
        f"/api/v1/parse/statements/{job_id}",
        f"/api/v1/parse/statements/batch/{batch['batch_id']}",
        f"/api/v1/files/{doc['file_id']}",
        "/api/v1/parse/statements/00000000-0000-0000-0000-000000000000",
    ):
        response = bob.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    stolen = bob.post(
        "/api/v1/parse/statements", json={"file_id": doc["file_id"], "document_id": doc["doc_id"]}
    )
    assert stolen.status_code == 404
    assert bob.get("/api/v1/parse/statements").json()["data"]["total"] == 0


@pytest.mark.parametrize(
    ("name", "content", "code", "status"),
    [
        ("notes.pdf", b"just some text, not a pdf at all" * 4, "unsupported_file_type", 415),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage without xref\n", "corrupt_file", 400),
        ("locked.pdf", encrypted_pdf("s3cret"), "encrypted_pdf", 400),
        ("empty.pdf", b"", "empty_file", 400),
        ("huge.pdf", b"%PDF-1.7\n" + b"0" * (25 * 1024 * 1024 + 10), "file_too_large", 413),
        ("many.pdf", text_pdf([["p"]] * 501), "too_many_pages", 413),
    ],
)
def test_bad_uploads_get_their_code_and_store_nothing(
    stack: Stack, alice: httpx.Client, name: str, content: bytes, code: str, status: int
) -> None:
    before = stored_blobs(stack)
    up = upload(alice, (name, content, "application/pdf"))
    errors = up["data"]["errors"] if up["data"] else []
    if errors:
        assert [e["code"] for e in errors] == [code]
        assert errors[0]["filename"] == name
    else:
        assert up["status"] == status and up["error"]["code"] == code, up
    assert stored_blobs(stack) == before


def test_good_and_bad_files_in_one_upload(stack: Stack, alice: httpx.Client) -> None:
    before = len(stored_blobs(stack))
    up = upload(
        alice,
        ("ok.pdf", simple_statement_pdf(2) + b"%ok\n", "application/pdf"),
        ("bad.pdf", b"nope" * 10, "application/pdf"),
    )
    assert up["success"]
    assert [f["filename"] for f in up["data"]["files"]] == ["ok.pdf"]
    assert [e["code"] for e in up["data"]["errors"]] == ["unsupported_file_type"]
    assert len(stored_blobs(stack)) == before + 1


def test_password_opens_an_encrypted_pdf_and_is_not_kept(stack: Stack, alice: httpx.Client) -> None:
    locked = encrypted_pdf("s3cret", ("Statement of Account", "Opening Balance 100.00"))
    up = upload(alice, ("locked.pdf", locked, "application/pdf"), password="s3cret")
    [doc] = up["data"]["files"]
    stored = alice.get(doc["file_url"]).content
    assert stored.startswith(b"%PDF") and b"s3cret" not in stored
    import pymupdf

    assert not pymupdf.open(stream=stored, filetype="pdf").needs_pass
    wrong = upload(alice, ("locked2.pdf", locked + b"\n", "application/pdf"), password="nope")
    codes = (
        [e["code"] for e in wrong["data"]["errors"]] if wrong["data"] else [wrong["error"]["code"]]
    )
    assert codes == ["wrong_password"]


def test_real_type_wins_over_the_name_and_names_are_sanitised(alice: httpx.Client) -> None:
    png = image_bytes(640, 480, text="receipt")
    [doc] = upload(alice, ("../../etc/passwd.pdf", png, "application/pdf"))["data"]["files"]
    assert doc["pages"] == 1
    assert "/" not in doc["filename"] and ".." not in doc["filename"]
    assert not doc["file_id"].endswith(".pdf")
    assert alice.get(doc["file_url"]).headers["content-type"].startswith("image/png")


def test_same_bytes_twice_is_the_same_document(alice: httpx.Client, bob: httpx.Client) -> None:
    data = simple_statement_pdf(3) + b"%twice\n"
    first = upload(alice, ("a.pdf", data, "application/pdf"))["data"]["files"][0]
    again = upload(alice, ("b.pdf", data, "application/pdf"))["data"]["files"][0]
    other = upload(bob, ("a.pdf", data, "application/pdf"))["data"]["files"][0]
    assert (first["doc_id"], first["file_id"]) == (again["doc_id"], again["file_id"])
    assert other["doc_id"] != first["doc_id"]


def test_malformed_json_and_oversized_batches_get_422(alice: httpx.Client) -> None:
    bad = alice.post(
        "/api/v1/parse/statements",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    too_many = alice.post(
        "/api/v1/parse/invoices/batch",
        json={"files": [{"file_id": f"f{i}", "document_id": f"d{i}"} for i in range(51)]},
    )
    assert too_many.status_code == 422

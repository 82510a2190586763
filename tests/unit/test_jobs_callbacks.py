"""Callback signing, the callback-URL guard, back-off, and the contract JSON of jobs/batches."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from pydantic import ValidationError

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.results.v1 import results_pb2
from services.common.errors import InvalidCallbackUrl
from services.jobs.callbacks import Allowlist, backoff_delay, check_callback_url, sign
from services.jobs.payload import batch_json, encode, job_json
from services.jobs.settings import JobsSettings

JOB_KEYS = [
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
    "provider",
    "model",
    "escalated_pages",
]


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"job_id":"x","status":"completed"}'
    expected = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert sign("k3y", body) == f"sha256={expected}"
    assert sign("k3y", body + b" ") != sign("k3y", body)
    assert sign("other", body) != sign("k3y", body)


def test_backoff_doubles_and_is_capped() -> None:
    delays = [backoff_delay(n, base=2, cap=20) for n in range(1, 7)]
    assert delays == [2, 4, 8, 16, 20, 20]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/h",
        "http://10.0.0.8/h",
        "http://192.168.1.1/h",
        "http://172.16.5.4/h",
        "http://169.254.169.254/h",
        "http://100.64.0.1/h",  # carrier-grade NAT
        "http://0.0.0.0/h",
        "http://[::1]/h",
        "http://[fe80::1]/h",
        "http://[fd00::1]/h",
        "http://[::ffff:127.0.0.1]/h",  # IPv4-mapped loopback
        "http://224.0.0.1/h",
        "gopher://example.com/",
        "http:///nohost",
        "http://u:p@93.184.216.34/",
    ],
)
async def test_non_public_or_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidCallbackUrl) as refused:
        await check_callback_url(url, Allowlist.parse([]))
    assert refused.value.code == "invalid_callback_url"


async def test_public_addresses_pass_and_allow_list_opens_private_ones() -> None:
    assert await check_callback_url("https://93.184.216.34/hook", Allowlist.parse([]))
    allow = Allowlist.parse(["127.0.0.1", "10.0.0.0/8", "hooks.internal"])
    assert await check_callback_url("http://127.0.0.1:8080/h", allow)
    assert await check_callback_url("http://10.20.30.40/h", allow)
    assert await check_callback_url("http://hooks.internal/h", allow)  # by name, not resolved
    with pytest.raises(InvalidCallbackUrl):
        await check_callback_url("http://127.0.0.2/h", allow)
    with pytest.raises(InvalidCallbackUrl):  # localhost resolves to loopback
        await check_callback_url("http://localhost/h", Allowlist.parse([]))
    with pytest.raises(InvalidCallbackUrl):  # does not resolve at all
        await check_callback_url("http://no-such-host.invalid/h", Allowlist.parse([]))


def test_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        JobsSettings(FINTRACT_ENV="production", CALLBACK_SECRET="changeme")
    assert JobsSettings(FINTRACT_ENV="production", CALLBACK_SECRET="s3cr3t-long").callback_secret
    assert JobsSettings(FINTRACT_ENV="development").callback_secret == "dev-secret"


def test_job_json_matches_the_contract_shape() -> None:
    job = jobs_pb2.Job(
        job_id="j1",
        user_id="u",
        status=jobs_pb2.JOB_STATUS_COMPLETED,
        document_type=results_pb2.DOCUMENT_TYPE_BANK_STATEMENT,
        document_id="d1",
        file_id="f1",
        pages_total=3,
        pages_done=3,
    )
    job.created_at.FromSeconds(1_795_000_000)
    job.updated_at.FromSeconds(1_795_000_005)
    job.completed_at.FromSeconds(1_795_000_005)
    job.result.bank_statement.document_type = "bank_statement"
    job.result.bank_statement.account.SetInParent()  # as results built by the engines have
    job.result.bank_statement.transactions.add(description="X", amount=-2.5, page=1)
    payload = job_json(job)
    assert list(payload) == JOB_KEYS
    assert payload["status"] == "completed" and payload["document_type"] == "bank_statement"
    assert payload["batch_id"] is None and payload["error"] is None
    assert payload["created_at"] == "2026-11-18T11:06:40Z"
    results = payload["results"]
    assert results["document_type"] == "bank_statement"
    assert results["account"]["bank_name"] is None  # every field present, null where unknown
    assert results["transactions"][0]["debit"] is None
    assert results["transactions"][0]["amount"] == -2.5
    assert "provenance" not in results
    assert json.loads(encode(payload)) == payload

    failed = jobs_pb2.Job(job_id="j2", status=jobs_pb2.JOB_STATUS_FAILED, batch_id="b1")
    failed.error.code, failed.error.message = "page_failed", "page 2: boom"
    out = job_json(failed)
    assert out["results"] is None and out["completed_at"] is None and out["batch_id"] == "b1"
    assert out["error"] == {"code": "page_failed", "message": "page 2: boom"}


def test_batch_json_matches_the_contract_shape() -> None:
    batch = jobs_pb2.Batch(
        batch_id="b", status=jobs_pb2.BATCH_STATUS_PARTIAL, total=2, completed=1, failed=1
    )
    batch.jobs.add(
        job_id="j1", file_id="f1", document_id="d1", status=jobs_pb2.JOB_STATUS_COMPLETED
    )
    item = batch.jobs.add(job_id="j2", file_id="f2", document_id="d2")
    item.status = jobs_pb2.JOB_STATUS_FAILED
    item.error.code = "corrupt_file"
    out = batch_json(batch)
    assert list(out) == [
        "batch_id",
        "status",
        "total",
        "pending",
        "processing",
        "completed",
        "failed",
        "jobs",
        "created_at",
        "updated_at",
    ]
    assert out["status"] == "partial"
    assert out["jobs"][0] == {
        "job_id": "j1",
        "file_id": "f1",
        "document_id": "d1",
        "status": "completed",
        "error": None,
    }
    assert out["jobs"][1]["error"] == {"code": "corrupt_file", "message": ""}

"""Provider routing in the parse pipeline (issue 6): real ingest, jobs and parser workers
over NATS, Redis and SQLite; Gemini is the local wire-protocol server answered through the
real google-genai SDK. Hybrid sends only the pages the engine cannot vouch for, keeps
Gemini's answer only when it is verified and better checked, and never fails a job because
Gemini is down; provider=gemini fails the job with ``ai_failed`` when every model fails."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image, ImageStat

from bench.invoices.generate import make_invoice
from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.parser.v1 import parser_pb2, parser_pb2_grpc
from fintract.api.results.v1 import results_pb2
from gateway.serialize import job_json
from services.parser.escalation import PAGE_LONG_SIDE
from tests.factories import text_pdf
from tests.gemini_server import GeminiServer, answer, server_error
from tests.hybrid_docs import page_answer, statement
from tests.integration.test_pipeline_support import BANK, INVOICE, Stack, open_stack

FLASH = "gemini-2.0-flash-exp"
USER = "hybrid-user"


INVOICE_LINES = [
    "ACME Traders",
    "TAX INVOICE",
    "Invoice No: INV-2025-007",
    "Invoice Date: 05/01/2025",
    "Widgets assorted, two boxes of fifty 100.00",
    "GST 18% 18.00",
    "Total 118.00",
]
INVOICE_ANSWER = {
    "invoice_number": "INV-2025-007",
    "invoice_date": "2025-01-05",
    "due_date": None,
    "currency": "INR",
    "seller": {"name": "ACME Traders", "address": None, "tax_id": None},
    "buyer": {"name": None, "address": None, "tax_id": None},
    "line_items": [
        {
            "description": "Widgets assorted, two boxes of fifty",
            "quantity": None,
            "unit_price": None,
            "amount": 100.0,
            "tax_rate": None,
        }
    ],
    "subtotal": 100.0,
    "taxes": [{"type": "GST", "rate": 18.0, "amount": 18.0}],
    "tax_total": 18.0,
    "total": 118.0,
    "amount_due": 118.0,
}


@pytest.fixture
async def gemini(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GeminiServer]:
    server = GeminiServer()
    await server.start()
    for name in ("GOOGLE_API_KEY2", "GEMINI_API_KEY", "GEMINI_API_KEY2", "FINTRACT_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "test-key")
    monkeypatch.setenv("GEMINI_BASE_URL", server.base_url)
    monkeypatch.setenv("GEMINI_MODELS", FLASH)
    monkeypatch.setenv("GEMINI_ATTEMPTS_PER_MODEL", "1")
    monkeypatch.setenv("GEMINI_BACKOFF_INITIAL_S", "0")
    monkeypatch.setenv("GEMINI_BACKOFF_JITTER_S", "0")
    monkeypatch.setenv("GEMINI_DEADLINE_S", "20")
    monkeypatch.setenv("GEMINI_MASK_ACCOUNT_NUMBERS", "true")
    monkeypatch.setenv("HYBRID_CONFIDENCE_THRESHOLD", "0.85")
    yield server
    await server.stop()


@pytest.fixture
async def stack(
    gemini: GeminiServer,
    namespace: str,
    redis_url: str,
    nats_url: str,
    sqlite_database: Any,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    running = await open_stack(
        namespace=namespace,
        redis_url=redis_url,
        nats_url=nats_url,
        db=sqlite_database,
        blob_root=tmp_path / "blobs",
    )
    await running.start_parser()
    yield running
    await running.close()


async def parse(
    stack: Stack, content: bytes, provider: str, kind: results_pb2.DocumentType.ValueType = BANK
) -> jobs_pb2.Job:
    document = await stack.upload(USER, content)
    request = jobs_pb2.CreateJobRequest(
        user_id=USER,
        document_type=kind,
        document_id=document.doc_id,
        file_id=document.file_id,
        provider=provider,
    )
    job = (await stack.jobs_stub.CreateJob(request)).job
    return await stack.wait_terminal(USER, job.job_id)


def rows_of(job: jobs_pb2.Job) -> list[tuple[Any, ...]]:
    return [
        (t.date, t.debit if t.HasField("debit") else None, t.balance, t.page)
        for t in job.result.bank_statement.transactions
    ]


async def test_clean_statement_in_hybrid_asks_gemini_nothing(
    stack: Stack, gemini: GeminiServer
) -> None:
    content, _ = statement()
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    result = done.result.bank_statement
    assert result.checks.balance_continuity and result.checks.opening_plus_net_equals_closing
    assert not result.requires_review
    assert gemini.requests == []
    body = job_json(done)
    assert (body["provider"], body["model"], body["escalated_pages"]) == (
        "hybrid",
        "fintract-local",
        [],
    )


async def test_hybrid_escalates_only_the_failing_page_and_gemini_wins(
    stack: Stack, gemini: GeminiServer
) -> None:
    content, truth = statement(flip=(2, 3))
    gemini.script(answer(page_answer(truth[2])), model=FLASH)
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 1  # page 2 only
    ((mime, image),) = gemini.requests[0].inline
    assert mime == "image/png"
    # what left the machine: page 2, its account number blacked out (masking is on)
    with pymupdf.open(stream=content, filetype="pdf") as doc:
        (where,) = doc[1].search_for("000123456789")
        zoom = min(2.5, PAGE_LONG_SIDE / max(doc[1].rect.width, doc[1].rect.height))
    sent = Image.open(io.BytesIO(image)).convert("L")
    box = [round(v * zoom) for v in (where.x0, where.y0, where.x1, where.y1)]
    assert ImageStat.Stat(sent.crop(box)).mean[0] < 5  # painted over, not just dark glyphs
    row = [box[0], box[1] + round(40 * zoom), box[2], box[3] + round(40 * zoom)]
    assert ImageStat.Stat(sent.crop(row)).mean[0] > 128  # the table is not masked
    result = done.result.bank_statement
    assert result.checks.balance_continuity is True
    assert result.checks.opening_plus_net_equals_closing is True
    assert not result.requires_review and list(result.review_reasons) == []
    want = [(r["date"], r["debit"], r["balance"], r["page"]) for p in (1, 2, 3) for r in truth[p]]
    assert rows_of(done) == want
    assert result.summary.transaction_count == 18
    body = job_json(done)
    assert body["provider"] == "hybrid"
    assert body["model"] == f"fintract-local+{FLASH}"
    assert body["escalated_pages"] == [2]
    assert body["results"]["account"]["account_number"] == "000123456789"  # local header kept


async def test_invented_value_is_not_verified_and_the_local_answer_stays(
    stack: Stack, gemini: GeminiServer
) -> None:
    content, truth = statement(flip=(2, 3))
    invented = [dict(row) for row in truth[2]]
    invented[0]["reference"] = "UTR998877665544"  # printed nowhere on the page
    gemini.script(answer(page_answer(invented)), model=FLASH)
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 1
    result = done.result.bank_statement
    assert result.checks.balance_continuity is False  # the local reading, flipped row and all
    assert result.requires_review and "balance_continuity" in result.review_reasons
    page2 = [t for t in result.transactions if t.page == 2]
    assert page2[3].HasField("credit") and page2[3].credit == pytest.approx(truth[2][3]["debit"])
    assert all(not t.reference for t in result.transactions)
    body = job_json(done)
    assert (body["model"], body["escalated_pages"]) == ("fintract-local", [2])


async def test_gemini_down_in_hybrid_keeps_local_and_fails_provider_gemini(
    stack: Stack, gemini: GeminiServer
) -> None:
    gemini.script(server_error(500), always=True)
    content, _ = statement(flip=(2, 3))
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    result = done.result.bank_statement
    assert result.requires_review
    assert "gemini_unavailable" in result.review_reasons
    assert "balance_continuity" in result.review_reasons
    assert done.result.provenance.model == "fintract-local"
    assert list(done.result.provenance.escalated_pages) == [2]
    asked = len(gemini.requests)
    assert asked >= 1

    clean, _ = statement()
    kept = await parse(stack, clean, "hybrid")  # nothing to escalate: Gemini's state is moot
    assert kept.status == jobs_pb2.JOB_STATUS_COMPLETED and len(gemini.requests) == asked
    assert not kept.result.bank_statement.requires_review

    failed = await parse(stack, clean, "gemini")
    assert failed.status == jobs_pb2.JOB_STATUS_FAILED
    assert failed.error.code == "ai_failed"
    assert len(gemini.requests) > asked


def _broken_renderer(*_: Any) -> Any:
    raise RuntimeError("renderer broke")  # a bug or a rendering failure, not a Gemini error


async def test_unexpected_error_in_hybrid_keeps_local_and_fails_provider_gemini(
    stack: Stack, gemini: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.parser.escalation._render", _broken_renderer)
    content, _ = statement(flip=(2, 3))
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    result = done.result.bank_statement
    assert result.checks.balance_continuity is False  # the local reading, flipped row and all
    assert result.requires_review
    assert "gemini_unavailable" in result.review_reasons
    assert "balance_continuity" in result.review_reasons
    body = job_json(done)
    assert (body["provider"], body["model"], body["escalated_pages"]) == (
        "hybrid",
        "fintract-local",
        [],
    )
    # the invoice path renders too (masking is on): the local invoice stands, flagged
    invoice = await parse(stack, text_pdf([INVOICE_LINES]), "hybrid", kind=INVOICE)
    assert invoice.status == jobs_pb2.JOB_STATUS_COMPLETED, invoice.error
    assert invoice.result.invoice.total == 118.0
    assert "gemini_unavailable" in invoice.result.invoice.review_reasons
    assert gemini.requests == []  # nothing reached Gemini

    clean, _ = statement()
    kept = await parse(stack, clean, "hybrid")  # nothing to escalate: nothing is flagged
    assert kept.status == jobs_pb2.JOB_STATUS_COMPLETED, kept.error
    assert not kept.result.bank_statement.requires_review

    failed = await parse(stack, clean, "gemini")  # in gemini the error still fails the job
    assert failed.status == jobs_pb2.JOB_STATUS_FAILED
    assert failed.error.code == "assembly_failed"
    assert "renderer broke" in failed.error.message


async def test_provider_gemini_reads_every_page_and_checks_it(
    stack: Stack, gemini: GeminiServer
) -> None:
    content, truth = statement(pages=2)
    # both pages are asked at once: either may take either reply (the checks then say so)
    gemini.script(answer(page_answer(truth[1])), answer(page_answer(truth[2])), model=FLASH)
    done = await parse(stack, content, "gemini")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 2
    result = done.result.bank_statement
    assert {t.page for t in result.transactions} == {1, 2}
    assert result.summary.transaction_count == 12
    body = job_json(done)
    assert (body["provider"], body["model"]) == ("gemini", FLASH)


async def test_failing_invoice_in_hybrid_is_answered_by_gemini(
    stack: Stack, gemini: GeminiServer
) -> None:
    gemini.script(answer(INVOICE_ANSWER), model=FLASH)
    done = await parse(stack, text_pdf([INVOICE_LINES]), "hybrid", kind=INVOICE)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 1
    result = done.result.invoice
    assert [item.amount for item in result.line_items] == [100.0]
    assert result.subtotal == 100.0 and result.total == 118.0
    assert result.checks.line_items_sum_to_subtotal is True
    assert result.checks.subtotal_plus_tax_equals_total is True
    assert not result.requires_review
    body = job_json(done)
    assert (body["provider"], body["model"], body["escalated_pages"]) == ("hybrid", FLASH, [1])


async def test_invoice_with_an_invented_total_keeps_the_local_answer(
    stack: Stack, gemini: GeminiServer
) -> None:
    gemini.script(answer({**INVOICE_ANSWER, "total": 1180.0, "amount_due": 1180.0}), model=FLASH)
    done = await parse(stack, text_pdf([INVOICE_LINES]), "hybrid", kind=INVOICE)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 1
    result = done.result.invoice
    assert result.total == 118.0 and list(result.line_items) == []
    assert done.result.provenance.model == "fintract-local"


async def test_synchronous_parse_honours_the_provider(stack: Stack, gemini: GeminiServer) -> None:
    content, truth = statement(flip=(2, 3))
    gemini.script(answer(page_answer(truth[2])), model=FLASH)
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel(stack.parsers[0].port))
    response = await stub.ParseDocument(
        parser_pb2.ParseDocumentRequest(content=content, document_type=BANK, provider="hybrid")
    )
    assert response.pages == 3
    assert list(response.result.provenance.escalated_pages) == [2]
    assert response.result.bank_statement.checks.balance_continuity is True
    assert len(gemini.requests) == 1


@pytest.fixture
async def offline_stack(
    monkeypatch: pytest.MonkeyPatch,
    namespace: str,
    redis_url: str,
    nats_url: str,
    sqlite_database: Any,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    for name in ("GOOGLE_API_KEY", "GOOGLE_API_KEY2", "GEMINI_API_KEY", "GEMINI_API_KEY2"):
        monkeypatch.delenv(name, raising=False)
    running = await open_stack(
        namespace=namespace,
        redis_url=redis_url,
        nats_url=nats_url,
        db=sqlite_database,
        blob_root=tmp_path / "blobs",
    )
    await running.start_parser()
    yield running
    await running.close()


async def test_without_a_key_hybrid_keeps_local_and_gemini_is_not_configured(
    offline_stack: Stack,
) -> None:
    content, _ = statement(flip=(2, 3))
    kept = await parse(offline_stack, content, "hybrid")
    assert kept.status == jobs_pb2.JOB_STATUS_COMPLETED, kept.error
    result = kept.result.bank_statement
    assert result.requires_review and "gemini_unavailable" in result.review_reasons
    assert list(kept.result.provenance.escalated_pages) == []
    clean, _ = statement()
    fine = await parse(offline_stack, clean, "hybrid")
    assert "gemini_unavailable" not in fine.result.bank_statement.review_reasons
    refused = await parse(offline_stack, clean, "gemini")
    assert refused.status == jobs_pb2.JOB_STATUS_FAILED
    assert refused.error.code == "ai_not_configured"


async def test_invoices_clean_in_hybrid_stay_local_and_provider_gemini_always_asks(
    stack: Stack, gemini: GeminiServer
) -> None:
    clean = make_invoice(1, "simple").pdf
    done = await parse(stack, clean, "hybrid", kind=INVOICE)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert gemini.requests == [] and not done.result.invoice.requires_review
    assert (job_json(done)["provider"], job_json(done)["escalated_pages"]) == ("hybrid", [])

    gemini.script(answer(INVOICE_ANSWER), model=FLASH)
    asked = await parse(stack, text_pdf([INVOICE_LINES]), "gemini", kind=INVOICE)
    assert asked.status == jobs_pb2.JOB_STATUS_COMPLETED, asked.error
    assert len(gemini.requests) == 1
    assert asked.result.invoice.total == 118.0 and not asked.result.invoice.requires_review
    body = job_json(asked)
    assert (body["provider"], body["model"], body["escalated_pages"]) == ("gemini", FLASH, [1])


async def test_card_statement_balance_owed_is_checked_the_engine_s_way(
    stack: Stack, gemini: GeminiServer
) -> None:
    content, truth = statement(card=True, flip=(2, 3))
    gemini.script(answer(page_answer(truth[2])), model=FLASH)
    done = await parse(stack, content, "hybrid")
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert len(gemini.requests) == 1  # page 2 only: pages 1 and 3 hold as a card's balance
    result = done.result.bank_statement
    assert result.checks.balance_continuity is True
    assert result.checks.opening_plus_net_equals_closing is True
    assert not result.requires_review
    assert list(done.result.provenance.escalated_pages) == [2]
    assert done.result.provenance.model == f"fintract-local+{FLASH}"

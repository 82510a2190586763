"""The embedded e-invoice switch reaches the engine: per request (async jobs) over the
deployment's setting (PARSER_USE_EMBEDDED_XML)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fintract.api.jobs.v1 import jobs_pb2
from tests.integration.test_pipeline_support import INVOICE, Stack, open_stack


@pytest.fixture
async def stack(
    namespace: str, redis_url: str, nats_url: str, sqlite_database: Any, tmp_path: Path
) -> AsyncIterator[Stack]:
    running = await open_stack(
        namespace=namespace,
        redis_url=redis_url,
        nats_url=nats_url,
        db=sqlite_database,
        blob_root=tmp_path / "blobs",
    )
    yield running
    await running.close()


async def _source_of(stack: Stack, user: str, document: Any, use_embedded_xml: bool | None) -> str:
    request = jobs_pb2.CreateJobRequest(
        user_id=user,
        document_type=INVOICE,
        document_id=document.doc_id,
        file_id=document.file_id,
    )
    if use_embedded_xml is not None:
        request.use_embedded_xml = use_embedded_xml
    job = (await stack.jobs_stub.CreateJob(request)).job
    done = await stack.wait_terminal(user, job.job_id, timeout=120)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert done.result.invoice.invoice_number  # read either way
    return done.result.provenance.source


@pytest.mark.parametrize("deployment_default", [True, False])
async def test_request_option_wins_over_the_setting(
    stack: Stack, corpus: Path, deployment_default: bool
) -> None:
    pdf = corpus / "zugferd" / "FNFE-factur-x-examples" / "Facture_FR_BASICWL.pdf"
    await stack.start_parser(PARSER_USE_EMBEDDED_XML=deployment_default)
    # the run's database outlives this stack's blob folder: one user per case
    user = f"einvoice-{deployment_default}"
    document = await stack.upload(user, pdf.read_bytes(), "facture.pdf")

    default_source = await _source_of(stack, user, document, None)
    assert (default_source == "embedded_xml") is deployment_default
    assert await _source_of(stack, user, document, True) == "embedded_xml"
    assert await _source_of(stack, user, document, False) != "embedded_xml"


async def test_multipage_invoice_through_the_real_pipeline(stack: Stack) -> None:
    """100+ line items over several pages: ingest → jobs → NATS fan-out → workers → assembly."""
    from bench.invoices.generate import make_invoice

    doc = make_invoice(4, "multipage")
    await stack.start_parser()
    document = await stack.upload("multipage", doc.pdf, "long-invoice.pdf")
    assert document.pages >= 3
    request = jobs_pb2.CreateJobRequest(
        user_id="multipage",
        document_type=INVOICE,
        document_id=document.doc_id,
        file_id=document.file_id,
    )
    job = (await stack.jobs_stub.CreateJob(request)).job
    done = await stack.wait_terminal("multipage", job.job_id, timeout=180)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert done.pages_done == done.pages_total == document.pages
    invoice = done.result.invoice
    got = [(li.description, li.quantity, li.amount) for li in invoice.line_items]
    want = [(li["description"], li["quantity"], li["amount"]) for li in doc.truth["line_items"]]
    assert got == want
    assert invoice.total == doc.truth["total"]
    assert invoice.checks.line_items_sum_to_subtotal
    assert invoice.checks.subtotal_plus_tax_equals_total

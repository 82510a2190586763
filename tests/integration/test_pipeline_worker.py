"""The whole parse pipeline in-process: real ingest, jobs and parser workers over gRPC, NATS
JetStream, Redis, SQLite and a local blob folder, with PDFs made by PyMuPDF."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from nats.js import JetStreamContext

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.parser.v1 import parser_pb2, parser_pb2_grpc
from services.common.errors import NotFound
from services.common.nats_bus import parse_stream
from services.common.storage import LocalBlobStore
from services.jobs.payload import job_json
from services.parser.sources import Extraction, SourceCache
from tests.factories import simple_statement_pdf, text_pdf
from tests.integration.test_pipeline_support import BANK, INVOICE, Stack, open_stack


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


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


async def drained(js: JetStreamContext, stack: Stack, consumer: str, timeout: float = 20) -> None:
    """Wait until a consumer has nothing pending and nothing unacknowledged."""
    names = parse_stream(stack.namespace)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        info = await js.consumer_info(names.stream, consumer)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return
        assert loop.time() < deadline, f"{consumer} not drained: {info}"
        await asyncio.sleep(0.05)


async def test_one_page_statement_completes(stack: Stack) -> None:
    await stack.start_parser()
    document = await stack.upload("pat", simple_statement_pdf(4))
    job = await stack.submit("pat", document)
    done = await stack.wait_terminal("pat", job.job_id)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    assert done.pages_total == done.pages_done == 1
    assert done.result.WhichOneof("result") == "bank_statement"
    assert done.result.bank_statement.document_type == "bank_statement"
    assert done.result.provenance.provider == "local"
    contract = job_json(done)["results"]  # every field present, null where unknown
    assert set(contract["account"]) >= {"bank_name", "account_number", "closing_balance"}
    assert set(contract["checks"]) == {"balance_continuity", "opening_plus_net_equals_closing"}


async def test_source_cache_reads_each_blob_once(stack: Stack, tmp_path: Path) -> None:
    document = await stack.upload("lru", simple_statement_pdf(5, pages=3))
    other = await stack.upload("lru", simple_statement_pdf(6, pages=2))
    extraction = Extraction()
    cache = SourceCache(
        ingest=stack.ingest_stub,
        blobs=LocalBlobStore(tmp_path / "blobs"),
        extraction=extraction,
        size=1,
    )
    try:
        sources = await asyncio.gather(*(cache.get("lru", document.file_id) for _ in range(50)))
        assert cache.loads == 1 and all(s is sources[0] for s in sources)
        assert sources[0].page_count == 3
        await cache.get("lru", other.file_id)  # evicts the first (size 1)
        await cache.get("lru", document.file_id)
        assert cache.loads == 3
        with pytest.raises(NotFound):  # someone else's file
            await cache.get("mallory", other.file_id)
    finally:
        await cache.clear()
        extraction.shutdown()


async def test_five_page_document_and_an_invoice(stack: Stack) -> None:
    await stack.start_parser(PARSER_CONCURRENCY=2)
    statement = await stack.upload("five", simple_statement_pdf(30, pages=5))
    invoice = await stack.upload("five", text_pdf([["INVOICE INV-7", "Total 118.00"]]))
    jobs = [
        await stack.submit("five", statement),
        await stack.submit("five", invoice, kind=INVOICE),
    ]
    statement_job, invoice_job = [await stack.wait_terminal("five", j.job_id) for j in jobs]
    assert statement_job.status == jobs_pb2.JOB_STATUS_COMPLETED, statement_job.error
    assert statement_job.pages_total == statement_job.pages_done == 5
    assert invoice_job.status == jobs_pb2.JOB_STATUS_COMPLETED, invoice_job.error
    assert invoice_job.result.WhichOneof("result") == "invoice"
    assert invoice_job.result.invoice.document_type == "invoice"


async def test_batch_through_the_workers_counts_add_up(stack: Stack) -> None:
    await stack.start_parser()
    documents = [
        await stack.upload("bat", simple_statement_pdf(3 + i, pages=1 + i % 2)) for i in range(6)
    ]
    created = await stack.jobs_stub.CreateBatch(
        jobs_pb2.CreateBatchRequest(
            user_id="bat",
            document_type=BANK,
            files=[jobs_pb2.BatchFile(file_id=d.file_id, document_id=d.doc_id) for d in documents],
        )
    )
    for item in created.batch.jobs:
        await stack.wait_terminal("bat", item.job_id)
    batch = (
        await stack.jobs_stub.GetBatch(
            jobs_pb2.GetBatchRequest(user_id="bat", batch_id=created.batch.batch_id)
        )
    ).batch
    assert (batch.total, batch.completed, batch.failed, batch.pending, batch.processing) == (
        6,
        6,
        0,
        0,
        0,
    )
    assert batch.status == jobs_pb2.BATCH_STATUS_COMPLETED
    assert all(j.status == jobs_pb2.JOB_STATUS_COMPLETED for j in batch.jobs)


async def test_redelivered_pages_are_counted_once(stack: Stack, js: JetStreamContext) -> None:
    document = await stack.upload("dup", simple_statement_pdf(5, pages=3))
    job = await stack.submit("dup", document)  # no worker yet: the document task waits
    names = parse_stream(stack.namespace)
    for index in (0, 1, 1, 2, 0, 2, 1):  # duplicates with no dedup id: all delivered
        task = parser_pb2.PageTask(
            job_id=job.job_id,
            user_id="dup",
            document_id=document.doc_id,
            file_id=document.file_id,
            page_index=index,
            pages_total=3,
            document_type=BANK,
        )
        await js.publish(names.page_subject, task.SerializeToString(), stream=names.stream)
    await stack.start_parser()
    done = await stack.wait_terminal("dup", job.job_id)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
    await drained(js, stack, "pages")
    await drained(js, stack, "documents")
    final = await stack.jobs_stub.GetJob(jobs_pb2.GetJobRequest(user_id="dup", job_id=job.job_id))
    assert final.job.pages_done == final.job.pages_total == 3
    assert final.job.status == jobs_pb2.JOB_STATUS_COMPLETED
    assert final.job.completed_at == done.completed_at  # completed once, never again


async def test_a_page_that_keeps_failing_fails_its_job(stack: Stack, js: JetStreamContext) -> None:
    document = await stack.upload("bad", simple_statement_pdf(2))  # one page
    job = await stack.submit("bad", document)
    # Claim two pages before any worker runs: page 2 does not exist, its extraction raises on
    # every delivery. (The queued document task then meets a started job and is dropped.)
    await stack.jobs_stub.StartJob(jobs_pb2.StartJobRequest(job_id=job.job_id, pages_total=2))
    names = parse_stream(stack.namespace)
    for index in (0, 1):
        task = parser_pb2.PageTask(
            job_id=job.job_id,
            user_id="bad",
            document_id=document.doc_id,
            file_id=document.file_id,
            page_index=index,
            pages_total=2,
            document_type=BANK,
        )
        await js.publish(names.page_subject, task.SerializeToString(), stream=names.stream)
    await stack.start_parser(PARSER_MAX_DELIVER=3, PARSER_BACKOFF_S="0.1")
    done = await stack.wait_terminal("bad", job.job_id)
    assert done.status == jobs_pb2.JOB_STATUS_FAILED
    assert done.error.code == "page_failed"
    assert done.error.message.startswith("page 2: ")
    assert done.pages_done == 1
    await drained(js, stack, "pages")  # the failing message was terminated, not left behind


async def test_a_corrupt_stored_document_fails_at_once(
    stack: Stack, js: JetStreamContext, tmp_path: Path
) -> None:
    document = await stack.upload("cor", simple_statement_pdf(3))
    (tmp_path / "blobs" / document.storage_key).write_bytes(b"%PDF-1.7 garbage, not a pdf")
    await stack.start_parser(PARSER_MAX_DELIVER=5)
    job = await stack.submit("cor", document)
    done = await stack.wait_terminal("cor", job.job_id)
    assert done.status == jobs_pb2.JOB_STATUS_FAILED
    assert done.error.code == "corrupt_file"
    await drained(js, stack, "documents")
    info = await js.consumer_info(parse_stream(stack.namespace).stream, "documents")
    assert info.num_redelivered == 0  # failed on the first delivery, no retries


async def test_graceful_stop_finishes_pages_in_hand(stack: Stack, js: JetStreamContext) -> None:
    parser = await stack.start_parser()
    document = await stack.upload("gs", simple_statement_pdf(40, pages=8))
    job = await stack.submit("gs", document)
    names = parse_stream(stack.namespace)
    for _ in range(400):  # until the worker holds a page
        info = await js.consumer_info(names.stream, "pages")
        if info.num_ack_pending > 0:
            break
        await asyncio.sleep(0.01)
    await parser.stop(5)
    stack.parsers.remove(parser)
    info = await js.consumer_info(names.stream, "pages")
    assert info.num_ack_pending == 0  # what it held was finished and acknowledged
    await stack.start_parser()
    done = await stack.wait_terminal("gs", job.job_id)
    assert done.status == jobs_pb2.JOB_STATUS_COMPLETED
    assert done.pages_done == 8


async def test_parse_document_answers_synchronously(stack: Stack) -> None:
    parser = await stack.start_parser(PARSER_SYNC_MAX_PAGES=3)
    stub = parser_pb2_grpc.ParserServiceStub(stack.channel(parser.port))
    answer = await stub.ParseDocument(
        parser_pb2.ParseDocumentRequest(
            document_type=BANK, content=simple_statement_pdf(3, pages=2), filename="s.pdf"
        )
    )
    assert answer.pages == 2
    assert answer.result.bank_statement.document_type == "bank_statement"
    with pytest.raises(grpc.aio.AioRpcError) as large:
        await stub.ParseDocument(
            parser_pb2.ParseDocumentRequest(
                document_type=BANK, content=simple_statement_pdf(1, pages=4)
            )
        )
    assert dict(large.value.trailing_metadata())["fintract-error-code"] == "too_many_pages"
    with pytest.raises(grpc.aio.AioRpcError) as garbage:
        await stub.ParseDocument(
            parser_pb2.ParseDocumentRequest(document_type=BANK, content=b"hello world")
        )
    assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(garbage.value.trailing_metadata())["fintract-error-code"] == (
        "unsupported_file_type"
    )

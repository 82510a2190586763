"""JobsService over real gRPC with the real ingest, Redis, NATS JetStream and SQL database
(no parser workers here: the tests play the worker through the worker-facing RPCs)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from redis.asyncio import Redis

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.parser.v1 import parser_pb2
from fintract.api.results.v1 import results_pb2
from fintract.contract_json import batch_json, job_json
from services.common.nats_bus import parse_stream
from services.jobs.callbacks import callbacks_stream
from services.jobs.registry import Registry
from tests.conftest import free_port
from tests.factories import simple_statement_pdf, text_pdf
from tests.integration.test_pipeline_support import (
    BANK,
    INVOICE,
    SECRET,
    Receiver,
    Stack,
    open_stack,
)

CONTRACT_JOB_KEYS = {
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
}


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


def error_code(exc: grpc.aio.AioRpcError) -> str:
    return dict(exc.trailing_metadata() or ()).get("fintract-error-code", "")


def statement_result(rows: int = 1) -> results_pb2.ParseResult:
    result = results_pb2.ParseResult()
    result.bank_statement.document_type = "bank_statement"
    for i in range(rows):
        result.bank_statement.transactions.add(description=f"row {i}", amount=-1.5, page=1)
    result.bank_statement.summary.transaction_count = rows
    result.provenance.provider = "local"
    return result


async def play_worker(stack: Stack, job_id: str, pages: int = 1) -> jobs_pb2.Job:
    jobs = stack.jobs_stub
    await jobs.StartJob(jobs_pb2.StartJobRequest(job_id=job_id, pages_total=pages))
    for index in range(pages):
        await jobs.RecordPage(
            jobs_pb2.RecordPageRequest(job_id=job_id, page_index=index, page_result=b"p")
        )
    done = await jobs.CompleteJob(
        jobs_pb2.CompleteJobRequest(job_id=job_id, result=statement_result())
    )
    return done.job


async def test_create_job_checks_the_owner_and_queues_a_document_task(
    stack: Stack, nats_url: str
) -> None:
    document = await stack.upload("alice", simple_statement_pdf(3))
    job = await stack.submit("alice", document)
    assert job.status == jobs_pb2.JOB_STATUS_PENDING
    assert (job.document_id, job.file_id) == (document.doc_id, document.file_id)

    names = parse_stream(stack.namespace)
    nc = await nats.connect(nats_url)
    try:
        raw = await nc.jetstream().get_last_msg(names.stream, names.document_subject)
    finally:
        await nc.close()
    task = parser_pb2.DocumentTask.FromString(raw.data)
    assert (task.job_id, task.user_id, task.file_id) == (job.job_id, "alice", document.file_id)
    assert task.document_type == BANK

    with pytest.raises(grpc.aio.AioRpcError) as refused:  # someone else's document
        await stack.submit("mallory", document)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as hidden:  # someone else's job
        await stack.jobs_stub.GetJob(jobs_pb2.GetJobRequest(user_id="mallory", job_id=job.job_id))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    fetched = await stack.jobs_stub.GetJob(
        jobs_pb2.GetJobRequest(user_id="alice", job_id=job.job_id)
    )
    assert fetched.job == job


async def test_worker_rpcs_complete_a_job_and_illegal_moves_are_refused(stack: Stack) -> None:
    document = await stack.upload("alice", simple_statement_pdf(2))
    job = await stack.submit("alice", document)
    jobs = stack.jobs_stub
    with pytest.raises(grpc.aio.AioRpcError) as early:
        await jobs.CompleteJob(
            jobs_pb2.CompleteJobRequest(job_id=job.job_id, result=statement_result())
        )
    assert early.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_code(early.value) == "invalid_transition"

    await jobs.StartJob(jobs_pb2.StartJobRequest(job_id=job.job_id, pages_total=2))
    first = await jobs.RecordPage(
        jobs_pb2.RecordPageRequest(job_id=job.job_id, page_index=1, page_result=b"one")
    )
    again = await jobs.RecordPage(
        jobs_pb2.RecordPageRequest(job_id=job.job_id, page_index=1, page_result=b"one")
    )
    assert (first.pages_done, first.last, again.pages_done, again.last) == (1, False, 1, False)
    live = await jobs.GetJob(jobs_pb2.GetJobRequest(user_id="alice", job_id=job.job_id))
    assert live.job.status == jobs_pb2.JOB_STATUS_PROCESSING and live.job.pages_done == 1
    last = await jobs.RecordPage(
        jobs_pb2.RecordPageRequest(job_id=job.job_id, page_index=0, page_result=b"zero")
    )
    assert last.last and [p.page_result for p in last.pages] == [b"zero", b"one"]
    done = await jobs.CompleteJob(
        jobs_pb2.CompleteJobRequest(job_id=job.job_id, result=statement_result(2))
    )
    assert done.job.status == jobs_pb2.JOB_STATUS_COMPLETED
    assert len(done.job.result.bank_statement.transactions) == 2
    with pytest.raises(grpc.aio.AioRpcError) as terminal:
        await jobs.FailJob(
            jobs_pb2.FailJobRequest(job_id=job.job_id, error=jobs_pb2.JobError(code="x"))
        )
    assert error_code(terminal.value) == "invalid_transition"


async def test_completed_job_is_served_from_the_database_after_redis_loses_it(
    namespace: str, redis_url: str, nats_url: str, database: Any, tmp_path: Path
) -> None:
    stack = await open_stack(
        namespace=namespace,
        redis_url=redis_url,
        nats_url=nats_url,
        db=database,
        blob_root=tmp_path / "blobs",
    )
    try:
        document = await stack.upload("erin", simple_statement_pdf(2))
        job = await stack.submit("erin", document)
        completed = await play_worker(stack, job.job_id)
        failed_job = await stack.submit("erin", document)
        await stack.jobs_stub.FailJob(
            jobs_pb2.FailJobRequest(
                job_id=failed_job.job_id,
                error=jobs_pb2.JobError(code="corrupt_file", message="cannot open"),
            )
        )

        other = await stack.upload("erin", simple_statement_pdf(3))
        batch = (
            await stack.jobs_stub.CreateBatch(
                jobs_pb2.CreateBatchRequest(
                    user_id="erin",
                    document_type=BANK,
                    files=[
                        jobs_pb2.BatchFile(file_id=d.file_id, document_id=d.doc_id)
                        for d in (document, other)
                    ],
                )
            )
        ).batch
        await play_worker(stack, batch.jobs[0].job_id)

        client = Redis.from_url(redis_url)
        deleted = 0
        async for key in client.scan_iter(match=f"{stack.namespace}:*", count=1000):
            deleted += await client.delete(key)
        await client.aclose()
        assert deleted > 0

        served = await stack.jobs_stub.GetJob(
            jobs_pb2.GetJobRequest(user_id="erin", job_id=job.job_id)
        )
        assert served.job.status == jobs_pb2.JOB_STATUS_COMPLETED
        assert served.job.result == completed.result
        assert served.job.pages_total == 1 and served.job.pages_done == 1
        assert served.job.completed_at.ToMilliseconds() // 1000 == (
            completed.completed_at.ToMilliseconds() // 1000
        )
        gone = await stack.jobs_stub.GetJob(
            jobs_pb2.GetJobRequest(user_id="erin", job_id=failed_job.job_id)
        )
        assert gone.job.status == jobs_pb2.JOB_STATUS_FAILED
        assert gone.job.error.code == "corrupt_file"
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await stack.jobs_stub.GetJob(jobs_pb2.GetJobRequest(user_id="eve", job_id=job.job_id))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

        listed = await stack.jobs_stub.ListJobs(
            jobs_pb2.ListJobsRequest(user_id="erin", document_type=BANK, page_size=3)
        )
        assert listed.total == 4 and listed.total_pages == 2

        assert [j.job_id for j in listed.jobs][2:] == [failed_job.job_id]  # batch jobs newer
        completed_only = await stack.jobs_stub.ListJobs(
            jobs_pb2.ListJobsRequest(
                user_id="erin",
                document_type=BANK,
                status=jobs_pb2.JOB_STATUS_COMPLETED,
                include_results=True,
            )
        )
        assert {j.job_id for j in completed_only.jobs} == {job.job_id, batch.jobs[0].job_id}
        assert all(j.result.bank_statement.document_type for j in completed_only.jobs)

        stored_batch = (
            await stack.jobs_stub.GetBatch(
                jobs_pb2.GetBatchRequest(user_id="erin", batch_id=batch.batch_id)
            )
        ).batch
        assert (stored_batch.total, stored_batch.completed, stored_batch.pending) == (2, 1, 1)
        assert [j.job_id for j in stored_batch.jobs] == [j.job_id for j in batch.jobs]
        with pytest.raises(grpc.aio.AioRpcError) as theirs:
            await stack.jobs_stub.GetBatch(
                jobs_pb2.GetBatchRequest(user_id="eve", batch_id=batch.batch_id)
            )
        assert theirs.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await stack.close()


async def test_listing_is_newest_first_with_pages_and_status_filter(stack: Stack) -> None:
    document = await stack.upload("lister", simple_statement_pdf(1))
    invoice_doc = await stack.upload("lister", text_pdf([["INVOICE 42", "Total 10.00"]]))
    created = [await stack.submit("lister", document) for _ in range(5)]
    await stack.submit("lister", invoice_doc, kind=INVOICE)
    await play_worker(stack, created[1].job_id)

    jobs = stack.jobs_stub
    page1 = await jobs.ListJobs(
        jobs_pb2.ListJobsRequest(user_id="lister", document_type=BANK, page=1, page_size=2)
    )
    assert [j.job_id for j in page1.jobs] == [created[4].job_id, created[3].job_id]
    assert (page1.total, page1.total_pages, page1.page, page1.page_size) == (5, 3, 1, 2)
    page3 = await jobs.ListJobs(
        jobs_pb2.ListJobsRequest(user_id="lister", document_type=BANK, page=3, page_size=2)
    )
    assert [j.job_id for j in page3.jobs] == [created[0].job_id]
    assert not page3.jobs[0].HasField("result")
    done = await jobs.ListJobs(
        jobs_pb2.ListJobsRequest(
            user_id="lister",
            document_type=BANK,
            status=jobs_pb2.JOB_STATUS_COMPLETED,
            include_results=True,
        )
    )
    assert [j.job_id for j in done.jobs] == [created[1].job_id] and done.total == 1
    assert done.jobs[0].result.bank_statement.document_type == "bank_statement"
    invoices = await jobs.ListJobs(
        jobs_pb2.ListJobsRequest(user_id="lister", document_type=INVOICE)
    )
    assert invoices.total == 1 and invoices.page_size == 20
    nobody = await jobs.ListJobs(jobs_pb2.ListJobsRequest(user_id="other", document_type=BANK))
    assert nobody.total == 0 and nobody.total_pages == 0 and not nobody.jobs


async def test_batch_counts_status_and_ownership(stack: Stack) -> None:
    documents = [await stack.upload("bea", simple_statement_pdf(1 + i)) for i in range(3)]
    jobs = stack.jobs_stub
    created = await jobs.CreateBatch(
        jobs_pb2.CreateBatchRequest(
            user_id="bea",
            document_type=BANK,
            files=[jobs_pb2.BatchFile(file_id=d.file_id, document_id=d.doc_id) for d in documents],
        )
    )
    batch = created.batch
    assert (batch.total, batch.pending, batch.status) == (3, 3, jobs_pb2.BATCH_STATUS_PENDING)
    ids = [item.job_id for item in batch.jobs]
    assert [item.file_id for item in batch.jobs] == [d.file_id for d in documents]

    await play_worker(stack, ids[0])
    await jobs.StartJob(jobs_pb2.StartJobRequest(job_id=ids[1], pages_total=1))
    mid = (
        await jobs.GetBatch(jobs_pb2.GetBatchRequest(user_id="bea", batch_id=batch.batch_id))
    ).batch
    assert (mid.pending, mid.processing, mid.completed, mid.failed) == (1, 1, 1, 0)
    assert mid.status == jobs_pb2.BATCH_STATUS_PROCESSING
    await jobs.FailJob(
        jobs_pb2.FailJobRequest(
            job_id=ids[1], error=jobs_pb2.JobError(code="page_failed", message="page 1: boom")
        )
    )
    await play_worker(stack, ids[2])
    end = (
        await jobs.GetBatch(jobs_pb2.GetBatchRequest(user_id="bea", batch_id=batch.batch_id))
    ).batch
    assert (end.pending, end.processing, end.completed, end.failed) == (0, 0, 2, 1)
    assert end.pending + end.processing + end.completed + end.failed == end.total
    assert end.status == jobs_pb2.BATCH_STATUS_PARTIAL
    assert [j.status for j in end.jobs] == [
        jobs_pb2.JOB_STATUS_COMPLETED,
        jobs_pb2.JOB_STATUS_FAILED,
        jobs_pb2.JOB_STATUS_COMPLETED,
    ]
    assert end.jobs[1].error.code == "page_failed"

    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await jobs.GetBatch(jobs_pb2.GetBatchRequest(user_id="mallory", batch_id=batch.batch_id))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await jobs.CreateBatch(jobs_pb2.CreateBatchRequest(user_id="bea", document_type=BANK))
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    too_many = [jobs_pb2.BatchFile(file_id=documents[0].file_id)] * 51
    with pytest.raises(grpc.aio.AioRpcError) as large:
        await jobs.CreateBatch(
            jobs_pb2.CreateBatchRequest(user_id="bea", document_type=BANK, files=too_many)
        )
    assert large.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    foreign = await stack.upload("mallory", simple_statement_pdf(7))
    with pytest.raises(grpc.aio.AioRpcError) as theirs:
        await jobs.CreateBatch(
            jobs_pb2.CreateBatchRequest(
                user_id="bea",
                document_type=BANK,
                files=[
                    jobs_pb2.BatchFile(
                        file_id=documents[0].file_id, document_id=documents[0].doc_id
                    ),
                    jobs_pb2.BatchFile(file_id=foreign.file_id, document_id=foreign.doc_id),
                ],
            )
        )
    assert theirs.value.code() == grpc.StatusCode.NOT_FOUND


async def test_watch_job_streams_every_change_until_terminal(stack: Stack) -> None:
    document = await stack.upload("wendy", simple_statement_pdf(1))
    job = await stack.submit("wendy", document)
    updates: list[jobs_pb2.Job] = []
    first = asyncio.Event()

    async def watch() -> None:
        call = stack.jobs_stub.WatchJob(
            jobs_pb2.WatchJobRequest(user_id="wendy", job_id=job.job_id)
        )
        async for update in call:
            updates.append(update.job)
            first.set()

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(first.wait(), 10)
    await play_worker(stack, job.job_id, pages=2)
    await asyncio.wait_for(watcher, 10)  # the stream ends by itself at the terminal state
    statuses = [u.status for u in updates]
    assert statuses[0] == jobs_pb2.JOB_STATUS_PENDING
    assert statuses[-1] == jobs_pb2.JOB_STATUS_COMPLETED
    assert jobs_pb2.JOB_STATUS_PROCESSING in statuses
    assert [u.pages_done for u in updates if u.status == jobs_pb2.JOB_STATUS_PROCESSING][-1] == 2
    assert updates[-1].result.bank_statement.document_type == "bank_statement"

    # a finished job: one message and the end; someone else's job: NOT_FOUND
    call = stack.jobs_stub.WatchJob(jobs_pb2.WatchJobRequest(user_id="wendy", job_id=job.job_id))
    assert [u.job.status async for u in call] == [jobs_pb2.JOB_STATUS_COMPLETED]
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        call = stack.jobs_stub.WatchJob(jobs_pb2.WatchJobRequest(user_id="x", job_id=job.job_id))
        _ = [u async for u in call]
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


def check_signature(headers: dict[str, str], body: bytes) -> None:
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"


async def test_callback_is_signed_and_retried_with_back_off(stack: Stack) -> None:
    receiver = Receiver(fail_first=2)
    url = await receiver.start()
    try:
        document = await stack.upload("cal", simple_statement_pdf(1))
        job = await stack.submit("cal", document, callback_url=url)
        await play_worker(stack, job.job_id)
        await asyncio.wait_for(receiver.received.wait(), 20)
        assert len(receiver.calls) == 3  # two 503s, then delivered once
        headers, body = receiver.calls[-1]
        check_signature(headers, body)
        assert [h["X-Fintract-Attempt"] for h, _ in receiver.calls] == ["1", "2", "3"]
        payload = json.loads(body)
        assert set(payload) == CONTRACT_JOB_KEYS
        assert payload["job_id"] == job.job_id and payload["status"] == "completed"
        assert payload["document_type"] == "bank_statement"
        assert payload["results"]["document_type"] == "bank_statement"
        assert payload["error"] is None and payload["batch_id"] is None
        assert payload["completed_at"].endswith("Z")
        got = await stack.jobs_stub.GetJob(jobs_pb2.GetJobRequest(user_id="cal", job_id=job.job_id))
        assert payload == job_json(got.job)  # what GET /parse/statements/{job_id} returns
        tampered = body.replace(b"completed", b"failed")
        with pytest.raises(AssertionError):
            check_signature(headers, tampered)
    finally:
        await receiver.stop()


async def test_batch_callback_reports_the_whole_batch_once(stack: Stack) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        documents = [await stack.upload("bcb", simple_statement_pdf(10 + i)) for i in range(2)]
        created = await stack.jobs_stub.CreateBatch(
            jobs_pb2.CreateBatchRequest(
                user_id="bcb",
                document_type=BANK,
                callback_url=url,
                files=[
                    jobs_pb2.BatchFile(file_id=d.file_id, document_id=d.doc_id) for d in documents
                ],
            )
        )
        ids = [item.job_id for item in created.batch.jobs]
        await play_worker(stack, ids[0])
        await asyncio.sleep(0.5)
        assert not receiver.calls  # no callback per job of a batch
        await stack.jobs_stub.FailJob(
            jobs_pb2.FailJobRequest(job_id=ids[1], error=jobs_pb2.JobError(code="corrupt_file"))
        )
        await asyncio.wait_for(receiver.received.wait(), 20)
        [(headers, body)] = receiver.calls
        check_signature(headers, body)
        payload = json.loads(body)
        assert payload["batch_id"] == created.batch.batch_id
        assert payload["status"] == "partial" and payload["total"] == 2
        assert (payload["completed"], payload["failed"], payload["pending"]) == (1, 1, 0)
        assert payload["jobs"][1]["error"]["code"] == "corrupt_file"
        got = await stack.jobs_stub.GetBatch(
            jobs_pb2.GetBatchRequest(user_id="bcb", batch_id=created.batch.batch_id)
        )
        assert payload == batch_json(got.batch)  # what GET .../batch/{batch_id} returns
    finally:
        await receiver.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2/hook",  # loopback, not allow-listed (only 127.0.0.1 is)
        "http://10.1.2.3/hook",  # private
        "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "http://[::1]/hook",
        "http://localhost.localdomain./hook",
        "ftp://example.com/hook",
        "http://user:pw@127.0.0.1/hook",
        "not a url",
    ],
)
async def test_callback_to_a_non_public_address_is_refused(stack: Stack, url: str) -> None:
    document = await stack.upload("ssrf", simple_statement_pdf(1))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stack.submit("ssrf", document, callback_url=url)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code(refused.value) == "invalid_callback_url"


async def test_pending_callback_survives_a_restart_of_the_jobs_service(
    stack: Stack, nats_url: str
) -> None:
    await stack.jobs.stop(1)  # type: ignore[union-attr]
    await stack.start_jobs(CALLBACK_MAX_ATTEMPTS=100)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"  # nobody listens yet
    document = await stack.upload("rs", simple_statement_pdf(1))
    job = await stack.submit("rs", document, callback_url=url)
    await play_worker(stack, job.job_id)
    stream, _ = callbacks_stream(stack.namespace)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for _ in range(100):  # wait until the first service has failed to deliver twice
            info = await js.consumer_info(stream, "callbacks")
            if info.delivered.consumer_seq >= 2:
                break
            await asyncio.sleep(0.05)
        assert info.delivered.consumer_seq >= 2
        await stack.jobs.stop(1)  # type: ignore[union-attr]
        assert (await js.stream_info(stream)).state.messages == 1  # still queued
    finally:
        await nc.close()

    receiver = Receiver()
    await receiver.start(port)
    try:
        await asyncio.sleep(1.0)
        assert not receiver.calls  # nobody delivers while jobs is down
        await stack.start_jobs(CALLBACK_MAX_ATTEMPTS=100)
        await asyncio.wait_for(receiver.received.wait(), 20)
        headers, body = receiver.calls[0]
        check_signature(headers, body)
        assert json.loads(body)["job_id"] == job.job_id
    finally:
        await receiver.stop()


async def test_callback_owed_by_a_crashed_process_is_sent_at_the_next_start(
    stack: Stack, redis_url: str
) -> None:
    receiver = Receiver()
    url = await receiver.start()
    client = Redis.from_url(redis_url)
    try:
        document = await stack.upload("crash", simple_statement_pdf(1))
        job = await stack.submit("crash", document, callback_url=url)
        await stack.jobs_stub.StartJob(jobs_pb2.StartJobRequest(job_id=job.job_id, pages_total=1))
        # The terminal transition alone, as if the process died right after the Lua script.
        registry = Registry(client, stack.namespace)
        await registry.complete(job.job_id, statement_result().SerializeToString())
        assert await registry.outbox() == [f"job:{job.job_id}"]
        await asyncio.sleep(0.5)
        assert not receiver.calls

        await stack.jobs.stop(1)  # type: ignore[union-attr]
        await stack.start_jobs()
        await asyncio.wait_for(receiver.received.wait(), 20)
        headers, body = receiver.calls[0]
        check_signature(headers, body)
        assert json.loads(body)["status"] == "completed"
        assert await registry.outbox() == []
    finally:
        await client.aclose()
        await receiver.stop()


async def test_finished_jobs_leave_redis_after_their_ttl_and_stay_served(
    stack: Stack, redis_url: str
) -> None:
    await stack.jobs.stop(1)  # type: ignore[union-attr]
    await stack.start_jobs(JOBS_REDIS_TTL_S=1)
    document = await stack.upload("ttl", simple_statement_pdf(1))
    job = await stack.submit("ttl", document)
    running = await stack.submit("ttl", document)
    completed = await play_worker(stack, job.job_id)
    client = Redis.from_url(redis_url)
    registry = Registry(client, stack.namespace)
    try:
        assert await client.ttl(registry.job_key(job.job_id)) > 0
        assert await client.ttl(registry.job_key(running.job_id)) == -1  # unfinished: kept
        for _ in range(60):
            if not await client.exists(registry.job_key(job.job_id)):
                break
            await asyncio.sleep(0.1)
        assert not await client.exists(registry.job_key(job.job_id))
    finally:
        await client.aclose()
    served = await stack.jobs_stub.GetJob(jobs_pb2.GetJobRequest(user_id="ttl", job_id=job.job_id))
    assert served.job.result == completed.result
    listed = await stack.jobs_stub.ListJobs(
        jobs_pb2.ListJobsRequest(user_id="ttl", document_type=BANK, include_results=True)
    )
    assert [j.job_id for j in listed.jobs] == [running.job_id, job.job_id]
    assert listed.jobs[1].result == completed.result
    assert listed.jobs[0].status == jobs_pb2.JOB_STATUS_PENDING

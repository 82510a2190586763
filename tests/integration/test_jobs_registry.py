"""The Lua transitions of the job registry against the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.results.v1 import results_pb2
from services.common.errors import InvalidTransition, NotFound
from services.jobs.registry import Registry, now_ms

BANK = results_pb2.DOCUMENT_TYPE_BANK_STATEMENT


@pytest.fixture
async def registry(redis_url: str, namespace: str) -> AsyncIterator[Registry]:
    client = Redis.from_url(redis_url)
    yield Registry(client, f"{namespace}-reg{uuid.uuid4().hex[:6]}")
    await client.aclose()


def new_job(user: str = "alice", *, batch_id: str | None = None) -> jobs_pb2.Job:
    job = jobs_pb2.Job(
        job_id=str(uuid.uuid4()),
        user_id=user,
        status=jobs_pb2.JOB_STATUS_PENDING,
        document_type=BANK,
        document_id="doc",
        file_id="file",
    )
    if batch_id:
        job.batch_id = batch_id
    job.created_at.FromMilliseconds(now_ms())
    job.updated_at.FromMilliseconds(now_ms())
    return job


async def test_happy_path_and_terminal_states(registry: Registry) -> None:
    job = new_job()
    await registry.create_job(job)
    stored = await registry.get_job(job.job_id)
    assert stored is not None and stored.status == jobs_pb2.JOB_STATUS_PENDING

    started = await registry.start(job.job_id, 2)
    assert started.job.status == jobs_pb2.JOB_STATUS_PROCESSING
    assert started.job.pages_total == 2 and started.previous == "pending"

    result = results_pb2.ParseResult()
    result.bank_statement.document_type = "bank_statement"
    done = await registry.complete(job.job_id, result.SerializeToString())
    assert done.job.status == jobs_pb2.JOB_STATUS_COMPLETED
    assert done.job.result.bank_statement.document_type == "bank_statement"
    assert done.job.completed_at.ToMilliseconds() > 0

    # completed is terminal: nothing moves it any more
    with pytest.raises(InvalidTransition):
        await registry.fail(job.job_id, "x", "y")
    with pytest.raises(InvalidTransition):
        await registry.complete(job.job_id, b"")
    with pytest.raises(InvalidTransition):
        await registry.start(job.job_id, 2)


async def test_illegal_transitions(registry: Registry) -> None:
    job = new_job()
    await registry.create_job(job)
    with pytest.raises(InvalidTransition):  # pending cannot complete
        await registry.complete(job.job_id, b"")
    with pytest.raises(InvalidTransition):  # pages only while processing
        await registry.record_page(job.job_id, 0, b"p")
    failed = await registry.fail(job.job_id, "corrupt_file", "cannot open")
    assert failed.job.status == jobs_pb2.JOB_STATUS_FAILED
    assert failed.job.error.code == "corrupt_file"
    with pytest.raises(InvalidTransition):
        await registry.start(job.job_id, 1)
    with pytest.raises(NotFound):
        await registry.start(str(uuid.uuid4()), 1)
    with pytest.raises(InvalidTransition):  # ids are never reused
        await registry.create_job(job)


async def test_start_is_idempotent_for_the_same_page_count(registry: Registry) -> None:
    job = new_job()
    await registry.create_job(job)
    await registry.start(job.job_id, 3)
    again = await registry.start(job.job_id, 3)  # a redelivered document task
    assert again.job.status == jobs_pb2.JOB_STATUS_PROCESSING
    with pytest.raises(InvalidTransition):
        await registry.start(job.job_id, 4)


async def test_record_page_is_idempotent_and_exactly_one_caller_is_last(
    registry: Registry,
) -> None:
    job = new_job()
    await registry.create_job(job)
    await registry.start(job.job_id, 20)
    first = await registry.record_page(job.job_id, 3, b"page-3")
    assert (first.pages_done, first.pages_total, first.last) == (1, 20, False)
    again = await registry.record_page(job.job_id, 3, b"other bytes")
    assert again.pages_done == 1 and not again.last

    outcomes = await asyncio.gather(
        *(registry.record_page(job.job_id, i, f"page-{i}".encode()) for i in range(20))
    )
    lasts = [o for o in outcomes if o.last]
    assert len(lasts) == 1
    winner = lasts[0]
    # every page, in order, and the first recording of page 3 won
    assert [index for index, _ in winner.pages] == list(range(20))
    assert dict(winner.pages)[3] == b"page-3"
    stored = await registry.get_job(job.job_id)
    assert stored is not None and stored.pages_done == 20

    # A page recorded again that was not the one that completed the set: still nothing
    last_index = next(i for i, outcome in enumerate(outcomes) if outcome.last)
    other = (last_index + 1) % 20
    assert not (await registry.record_page(job.job_id, other, b"x")).last


async def test_last_page_redelivered_before_completion_is_last_again(registry: Registry) -> None:
    """A worker that recorded the last page died before CompleteJob: the redelivery of that
    same page must be told to assemble, or the job would hang."""
    job = new_job()
    await registry.create_job(job)
    await registry.start(job.job_id, 2)
    await registry.record_page(job.job_id, 0, b"a")
    last = await registry.record_page(job.job_id, 1, b"b")
    assert last.last
    redelivered = await registry.record_page(job.job_id, 1, b"b")
    assert redelivered.last and [p for p, _ in redelivered.pages] == [0, 1]
    assert not (await registry.record_page(job.job_id, 0, b"a")).last
    await registry.complete(job.job_id, b"")
    with pytest.raises(InvalidTransition):  # after completion the page changes nothing
        await registry.record_page(job.job_id, 1, b"b")
    assert not await registry.redis.exists(registry.job_key(job.job_id) + ":pages")


async def test_listing_newest_first_with_status_filter_and_pages(registry: Registry) -> None:
    jobs = [new_job("bob") for _ in range(7)]
    for job in jobs:
        await registry.create_job(job)
    await registry.start(jobs[1].job_id, 1)
    await registry.fail(jobs[2].job_id, "x", "y")
    ids, total, known = await registry.list_jobs("bob", "bank_statement", None, offset=0, limit=3)
    assert total == 7 and not known  # until the jobs service has marked Redis as complete
    await registry.mark_restored()
    ids, total, known = await registry.list_jobs("bob", "bank_statement", None, offset=0, limit=3)
    assert total == 7 and known
    assert ids == [jobs[6].job_id, jobs[5].job_id, jobs[4].job_id]
    ids, _, _ = await registry.list_jobs("bob", "bank_statement", None, offset=6, limit=3)
    assert ids == [jobs[0].job_id]
    pending, total_pending, _ = await registry.list_jobs(
        "bob", "bank_statement", "pending", offset=0, limit=10
    )
    assert total_pending == 5 and jobs[1].job_id not in pending and jobs[2].job_id not in pending
    failed, _, _ = await registry.list_jobs("bob", "bank_statement", "failed", offset=0, limit=10)
    assert failed == [jobs[2].job_id]
    assert (await registry.list_jobs("bob", "invoice", None, offset=0, limit=10))[1] == 0
    assert (await registry.list_jobs("carol", "bank_statement", None, offset=0, limit=10))[1:] == (
        0,
        False,
    )


async def test_batch_counts_move_with_the_jobs(registry: Registry) -> None:
    batch = jobs_pb2.Batch(batch_id=str(uuid.uuid4()), user_id="dana", document_type=BANK)
    batch.created_at.FromMilliseconds(now_ms())
    jobs = [new_job("dana", batch_id=batch.batch_id) for _ in range(3)]
    await registry.create_batch(batch, jobs, callback_url="")

    async def counts() -> dict[str, str]:
        raw = await registry.get_batch(batch.batch_id)
        assert raw is not None
        return {k: raw[0][k] for k in ("pending", "processing", "completed", "failed")}

    assert await counts() == {"pending": "3", "processing": "0", "completed": "0", "failed": "0"}
    await registry.start(jobs[0].job_id, 1)
    await registry.start(jobs[1].job_id, 1)
    assert await counts() == {"pending": "1", "processing": "2", "completed": "0", "failed": "0"}
    first = await registry.complete(jobs[0].job_id, b"")
    second = await registry.fail(jobs[1].job_id, "x", "y")
    assert not first.batch_finished and not second.batch_finished
    third = await registry.fail(jobs[2].job_id, "x", "y")  # pending → failed
    assert third.batch_finished
    assert await counts() == {"pending": "0", "processing": "0", "completed": "1", "failed": "2"}
    raw = await registry.get_batch(batch.batch_id)
    assert raw is not None and raw[1] == [job.job_id for job in jobs]

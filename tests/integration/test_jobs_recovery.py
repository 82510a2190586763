"""Redis loses its data while jobs are unfinished: the jobs service rebuilds it from the
database, the unfinished jobs run again through real parser workers and finish (their batch
calls back), and listings stay complete and newest first."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats
from redis.asyncio import Redis

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.parser.v1 import parser_pb2
from services.common.nats_bus import parse_stream
from services.jobs.recovery import restore_score
from services.jobs.registry import Registry
from tests.factories import simple_statement_pdf
from tests.integration.test_jobs_service import play_worker
from tests.integration.test_pipeline_support import BANK, Receiver, Stack, open_stack


def test_restored_scores_keep_creation_order_below_fresh_scores() -> None:
    now = 1_800_000_000_000
    assert restore_score(now, 0) < restore_score(now, 1) < restore_score(now + 1, 0) < 0
    assert restore_score(now + 1, 0) - restore_score(now, 49) == 1024 - 49  # exact in a double


async def _listed(stack: Stack, user: str, status: int = 0) -> list[str]:
    response = await stack.jobs_stub.ListJobs(
        jobs_pb2.ListJobsRequest(user_id=user, document_type=BANK, status=status, page_size=50)
    )
    return [job.job_id for job in response.jobs]


async def _wipe(redis_url: str, namespace: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        deleted = 0
        async for key in client.scan_iter(match=f"{namespace}:*", count=1000):
            deleted += await client.delete(key)
        return deleted
    finally:
        await client.aclose()


async def test_unfinished_jobs_run_again_after_redis_lost_its_data(
    namespace: str, redis_url: str, nats_url: str, database: Any, tmp_path: Path
) -> None:
    stack = await open_stack(
        namespace=namespace,
        redis_url=redis_url,
        nats_url=nats_url,
        db=database,
        blob_root=tmp_path / "blobs",
    )
    receiver = Receiver()
    url = await receiver.start()
    client = Redis.from_url(redis_url)
    try:
        assert stack.jobs is not None
        await stack.jobs.stop(1)  # again with a quick restore check
        await stack.start_jobs(JOBS_RESTORE_CHECK_S=0.2)
        registry = Registry(client, stack.namespace)
        for _ in range(50):
            if await registry.is_restored():  # a new deployment marks its Redis at once
                break
            await asyncio.sleep(0.1)
        assert await registry.is_restored()

        user = "rita"
        document = await stack.upload(user, simple_statement_pdf(2))
        finished = await stack.submit(user, document)
        await play_worker(stack, finished.job_id)
        waiting = await stack.submit(user, document)  # pending: its task sits in the queue
        running = await stack.submit(user, document)  # processing, one page recorded
        await stack.jobs_stub.StartJob(
            jobs_pb2.StartJobRequest(job_id=running.job_id, pages_total=1)
        )
        other = await stack.upload(user, simple_statement_pdf(3))
        batch = (
            await stack.jobs_stub.CreateBatch(
                jobs_pb2.CreateBatchRequest(
                    user_id=user,
                    document_type=BANK,
                    callback_url=url,
                    files=[
                        jobs_pb2.BatchFile(file_id=d.file_id, document_id=d.doc_id)
                        for d in (document, other)
                    ],
                )
            )
        ).batch
        await play_worker(stack, batch.jobs[0].job_id)
        before = await _listed(stack, user)
        assert len(before) == 5

        # The page task a parser had already published for the running job: after the loss
        # it is stale, and the job's fresh page task must not be dropped as its duplicate.
        names = parse_stream(stack.namespace)
        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        stale = parser_pb2.PageTask(
            job_id=running.job_id,
            user_id=user,
            document_id=document.doc_id,
            file_id=document.file_id,
            page_index=0,
            pages_total=1,
            document_type=BANK,
        )
        await js.publish(
            names.page_subject,
            stale.SerializeToString(),
            stream=names.stream,
            headers={"Nats-Msg-Id": f"page-{running.job_id}-0"},
        )
        await nc.close()

        assert await _wipe(redis_url, stack.namespace) > 0
        for _ in range(100):
            if await registry.is_restored():
                break
            await asyncio.sleep(0.1)
        assert await registry.is_restored()

        assert await _listed(stack, user) == before  # complete, newest first
        pending = set(await _listed(stack, user, jobs_pb2.JOB_STATUS_PENDING))
        assert pending == {waiting.job_id, running.job_id, batch.jobs[1].job_id}
        restarted = await stack.jobs_stub.GetJob(
            jobs_pb2.GetJobRequest(user_id=user, job_id=running.job_id)
        )
        assert (restarted.job.status, restarted.job.pages_done) == (
            jobs_pb2.JOB_STATUS_PENDING,
            0,
        )
        live_batch = (
            await stack.jobs_stub.GetBatch(
                jobs_pb2.GetBatchRequest(user_id=user, batch_id=batch.batch_id)
            )
        ).batch
        assert (live_batch.completed, live_batch.pending) == (1, 1)

        newest = await stack.submit(user, document)  # created after the loss: listed first
        assert (await _listed(stack, user))[0] == newest.job_id

        await stack.start_parser()
        for job_id in (waiting.job_id, running.job_id, batch.jobs[1].job_id, newest.job_id):
            done = await stack.wait_terminal(user, job_id, timeout=90)
            assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, (job_id, done.error)
            assert done.result.bank_statement.transactions
        await asyncio.wait_for(receiver.received.wait(), 30)
        [payload] = receiver.successful()
        assert payload["batch_id"] == batch.batch_id
        assert payload["completed"] == 2
        assert await _listed(stack, user, jobs_pb2.JOB_STATUS_PENDING) == []
    finally:
        await client.aclose()
        await receiver.stop()
        await stack.close()

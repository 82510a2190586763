"""The fault test: a parser worker process is SIGKILLed while it holds a page; JetStream
redelivers the page after ack_wait to another worker and the job still completes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest

from fintract.api.jobs.v1 import jobs_pb2
from services.common.nats_bus import parse_stream
from tests.conftest import free_port
from tests.factories import simple_statement_pdf
from tests.integration.test_pipeline_support import Stack, open_stack

ROOT = Path(__file__).resolve().parents[2]
ACK_WAIT_S = 2


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


def spawn_worker(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    """``python -m services.parser`` configured through its environment."""
    env = {
        **os.environ,
        **{key: str(value) for key, value in stack.parser_env().items()},
        "PARSER_ADDR": f"127.0.0.1:{free_port()}",
        "PARSER_ACK_WAIT_S": str(ACK_WAIT_S),
        "LOG_JSON": "true",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.parser"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def test_killed_worker_holding_a_page_does_not_lose_the_job(
    stack: Stack, nats_url: str, tmp_path: Path
) -> None:
    names = parse_stream(stack.namespace)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # Long pages (60 rows) and many of them: the worker is busy for a while.
        document = await stack.upload("kill", simple_statement_pdf(60, pages=40))
        job = await stack.submit("kill", document)
        held_after_kill = 0
        for _attempt in range(5):
            worker = spawn_worker(stack, tmp_path / "worker.log")
            workers.append(worker)
            holding = False
            for _ in range(3000):  # up to ~30 s: process start-up, then the first pages
                try:
                    info = await js.consumer_info(names.stream, "pages")
                except nats.js.errors.NotFoundError:
                    info = None
                if info is not None and info.num_ack_pending > 0:
                    holding = True
                    break
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                await asyncio.sleep(0.01)
            assert holding, "the worker never took a page"
            worker.send_signal(signal.SIGKILL)
            await asyncio.to_thread(worker.wait, 10)  # never block the in-process services
            info = await js.consumer_info(names.stream, "pages")
            held_after_kill = info.num_ack_pending
            if held_after_kill > 0:  # it died with a page in hand: exactly the case to test
                break
        assert held_after_kill > 0, "could not kill a worker while it held a page"
        progress = await stack.jobs_stub.GetJob(
            jobs_pb2.GetJobRequest(user_id="kill", job_id=job.job_id)
        )
        assert progress.job.status != jobs_pb2.JOB_STATUS_COMPLETED

        survivor = spawn_worker(stack, tmp_path / "worker.log")
        workers.append(survivor)
        done = await stack.wait_terminal("kill", job.job_id, timeout=120)
        assert done.status == jobs_pb2.JOB_STATUS_COMPLETED, done.error
        assert done.pages_total == done.pages_done == 40

        survivor.send_signal(signal.SIGTERM)  # graceful: exits by itself
        assert await asyncio.to_thread(survivor.wait, 30) == 0
        info = await js.consumer_info(names.stream, "pages")
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        await nc.close()

"""Shared pieces of the jobs and pipeline tests (no tests here): the real ingest, jobs and
parser services started in-process on port 0 against the real Redis, NATS and database, and
a local HTTP receiver for callbacks."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from aiohttp import web

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from fintract.api.results.v1 import results_pb2
from services.common.grpc_server import GrpcService, insecure_channel
from services.ingest.server import start as start_ingest
from services.ingest.settings import IngestSettings
from services.jobs.server import start as start_jobs
from services.jobs.settings import JobsSettings
from services.parser.server import start as start_parser
from services.parser.settings import ParserSettings

BANK = results_pb2.DOCUMENT_TYPE_BANK_STATEMENT
INVOICE = results_pb2.DOCUMENT_TYPE_INVOICE
SECRET = "test-callback-secret"


def base_env(
    *, namespace: str, redis_url: str, nats_url: str, db: Any, blob_root: Path
) -> dict[str, Any]:
    """The settings every service of one test stack shares (as environment names)."""
    return {
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": namespace,
        "REDIS_URL": redis_url,
        "NATS_URL": nats_url,
        "DATABASE_URL": db.url,
        "DATABASE_SCHEMA": db.schema,
        "STORAGE_URL": f"file://{blob_root}",
        "LOG_JSON": False,
        "SHUTDOWN_GRACE_S": 2,
    }


@dataclass
class Stack:
    """Running services and stubs to drive them."""

    namespace: str
    env: dict[str, Any]
    ingest: GrpcService
    jobs: GrpcService | None = None
    parsers: list[GrpcService] = field(default_factory=list)
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    def channel(self, port: int) -> grpc.aio.Channel:
        channel = insecure_channel(f"127.0.0.1:{port}")
        self.channels.append(channel)
        return channel

    @property
    def ingest_stub(self) -> ingest_pb2_grpc.IngestServiceStub:
        return ingest_pb2_grpc.IngestServiceStub(self.channel(self.ingest.port))

    @property
    def jobs_stub(self) -> jobs_pb2_grpc.JobsServiceStub:
        assert self.jobs is not None
        return jobs_pb2_grpc.JobsServiceStub(self.channel(self.jobs.port))

    def jobs_env(self, **extra: Any) -> dict[str, Any]:
        return {**self.env, "INGEST_ADDR": f"127.0.0.1:{self.ingest.port}", **extra}

    def parser_env(self, **extra: Any) -> dict[str, Any]:
        assert self.jobs is not None
        return {
            **self.jobs_env(),
            "JOBS_ADDR": f"127.0.0.1:{self.jobs.port}",
            "PARSER_ACK_WAIT_S": 5,
            "PARSER_BACKOFF_S": "0.2,0.2,0.2",
            **extra,
        }

    async def start_jobs(self, **extra: Any) -> GrpcService:
        env = self.jobs_env(
            CALLBACK_SECRET=SECRET,
            CALLBACK_ALLOWLIST="127.0.0.1",
            CALLBACK_BACKOFF_S=0.2,
            CALLBACK_BACKOFF_MAX_S=1,
            CALLBACK_TIMEOUT_S=2,
            **extra,
        )
        self.jobs = await start_jobs(JobsSettings(**env), address="127.0.0.1:0")
        return self.jobs

    async def start_parser(self, **extra: Any) -> GrpcService:
        service = await start_parser(
            ParserSettings(**self.parser_env(**extra)), address="127.0.0.1:0"
        )
        self.parsers.append(service)
        return service

    async def upload(self, user: str, content: bytes, filename: str = "doc.pdf", **meta: Any):
        """Upload through the real ingest; returns the stored Document."""

        async def parts() -> AsyncIterator[ingest_pb2.UploadRequest]:
            yield ingest_pb2.UploadRequest(
                metadata=ingest_pb2.UploadMetadata(user_id=user, filename=filename, **meta)
            )
            yield ingest_pb2.UploadRequest(chunk=content)

        response = await self.ingest_stub.Upload(parts())
        return response.document

    async def submit(
        self, user: str, document: Any, *, kind: int = BANK, callback_url: str | None = None
    ) -> jobs_pb2.Job:
        request = jobs_pb2.CreateJobRequest(
            user_id=user, document_type=kind, document_id=document.doc_id, file_id=document.file_id
        )
        if callback_url:
            request.callback_url = callback_url
        return (await self.jobs_stub.CreateJob(request)).job

    async def wait_terminal(self, user: str, job_id: str, timeout: float = 60) -> jobs_pb2.Job:
        """Follow WatchJob until the job ends."""
        last: jobs_pb2.Job | None = None

        async def follow() -> None:
            nonlocal last
            call = self.jobs_stub.WatchJob(jobs_pb2.WatchJobRequest(user_id=user, job_id=job_id))
            async for update in call:
                last = update.job

        await asyncio.wait_for(follow(), timeout)
        assert last is not None
        return last

    async def stop_parsers(self) -> None:
        for service in self.parsers:
            await service.stop(1)
        self.parsers.clear()

    async def close(self) -> None:
        await self.stop_parsers()
        for channel in self.channels:
            await channel.close()
        if self.jobs is not None:
            await self.jobs.stop(1)
        await self.ingest.stop(1)


async def open_stack(
    *, namespace: str, redis_url: str, nats_url: str, db: Any, blob_root: Path
) -> Stack:
    """Ingest and jobs running, no parser yet; each stack gets its own sub-namespace."""
    ns = f"{namespace}-{uuid.uuid4().hex[:8]}"
    env = base_env(namespace=ns, redis_url=redis_url, nats_url=nats_url, db=db, blob_root=blob_root)
    ingest = await start_ingest(IngestSettings(**env), address="127.0.0.1:0")
    stack = Stack(namespace=ns, env=env, ingest=ingest)
    await stack.start_jobs()
    return stack


@dataclass
class Receiver:
    """A local HTTP server recording callbacks; ``fail_first`` answers 503 that many times."""

    fail_first: int = 0
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    received: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append((dict(request.headers), body))
        if len(self.calls) <= self.fail_first:
            return web.Response(status=503)
        self.received.set()
        return web.Response(status=204)

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{self.port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def successful(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.calls[self.fail_first :]]

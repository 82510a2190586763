"""Shared pieces of the gateway tests (no tests here).

``StandInBackend`` is a minimal in-test gRPC server implementing the generated
``IngestService`` and ``JobsService`` interfaces over a real channel, with the standard health
service. It exists because the real ingest and jobs services are built in parallel; the
route-translation tests run against it, and tests/e2e drive the real services. It keeps the
same rules the real services promise the gateway: every RPC is scoped to ``user_id`` and
answers NOT_FOUND for anyone else's ids; failures carry the ``fintract-error-code`` trailing
metadata. A job id ``fail.<STATUS>.<code>`` makes GetJob fail with that status and code, so
every mapping runs over real gRPC.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from fintract.api.results.v1 import results_pb2
from fintract.keys import KeyStore, create_engine
from gateway.app import create_app
from gateway.settings import GatewaySettings

CODE_KEY = "fintract-error-code"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _abort(context: grpc.aio.ServicerContext, status: grpc.StatusCode, code: str, msg: str):
    context.set_trailing_metadata(((CODE_KEY, code),))
    await context.abort(status, msg)


def _now() -> Timestamp:
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts


@dataclass
class Seen:
    """What the stand-in received, for assertions."""

    request_ids: list[str] = field(default_factory=list)
    passwords: list[str | None] = field(default_factory=list)
    create_jobs: list[jobs_pb2.CreateJobRequest] = field(default_factory=list)

    def note(self, context: grpc.aio.ServicerContext) -> None:
        for key, value in context.invocation_metadata() or ():
            if key == "x-request-id":
                self.request_ids.append(value)


class StandInIngest(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, seen: Seen) -> None:
        self.seen = seen
        self.docs: dict[str, tuple[ingest_pb2.Document, bytes]] = {}

    async def Upload(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        self.seen.note(context)
        meta: ingest_pb2.UploadMetadata | None = None
        data = bytearray()
        async for part in request_iterator:
            if part.WhichOneof("part") == "metadata":
                meta = part.metadata
            else:
                data.extend(part.chunk)
        assert meta is not None
        self.seen.passwords.append(meta.password if meta.HasField("password") else None)
        if not data:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "empty_file", "file is empty")
        if data.startswith(b"%PDF"):
            content_type, kind = "application/pdf", results_pb2.DOCUMENT_TYPE_BANK_STATEMENT
            if b"/Encrypt" in data and meta.password != "open-sesame":
                await _abort(
                    context, grpc.StatusCode.INVALID_ARGUMENT, "encrypted_pdf", "PDF is encrypted"
                )
        elif data.startswith(b"\x89PNG"):
            content_type, kind = "image/png", results_pb2.DOCUMENT_TYPE_PAYMENT_SCREENSHOT
        else:
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "unsupported_file_type",
                "only PDF, JPEG and PNG files are accepted",
            )
        digest = hashlib.sha256(data).hexdigest()
        file_id = f"{meta.user_id}-{digest[:16]}"
        doc = ingest_pb2.Document(
            doc_id=str(uuid.uuid5(uuid.NAMESPACE_URL, file_id)),
            file_id=file_id,
            user_id=meta.user_id,
            filename=meta.filename,
            content_type=content_type,
            size=len(data),
            pages=1,
            sha256=digest,
            classification=ingest_pb2.Classification(type=kind, confidence=0.9),
            created_at=_now(),
        )
        self.docs[file_id] = (doc, bytes(data))
        return ingest_pb2.UploadResponse(document=doc)

    async def ReadDocument(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.seen.note(context)
        found = self.docs.get(request.file_id)
        if found is None or found[0].user_id != request.user_id:
            await _abort(context, grpc.StatusCode.NOT_FOUND, "not_found", "file not found")
        doc, data = found  # type: ignore[misc]
        yield ingest_pb2.ReadDocumentResponse(document=doc)
        for start in range(0, len(data), 7):
            yield ingest_pb2.ReadDocumentResponse(chunk=data[start : start + 7])


class StandInJobs(jobs_pb2_grpc.JobsServiceServicer):
    def __init__(self, seen: Seen) -> None:
        self.seen = seen
        self.jobs: dict[str, jobs_pb2.Job] = {}
        self.batches: dict[str, jobs_pb2.Batch] = {}

    def _job(self, request: Any, batch_id: str | None = None, **ids: str) -> jobs_pb2.Job:
        job = jobs_pb2.Job(
            job_id=str(uuid.uuid4()),
            user_id=request.user_id,
            status=jobs_pb2.JOB_STATUS_PENDING,
            document_type=request.document_type,
            provider=request.provider,
            created_at=_now(),
            updated_at=_now(),
            **ids,
        )
        if batch_id:
            job.batch_id = batch_id
        self.jobs[job.job_id] = job
        return job

    async def CreateJob(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.seen.note(context)
        self.seen.create_jobs.append(request)
        job = self._job(request, document_id=request.document_id, file_id=request.file_id)
        return jobs_pb2.CreateJobResponse(job=job)

    async def GetJob(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.seen.note(context)
        if request.job_id.startswith("fail."):
            _, status, code = request.job_id.split(".", 2)
            await _abort(context, grpc.StatusCode[status], code, f"secret detail {code}")
        if request.job_id == "crash":
            raise RuntimeError("database password is hunter2")
        job = self.jobs.get(request.job_id)
        if job is None or job.user_id != request.user_id:
            await _abort(context, grpc.StatusCode.NOT_FOUND, "not_found", "job not found")
        return jobs_pb2.GetJobResponse(job=job)

    async def ListJobs(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        jobs = [
            j
            for j in reversed(self.jobs.values())
            if j.user_id == request.user_id
            and j.document_type == request.document_type
            and (request.status == 0 or j.status == request.status)
        ]
        size = request.page_size
        page = jobs[(request.page - 1) * size : request.page * size]
        return jobs_pb2.ListJobsResponse(
            jobs=page,
            page=request.page,
            page_size=size,
            total=len(jobs),
            total_pages=(len(jobs) + size - 1) // size,
        )

    async def CreateBatch(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        batch_id = str(uuid.uuid4())
        batch = jobs_pb2.Batch(
            batch_id=batch_id,
            user_id=request.user_id,
            document_type=request.document_type,
            status=jobs_pb2.BATCH_STATUS_PENDING,
            total=len(request.files),
            pending=len(request.files),
            created_at=_now(),
            updated_at=_now(),
        )
        for f in request.files:
            job = self._job(request, batch_id, document_id=f.document_id, file_id=f.file_id)
            batch.jobs.append(
                jobs_pb2.BatchJob(
                    job_id=job.job_id,
                    file_id=f.file_id,
                    document_id=f.document_id,
                    status=jobs_pb2.JOB_STATUS_PENDING,
                )
            )
        self.batches[batch_id] = batch
        return jobs_pb2.CreateBatchResponse(batch=batch)

    async def GetBatch(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        batch = self.batches.get(request.batch_id)
        if batch is None or batch.user_id != request.user_id:
            await _abort(context, grpc.StatusCode.NOT_FOUND, "not_found", "batch not found")
        return jobs_pb2.GetBatchResponse(batch=batch)


@dataclass
class StandInBackend:
    server: grpc.aio.Server
    address: str
    ingest: StandInIngest
    jobs: StandInJobs
    seen: Seen
    health: health.aio.HealthServicer


@pytest.fixture(scope="session", name="stand_in")
async def stand_in_fixture() -> AsyncIterator[StandInBackend]:
    seen = Seen()
    server = grpc.aio.server()
    ingest, jobs = StandInIngest(seen), StandInJobs(seen)
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(ingest, server)
    jobs_pb2_grpc.add_JobsServiceServicer_to_server(jobs, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    yield StandInBackend(server, f"127.0.0.1:{port}", ingest, jobs, seen, health_servicer)
    await server.stop(None)


def gateway_settings(address: str, db: Any, redis_url: str, namespace: str, **extra: Any):
    values: dict[str, Any] = {
        "environment": "test",
        "namespace": namespace,
        "ingest_addr": address,
        "jobs_addr": address,
        "parser_addr": address,
        "payments_addr": address,
        "database_url": db.url,
        "database_schema": db.schema,
        "redis_url": redis_url,
        "key_cache_ttl_s": 0,
        "rate_limit_per_minute": 10_000,
        "api_log_interval_s": 0.05,
    }
    return GatewaySettings(_env_file=None, **{**values, **extra})


@dataclass
class Gateway:
    client: httpx.AsyncClient
    store: KeyStore
    app: Any

    async def key(self, user: str, **kwargs: Any) -> dict[str, str]:
        _, key = await self.store.create(user, **kwargs)
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(name="gateway")
async def gateway_fixture(
    stand_in: StandInBackend, database: Any, redis_url: str, namespace: str
) -> AsyncIterator[Gateway]:
    settings = gateway_settings(stand_in.address, database, redis_url, namespace)
    async for gw in open_gateway(settings, database):
        yield gw


async def open_gateway(
    settings: GatewaySettings, db: Any, *, app: Any = None
) -> AsyncIterator[Gateway]:
    app = app or create_app(settings)
    engine = create_engine(db.url, schema=db.schema)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
            yield Gateway(client=client, store=KeyStore(engine), app=app)
    await engine.dispose()


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn server on a free port (lifespan included)."""
    import uvicorn

    from tests.conftest import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def progress_job(
    backend: StandInBackend, job_id: str, *, pages: int, result: dict[str, Any] | None
) -> None:
    """Move a stand-in job through processing, page by page, to completed (with ``result``)."""
    from fintract.convert import dict_to_message

    await asyncio.sleep(0.3)
    job = backend.jobs.jobs[job_id]
    job.status = jobs_pb2.JOB_STATUS_PROCESSING
    job.pages_total = pages
    for done in range(1, pages + 1):
        await asyncio.sleep(0.3)
        job.pages_done = done
        job.updated_at.GetCurrentTime()
    if result is None:
        job.status = jobs_pb2.JOB_STATUS_FAILED
        job.error.code, job.error.message = "extraction_failed", "page 1 could not be read"
    else:
        dict_to_message(result, getattr(job.result, result["document_type"]))
        job.result.provenance.provider = "local"
        job.status = jobs_pb2.JOB_STATUS_COMPLETED
        job.completed_at.GetCurrentTime()

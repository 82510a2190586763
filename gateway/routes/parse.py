"""Statements and invoices: one router factory, five routes each.

``POST {prefix}`` (202), ``GET {prefix}``, ``GET {prefix}/{job_id}``, ``POST {prefix}/batch``
(202), ``GET {prefix}/batch/{batch_id}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from fintract.api.jobs.v1 import jobs_pb2
from gateway.deps import Clients, ParseUser, RpcMetadata, State
from gateway.errors import ApiError, ok
from gateway.serialize import (
    DOCUMENT_TYPES,
    JOB_STATUSES,
    batch_created_json,
    batch_json,
    job_json,
    job_page_json,
)

MAX_BATCH_FILES = 50
Provider = Literal["local", "gemini", "hybrid"]
_Id = Annotated[str, Field(min_length=1, max_length=200)]


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_id: _Id
    document_id: _Id
    callback_url: AnyHttpUrl | None = None
    provider: Provider | None = None
    # Invoices: read embedded e-invoice XML when present (null = the deployment's default).
    use_embedded_xml: bool | None = None


class BatchFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_id: _Id
    document_id: _Id


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    files: list[BatchFile] = Field(min_length=1, max_length=MAX_BATCH_FILES)
    callback_url: AnyHttpUrl | None = None
    provider: Provider | None = None
    use_embedded_xml: bool | None = None


def _accepted(data: dict[str, Any]) -> JSONResponse:
    return ok(data, 202)


def make_parse_router(
    document_type: Literal["bank_statement", "invoice"], prefix: str
) -> APIRouter:
    """The five routes of one document type under ``prefix`` (e.g. /api/v1/parse/invoices)."""
    kind = DOCUMENT_TYPES[document_type]
    noun = document_type.replace("_", " ")
    router = APIRouter(prefix=prefix, tags=[f"{noun}s"])

    @router.post("", status_code=202, summary=f"Submit an uploaded {noun} for parsing")
    async def create_job(
        body: ParseRequest, user: ParseUser, clients: Clients, md: RpcMetadata, state: State
    ) -> JSONResponse:
        request = jobs_pb2.CreateJobRequest(
            user_id=user.user_id,
            document_type=kind,
            document_id=body.document_id,
            file_id=body.file_id,
            provider=body.provider or "",
        )
        if body.callback_url is not None:
            request.callback_url = str(body.callback_url)
        if body.use_embedded_xml is not None:
            request.use_embedded_xml = body.use_embedded_xml
        response = await clients.jobs.CreateJob(
            request, metadata=md, timeout=state.settings.rpc_timeout_s
        )
        return _accepted({"job_id": response.job.job_id, "status": "pending"})

    @router.get("", summary=f"List your {noun} jobs, newest first")
    async def list_jobs(
        user: ParseUser,
        clients: Clients,
        md: RpcMetadata,
        state: State,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
        status: Annotated[
            Literal["pending", "processing", "completed", "failed"] | None, Query()
        ] = None,
    ) -> JSONResponse:
        response = await clients.jobs.ListJobs(
            jobs_pb2.ListJobsRequest(
                user_id=user.user_id,
                document_type=kind,
                status=JOB_STATUSES[status] if status else jobs_pb2.JOB_STATUS_UNSPECIFIED,
                page=page,
                page_size=page_size,
            ),
            metadata=md,
            timeout=state.settings.rpc_timeout_s,
        )
        return ok(job_page_json(response))

    @router.post("/batch", status_code=202, summary=f"Submit up to 50 uploaded {noun}s")
    async def create_batch(
        body: BatchRequest, user: ParseUser, clients: Clients, md: RpcMetadata, state: State
    ) -> JSONResponse:
        request = jobs_pb2.CreateBatchRequest(
            user_id=user.user_id,
            document_type=kind,
            files=[
                jobs_pb2.BatchFile(file_id=f.file_id, document_id=f.document_id) for f in body.files
            ],
            provider=body.provider or "",
        )
        if body.callback_url is not None:
            request.callback_url = str(body.callback_url)
        if body.use_embedded_xml is not None:
            request.use_embedded_xml = body.use_embedded_xml
        response = await clients.jobs.CreateBatch(
            request, metadata=md, timeout=state.settings.rpc_timeout_s
        )
        data = batch_created_json(response.batch)
        data["status"] = "pending"
        return _accepted(data)

    @router.get("/batch/{batch_id}", summary=f"A batch of {noun}s: counts and its jobs")
    async def get_batch(
        batch_id: str, user: ParseUser, clients: Clients, md: RpcMetadata, state: State
    ) -> JSONResponse:
        response = await clients.jobs.GetBatch(
            jobs_pb2.GetBatchRequest(user_id=user.user_id, batch_id=batch_id),
            metadata=md,
            timeout=state.settings.rpc_timeout_s,
        )
        if response.batch.document_type not in (kind, 0):
            _not_found("batch", batch_id)
        return ok(batch_json(response.batch))

    @router.get("/{job_id}", summary=f"A {noun} job, with its results once completed")
    async def get_job(
        job_id: str, user: ParseUser, clients: Clients, md: RpcMetadata, state: State
    ) -> JSONResponse:
        response = await clients.jobs.GetJob(
            jobs_pb2.GetJobRequest(user_id=user.user_id, job_id=job_id),
            metadata=md,
            timeout=state.settings.rpc_timeout_s,
        )
        if response.job.document_type not in (kind, 0):
            _not_found("job", job_id)
        return ok(job_json(response.job))

    return router


def _not_found(what: str, ident: str) -> None:
    raise ApiError(404, "not_found", f"{what} {ident} not found")


__all__ = ["BatchRequest", "ParseRequest", "make_parse_router"]

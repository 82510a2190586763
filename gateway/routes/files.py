"""Uploads (``POST /api/v1/parse/upload``) and stored files (``GET /api/v1/files/{file_id}``).

Each uploaded file is streamed to ``IngestService.Upload`` in chunks: metadata first (with the
optional ``password``, which is passed on and never stored or logged), then the bytes. A file
that ingest refuses goes into ``errors`` while the others succeed; when every file fails the
answer is the first file's error (its HTTP status and code) with all of them in
``error.details.errors``. A service outage (5xx) fails the whole request: uploads are
idempotent (same bytes, same document), so retrying is safe.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

import grpc
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from fintract.api.ingest.v1 import ingest_pb2
from gateway.deps import Clients, ParseUser, RpcMetadata, State
from gateway.errors import ApiError, from_grpc, ok
from gateway.serialize import file_json

router = APIRouter(tags=["files"])

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


async def _upload_stream(
    file: UploadFile, user_id: str, password: str | None, chunk_bytes: int
) -> AsyncIterator[ingest_pb2.UploadRequest]:
    metadata = ingest_pb2.UploadMetadata(
        user_id=user_id,
        filename=file.filename or "upload",
        declared_content_type=file.content_type or "",
    )
    if password:
        metadata.password = password
    yield ingest_pb2.UploadRequest(metadata=metadata)
    while chunk := await file.read(chunk_bytes):
        yield ingest_pb2.UploadRequest(chunk=chunk)


def _file_error(filename: str, error: ApiError) -> dict[str, Any]:
    return {"filename": filename, "code": error.code, "message": error.message}


@router.post("/api/v1/parse/upload", summary="Upload one or more PDF/JPEG/PNG files")
async def upload(
    request: Request,
    files: Annotated[list[UploadFile], File(description="one or many files")],
    user: ParseUser,
    clients: Clients,
    md: RpcMetadata,
    state: State,
    password: Annotated[str | None, Form(description="opens encrypted PDFs; never stored")] = None,
) -> JSONResponse:
    settings = state.settings
    if len(files) > settings.max_upload_files:
        raise ApiError(
            422,
            "validation_error",
            f"files: at most {settings.max_upload_files} files per upload",
            details={"errors": [{"field": "files", "message": "too many files"}]},
        )
    base = settings.public_base_url.rstrip("/") or str(request.base_url).rstrip("/")
    uploaded: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    first_error: ApiError | None = None
    for file in files:
        filename = file.filename or "upload"
        if file.size is not None and file.size > settings.max_file_bytes:
            error = ApiError(413, "file_too_large", f"file exceeds {settings.max_file_bytes} bytes")
        else:
            try:
                response = await clients.ingest.Upload(
                    _upload_stream(file, user.user_id, password, settings.upload_chunk_bytes),
                    metadata=md,
                    timeout=settings.rpc_timeout_s,
                )
            except grpc.aio.AioRpcError as exc:
                error = from_grpc(exc)
                if error.status >= 500:
                    raise error from exc
            else:
                document = response.document
                uploaded.append(
                    file_json(document, file_url=f"{base}/api/v1/files/{document.file_id}")
                )
                continue
            finally:
                await file.close()
        first_error = first_error or error
        errors.append(_file_error(filename, error))
    if not uploaded and first_error is not None:
        raise ApiError(
            first_error.status,
            first_error.code,
            first_error.message,
            details={"errors": errors},
        )
    return ok({"files": uploaded, "errors": errors})


def _content_disposition(filename: str) -> str:
    ascii_name = _UNSAFE.sub("_", filename)[:150] or "file"
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename[:150])}"


@router.get(
    "/api/v1/files/{file_id}",
    summary="Download a stored file (owner only)",
    response_class=StreamingResponse,
)
async def read_file(
    file_id: str, user: ParseUser, clients: Clients, md: RpcMetadata, state: State
) -> StreamingResponse:
    call = clients.ingest.ReadDocument(
        ingest_pb2.ReadDocumentRequest(user_id=user.user_id, file_id=file_id),
        metadata=md,
        timeout=state.settings.rpc_timeout_s,
    )
    first = await call.read()
    document: ingest_pb2.Document | None = None
    pending: list[bytes] = []
    while first is not grpc.aio.EOF:
        part = first.WhichOneof("part")
        if part == "document":
            document = first.document
            break
        if part == "chunk":
            pending.append(first.chunk)
            break
        first = await call.read()
    if document is None and not pending:
        raise ApiError(404, "not_found", f"file {file_id} not found")

    async def body() -> AsyncIterator[bytes]:
        try:
            for chunk in pending:
                yield chunk
            while (message := await call.read()) is not grpc.aio.EOF:
                if message.WhichOneof("part") == "chunk":
                    yield message.chunk
        finally:
            call.cancel()

    headers: dict[str, str] = {}
    media_type = "application/octet-stream"
    if document is not None:
        media_type = document.content_type or media_type
        headers["Content-Disposition"] = _content_disposition(document.filename or file_id)
        # No Content-Length from the metadata: `size` is what was uploaded, and an encrypted
        # upload is stored decrypted (another length). The body goes out chunked.
    return StreamingResponse(body(), media_type=media_type, headers=headers)


__all__ = ["router"]

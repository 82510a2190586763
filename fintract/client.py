"""The REST SDK: :class:`FintractClient` (sync) and :class:`AsyncFintractClient`.

    client = FintractClient("http://127.0.0.1:8000", api_key="ft_...")
    [doc] = client.upload(["statement.pdf"])
    job = client.parse_statement(doc["file_id"], doc["doc_id"])
    result = client.wait(job["job_id"])["results"]

Answers are the contract's JSON (``data`` of the envelope) as dicts. Errors raise
:class:`FintractAPIError` (``code``, ``message``, ``status``); an upload where some files were
refused raises :class:`FintractUploadError`, which still carries the files that succeeded.
Pass ``transport=`` (an ``httpx`` transport) to talk to an in-process app or a test server.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx

DocumentType = Literal["bank_statement", "invoice"]
TERMINAL = frozenset({"completed", "failed"})
_PREFIX: dict[str, str] = {
    "bank_statement": "/api/v1/parse/statements",
    "invoice": "/api/v1/parse/invoices",
}
ProgressCallback = Callable[[dict[str, Any]], None]


class FintractAPIError(Exception):
    """An error answer of the API: stable ``code``, human ``message``, HTTP ``status``."""

    def __init__(
        self, code: str, message: str, status: int, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = dict(details or {})


class FintractUploadError(FintractAPIError):
    """Some uploaded files were refused: ``errors`` lists them, ``files`` holds the rest."""

    def __init__(self, files: list[dict[str, Any]], errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        super().__init__(first["code"], f"{first['filename']}: {first['message']}", 200)
        self.files = files
        self.errors = errors


class FintractTimeout(TimeoutError):
    """:meth:`FintractClient.wait` gave up; ``job`` is the last state seen."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__(f"job {job.get('job_id')} still {job.get('status')}")
        self.job = job


def _data(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise FintractAPIError(
            "bad_response", f"non-JSON answer ({response.status_code})", response.status_code
        ) from None
    if not isinstance(body, dict) or "success" not in body:
        raise FintractAPIError("bad_response", "not an envelope", response.status_code)
    if not body["success"] or response.status_code >= 400:
        error = body.get("error") or {}
        raise FintractAPIError(
            str(error.get("code", "error")),
            str(error.get("message", "")),
            response.status_code,
            error.get("details"),
        )
    return body["data"]


def _upload_data(data: dict[str, Any]) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = data["files"]
    if data.get("errors"):
        raise FintractUploadError(files, data["errors"])
    return files


def _file_parts(paths: Sequence[str | Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    parts = []
    for raw in paths:
        path = Path(raw)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        parts.append(("files", (path.name, path.read_bytes(), kind)))
    return parts


def _batch_body(
    files: Iterable[Mapping[str, str] | tuple[str, str]],
    callback_url: str | None,
    provider: str | None,
) -> dict[str, Any]:
    items = [
        {"file_id": f[0], "document_id": f[1]}
        if isinstance(f, tuple)
        else {"file_id": f["file_id"], "document_id": f.get("document_id") or f["doc_id"]}
        for f in files
    ]
    return _job_body({"files": items}, callback_url, provider)


def _job_body(
    body: dict[str, Any], callback_url: str | None, provider: str | None
) -> dict[str, Any]:
    if callback_url:
        body["callback_url"] = callback_url
    if provider:
        body["provider"] = provider
    return body


class _Base:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}", "User-Agent": "fintract-sdk/0.1"}
        self._types: dict[str, str] = {}

    def _candidates(self, ident: str, document_type: str | None) -> list[str]:
        kind = document_type or self._types.get(ident)
        return [kind] if kind else ["bank_statement", "invoice"]


class FintractClient(_Base):
    """Synchronous client of the fintract REST API."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(base_url, api_key)
        self._http = httpx.Client(
            base_url=self.base_url, headers=self.headers, transport=transport, timeout=timeout
        )

    def __enter__(self) -> FintractClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return _data(self._http.request(method, path, **kwargs))

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/api/v1/health")
        return result

    def upload(
        self, paths: Sequence[str | Path], *, password: str | None = None
    ) -> list[dict[str, Any]]:
        """Upload files; returns one ``{file_id, doc_id, type, ...}`` per file."""
        data = {"password": password} if password else None
        return _upload_data(
            self._call("POST", "/api/v1/parse/upload", files=_file_parts(paths), data=data)
        )

    def download(self, file_id: str) -> bytes:
        response = self._http.get(f"/api/v1/files/{file_id}")
        if response.status_code != 200:
            _data(response)
        return response.content

    def parse(
        self,
        document_type: DocumentType,
        file_id: str,
        document_id: str,
        callback_url: str | None = None,
        *,
        provider: str | None = None,
    ) -> dict[str, Any]:
        """Submit a job; returns ``{job_id, status}``."""
        body = _job_body({"file_id": file_id, "document_id": document_id}, callback_url, provider)
        job: dict[str, Any] = self._call("POST", _PREFIX[document_type], json=body)
        self._types[job["job_id"]] = document_type
        return job

    def parse_statement(
        self, file_id: str, document_id: str, callback_url: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return self.parse("bank_statement", file_id, document_id, callback_url, **kw)

    def parse_invoice(
        self, file_id: str, document_id: str, callback_url: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return self.parse("invoice", file_id, document_id, callback_url, **kw)

    def get_job(self, job_id: str, *, document_type: DocumentType | None = None) -> dict[str, Any]:
        """A job; without ``document_type`` the SDK uses what it submitted, else tries both."""
        kinds = self._candidates(job_id, document_type)
        for kind in kinds:
            try:
                job: dict[str, Any] = self._call("GET", f"{_PREFIX[kind]}/{job_id}")
            except FintractAPIError as exc:
                if exc.status == 404 and kind != kinds[-1]:
                    continue
                raise
            self._types[job_id] = kind
            return job
        raise AssertionError("unreachable")

    def list_jobs(
        self,
        document_type: DocumentType = "bank_statement",
        *,
        page: int = 1,
        page_size: int = 20,
        status: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if status:
            params["status"] = status
        result: dict[str, Any] = self._call("GET", _PREFIX[document_type], params=params)
        return result

    def create_batch(
        self,
        files: Iterable[Mapping[str, str] | tuple[str, str]],
        *,
        document_type: DocumentType = "bank_statement",
        callback_url: str | None = None,
        provider: str | None = None,
    ) -> dict[str, Any]:
        """``files`` as ``(file_id, document_id)`` pairs or upload answers."""
        body = _batch_body(files, callback_url, provider)
        batch: dict[str, Any] = self._call("POST", f"{_PREFIX[document_type]}/batch", json=body)
        self._types[batch["batch_id"]] = document_type
        for job in batch["jobs"]:
            self._types[job["job_id"]] = document_type
        return batch

    def get_batch(
        self, batch_id: str, *, document_type: DocumentType | None = None
    ) -> dict[str, Any]:
        kinds = self._candidates(batch_id, document_type)
        for kind in kinds:
            try:
                batch: dict[str, Any] = self._call("GET", f"{_PREFIX[kind]}/batch/{batch_id}")
            except FintractAPIError as exc:
                if exc.status == 404 and kind != kinds[-1]:
                    continue
                raise
            return batch
        raise AssertionError("unreachable")

    def wait(
        self,
        job_id: str,
        timeout: float = 300.0,
        on_progress: ProgressCallback | None = None,
        *,
        poll_interval: float = 0.5,
    ) -> dict[str, Any]:
        """Poll until the job is completed or failed; ``on_progress(job)`` on every change."""
        deadline = time.monotonic() + timeout
        last: tuple[Any, ...] | None = None
        while True:
            job = self.get_job(job_id)
            seen = (job["status"], job.get("pages_done"), job.get("pages_total"))
            if on_progress is not None and seen != last:
                on_progress(job)
            last = seen
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() >= deadline:
                raise FintractTimeout(job)
            time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


class AsyncFintractClient(_Base):
    """The asyncio twin of :class:`FintractClient` (same methods, awaited)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(base_url, api_key)
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, transport=transport, timeout=timeout
        )

    async def __aenter__(self) -> AsyncFintractClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return _data(await self._http.request(method, path, **kwargs))

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/api/v1/health")
        return result

    async def download(self, file_id: str) -> bytes:
        response = await self._http.get(f"/api/v1/files/{file_id}")
        if response.status_code != 200:
            _data(response)
        return response.content

    async def upload(
        self, paths: Sequence[str | Path], *, password: str | None = None
    ) -> list[dict[str, Any]]:
        data = {"password": password} if password else None
        parts = await asyncio.to_thread(_file_parts, paths)
        return _upload_data(
            await self._call("POST", "/api/v1/parse/upload", files=parts, data=data)
        )

    async def parse(
        self,
        document_type: DocumentType,
        file_id: str,
        document_id: str,
        callback_url: str | None = None,
        *,
        provider: str | None = None,
    ) -> dict[str, Any]:
        body = _job_body({"file_id": file_id, "document_id": document_id}, callback_url, provider)
        job: dict[str, Any] = await self._call("POST", _PREFIX[document_type], json=body)
        self._types[job["job_id"]] = document_type
        return job

    async def parse_statement(
        self, file_id: str, document_id: str, callback_url: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return await self.parse("bank_statement", file_id, document_id, callback_url, **kw)

    async def parse_invoice(
        self, file_id: str, document_id: str, callback_url: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        return await self.parse("invoice", file_id, document_id, callback_url, **kw)

    async def get_job(
        self, job_id: str, *, document_type: DocumentType | None = None
    ) -> dict[str, Any]:
        kinds = self._candidates(job_id, document_type)
        for kind in kinds:
            try:
                job: dict[str, Any] = await self._call("GET", f"{_PREFIX[kind]}/{job_id}")
            except FintractAPIError as exc:
                if exc.status == 404 and kind != kinds[-1]:
                    continue
                raise
            self._types[job_id] = kind
            return job
        raise AssertionError("unreachable")

    async def list_jobs(
        self,
        document_type: DocumentType = "bank_statement",
        *,
        page: int = 1,
        page_size: int = 20,
        status: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if status:
            params["status"] = status
        result: dict[str, Any] = await self._call("GET", _PREFIX[document_type], params=params)
        return result

    async def create_batch(
        self,
        files: Iterable[Mapping[str, str] | tuple[str, str]],
        *,
        document_type: DocumentType = "bank_statement",
        callback_url: str | None = None,
        provider: str | None = None,
    ) -> dict[str, Any]:
        body = _batch_body(files, callback_url, provider)
        batch: dict[str, Any] = await self._call(
            "POST", f"{_PREFIX[document_type]}/batch", json=body
        )
        for job in batch["jobs"]:
            self._types[job["job_id"]] = document_type
        self._types[batch["batch_id"]] = document_type
        return batch

    async def get_batch(
        self, batch_id: str, *, document_type: DocumentType | None = None
    ) -> dict[str, Any]:
        kinds = self._candidates(batch_id, document_type)
        for kind in kinds:
            try:
                batch: dict[str, Any] = await self._call("GET", f"{_PREFIX[kind]}/batch/{batch_id}")
            except FintractAPIError as exc:
                if exc.status == 404 and kind != kinds[-1]:
                    continue
                raise
            return batch
        raise AssertionError("unreachable")

    async def wait(
        self,
        job_id: str,
        timeout: float = 300.0,
        on_progress: ProgressCallback | None = None,
        *,
        poll_interval: float = 0.5,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: tuple[Any, ...] | None = None
        while True:
            job = await self.get_job(job_id)
            seen = (job["status"], job.get("pages_done"), job.get("pages_total"))
            if on_progress is not None and seen != last:
                on_progress(job)
            last = seen
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() >= deadline:
                raise FintractTimeout(job)
            await asyncio.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


__all__ = [
    "AsyncFintractClient",
    "FintractAPIError",
    "FintractClient",
    "FintractTimeout",
    "FintractUploadError",
]

"""Request context as a plain ASGI middleware (cheaper than BaseHTTPMiddleware): the request
id (``X-Request-ID`` in and out), one access-log line, and an ``api_logs`` row queued for the
batch writer. Bodies, headers and keys are never recorded."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fintract.keys import ApiLogEntry
from fintract.keys.usage import now_utc
from gateway.errors import error_body

_log = structlog.get_logger("fintract.gateway.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _incoming_request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _REQUEST_ID_RE.match(text):
                return text
            break
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_request_id(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [*message.get("headers", ()), header]
                rate = state.get("rate_limit")
                if rate is not None and status != 429:
                    headers.append((b"x-ratelimit-limit", str(rate[0]).encode()))
                    headers.append((b"x-ratelimit-remaining", str(rate[1]).encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            latency_ms = round((time.perf_counter() - start) * 1000, 3)
            gateway = getattr(scope["app"].state, "gateway", None) if "app" in scope else None
            recorder = gateway.recorder if gateway is not None else None
            if recorder is not None:
                recorder.record(
                    ApiLogEntry(
                        method=scope["method"],
                        path=scope["path"],
                        status=status,
                        latency_ms=latency_ms,
                        user_id=state.get("user_id"),
                        key_id=state.get("key_id"),
                        request_id=request_id,
                        created_at=now_utc(),
                    )
                )
            _log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=latency_ms,
                request_id=request_id,
            )


class BodyLimitMiddleware:
    """Refuse (413 ``request_too_large``) a request that announces a body larger than
    ``max_bytes`` before anything reads it (multipart bodies are otherwise spooled whole)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope.get("headers", ()):
                if key == b"content-length":
                    if value.isdigit() and int(value) > self.max_bytes:
                        response = JSONResponse(
                            error_body(
                                "request_too_large",
                                f"request body exceeds {self.max_bytes} bytes",
                            ),
                            status_code=413,
                            headers={"Connection": "close"},
                        )
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


__all__ = ["BodyLimitMiddleware", "RequestContextMiddleware"]

"""The error envelope and the ONE mapping from gRPC status to HTTP.

Every error leaves the gateway as ``{"success": false, "data": null, "error": {"code",
"message", "details"}}`` with a real HTTP status. gRPC errors map by status and by the
``fintract-error-code`` trailing metadata the services attach (see ``GRPC_TO_HTTP`` and
``CODE_TO_HTTP``):

==========================  ====================================================
gRPC status                 HTTP
==========================  ====================================================
NOT_FOUND                   404
INVALID_ARGUMENT            400; unsupported_file_type 415; file_too_large,
                            too_many_pages, image_too_large 413. encrypted_pdf and
                            wrong_password stay 400: the client fixes them by sending the
                            right ``password`` form field, like any other bad input (422
                            is kept for request bodies that fail validation)
FAILED_PRECONDITION,
ALREADY_EXISTS              409
RESOURCE_EXHAUSTED          429 (rate_limited); 413 for the size codes above
PERMISSION_DENIED           403
UNAUTHENTICATED             401
UNAVAILABLE,
DEADLINE_EXCEEDED           503
anything else               500 ``internal_error``, no detail leaked
==========================  ====================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fintract.keys import KeyVerifierUnavailable
from fintract.rpc_errors import ERROR_CODE_METADATA_KEY, error_code_of

_log = structlog.get_logger("fintract.gateway")


GRPC_TO_HTTP: Mapping[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid_input"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "conflict"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "conflict"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limited"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "forbidden"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "unauthorized"),
    grpc.StatusCode.UNAVAILABLE: (503, "unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "unavailable"),
}

# Codes whose HTTP status differs from their gRPC status's default.
CODE_TO_HTTP: Mapping[str, int] = {
    "unsupported_file_type": 415,
    "file_too_large": 413,
    "too_many_pages": 413,
    "image_too_large": 413,
}


class ApiError(Exception):
    """An error answered with the envelope: raise it from routes and dependencies."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def envelope(data: Any) -> dict[str, Any]:
    """A success envelope."""
    return {"success": True, "data": data, "error": None}


def ok(data: Any, status: int = 200) -> JSONResponse:
    """A success envelope as a response. Routes return this rather than a dict, so FastAPI
    does not re-validate and re-encode large results through a response model."""
    return JSONResponse({"success": True, "data": data, "error": None}, status_code=status)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "details": details or {}},
    }


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, error.details),
        status_code=error.status,
        headers=error.headers or None,
    )


def from_grpc(error: grpc.aio.AioRpcError) -> ApiError:
    """Translate a failed RPC into the HTTP error it stands for."""
    status = error.code()
    code = error_code_of(error)
    default = GRPC_TO_HTTP.get(status)
    if default is None or code == "internal_error":
        return ApiError(500, "internal_error", "internal error")
    http_status, default_code = default
    code = code or default_code
    http_status = CODE_TO_HTTP.get(code, http_status)
    if http_status >= 500:
        return ApiError(http_status, code, "a service is unavailable, try again shortly")
    return ApiError(http_status, code, error.details() or code.replace("_", " "))


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        problems.append({"field": ".".join(loc), "message": str(err.get("msg", ""))})
    return {"errors": problems}


def install_error_handlers(app: FastAPI) -> None:
    """Every error path answers with the envelope (none of FastAPI's default shapes)."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _rpc_error(request: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        error = from_grpc(exc)
        if error.status >= 500:  # the client is told nothing; the log says what happened
            _log.warning(
                "rpc_failed",
                path=request.url.path,
                grpc_status=exc.code().name,
                grpc_details=(exc.details() or "")[:300],
                request_id=getattr(request.state, "request_id", ""),
            )
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details["errors"][0] if details["errors"] else {"field": "", "message": ""}
        where = f"{first['field']}: " if first["field"] else ""
        return error_response(
            ApiError(422, "validation_error", f"{where}{first['message']}", details=details)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        code = codes.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route"
        return error_response(
            ApiError(exc.status_code, code, message, headers=dict(exc.headers or {}))
        )

    @app.exception_handler(KeyVerifierUnavailable)
    async def _verifier(_: Request, exc: KeyVerifierUnavailable) -> JSONResponse:
        return error_response(ApiError(503, "unavailable", "key verification is unavailable"))

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        _log.error(
            "unhandled_error",
            path=request.url.path,
            error_type=type(exc).__name__,
            request_id=getattr(request.state, "request_id", ""),
        )
        return error_response(ApiError(500, "internal_error", "internal error"))


__all__ = [
    "CODE_TO_HTTP",
    "ERROR_CODE_METADATA_KEY",
    "GRPC_TO_HTTP",
    "ApiError",
    "envelope",
    "error_body",
    "error_response",
    "from_grpc",
    "install_error_handlers",
    "ok",
]

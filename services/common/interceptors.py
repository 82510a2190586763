"""Server interceptors: request id, access log with latency, metrics, and the one place where
domain errors become gRPC statuses."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from services.common.errors import (
    ERROR_CODE_METADATA_KEY,
    FintractError,
)
from services.common.logging import bound_context, get_logger

REQUEST_ID_METADATA_KEY = "x-request-id"
request_id_var: ContextVar[str] = ContextVar("request_id", default="")

_log = get_logger("fintract.grpc")

RPC_LATENCY = Histogram(
    "fintract_grpc_server_handling_seconds",
    "gRPC server handling time",
    ["method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RPC_TOTAL = Counter("fintract_grpc_server_handled_total", "gRPC calls handled", ["method", "code"])


def _request_id(details: grpc.HandlerCallDetails) -> str:
    for key, value in details.invocation_metadata or ():
        if key == REQUEST_ID_METADATA_KEY and value:
            return str(value)[:128]
    return uuid.uuid4().hex


async def _abort_for(exc: BaseException, context: grpc.aio.ServicerContext) -> None:
    """Translate an exception into the RPC's status. Re-raises aborts untouched."""
    if isinstance(exc, FintractError):
        context.set_trailing_metadata(((ERROR_CODE_METADATA_KEY, exc.code),))
        await context.abort(exc.status, exc.message)
    _log.exception("unhandled_error", error_type=type(exc).__name__)
    context.set_trailing_metadata(((ERROR_CODE_METADATA_KEY, "internal_error"),))
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Binds a request id, logs each call once, records metrics and maps errors."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if method.startswith("/grpc.health.") or method.startswith("/grpc.reflection."):
            return handler
        request_id = _request_id(handler_call_details)

        def finish(start: float, code: str) -> None:
            elapsed = time.perf_counter() - start
            RPC_LATENCY.labels(method, code).observe(elapsed)
            RPC_TOTAL.labels(method, code).inc()
            _log.info("rpc", method=method, code=code, ms=round(elapsed * 1000, 2))

        def code_of(context: grpc.aio.ServicerContext) -> str:
            code = context.code()
            return code.name if isinstance(code, grpc.StatusCode) else "OK"

        if handler.unary_unary or handler.stream_unary:
            inner = handler.unary_unary or handler.stream_unary

            async def unary_response(request: Any, context: grpc.aio.ServicerContext) -> Any:
                start = time.perf_counter()
                token = request_id_var.set(request_id)
                context.set_trailing_metadata(((REQUEST_ID_METADATA_KEY, request_id),))
                try:
                    with bound_context(request_id=request_id):
                        try:
                            return await inner(request, context)
                        except Exception as exc:
                            if isinstance(exc, grpc.aio.AbortError):
                                raise
                            await _abort_for(exc, context)
                finally:
                    finish(start, code_of(context))
                    request_id_var.reset(token)

            factory = (
                grpc.unary_unary_rpc_method_handler
                if handler.unary_unary
                else grpc.stream_unary_rpc_method_handler
            )
            return factory(
                unary_response,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )

        inner_stream = handler.unary_stream or handler.stream_stream

        async def stream_response(
            request: Any, context: grpc.aio.ServicerContext
        ) -> AsyncIterator[Any]:
            start = time.perf_counter()
            token = request_id_var.set(request_id)
            try:
                with bound_context(request_id=request_id):
                    try:
                        async for item in inner_stream(request, context):
                            yield item
                    except Exception as exc:
                        if isinstance(exc, grpc.aio.AbortError):
                            raise
                        await _abort_for(exc, context)
            finally:
                finish(start, code_of(context))
                request_id_var.reset(token)

        factory_s = (
            grpc.unary_stream_rpc_method_handler
            if handler.unary_stream
            else grpc.stream_stream_rpc_method_handler
        )
        return factory_s(
            stream_response,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


__all__ = ["REQUEST_ID_METADATA_KEY", "ObservabilityInterceptor", "request_id_var"]

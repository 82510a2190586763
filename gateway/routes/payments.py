"""The payment-parser contract (contract §3): ``POST /parse-payment``, ``GET /``, ``GET /status``.

Translation only: the body is read as JSON here (so a malformed body still gets the contract's
answer) and forwarded to ``PaymentsService``, which decodes the base64, checks the image,
applies quota, switches and dedupe, and returns the contract's response for every outcome.

Auth: a valid API key (``Authorization: Bearer``) is required unless
``PAYMENTS_ALLOW_ANONYMOUS=true`` (drop-in compatibility with the original clients; the
service's global daily quota still applies). The key id goes to the service for the per-key
quota. When ``PAYMENTS_ADDR`` lists several workers (``host:a,host:b``) the calls are spread
over them round robin.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fintract.api.payments.v1 import payments_pb2 as pb
from fintract.api.payments.v1 import payments_pb2_grpc as pb_grpc
from fintract.convert import message_to_dict
from gateway.clients import CHANNEL_OPTIONS
from gateway.deps import User, current_user, get_state, optional_user, rpc_metadata

HEALTH_TIMEOUT_S = 2.0
EMPTY_DATA: dict[str, Any] = {
    "amount": 0.0,
    "currency": "INR",
    "payer_name": "",
    "payee_name": "",
    "date": "",
    "time": "",
    "transaction_status": "unknown",
    "transaction_id": "",
    "payment_method": "unknown",
    "upi_id": "",
}


class PaymentsRouteSettings(BaseSettings):
    """What the payment routes read (besides the gateway's own settings)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Accept calls without an API key (the original service had no auth).
    allow_anonymous: bool = Field(False, validation_alias="PAYMENTS_ALLOW_ANONYMOUS")


def _unreachable_answer(message: str) -> dict[str, Any]:
    """The contract's ``service_error`` when the payments service cannot be reached at all
    (the only answer the gateway writes itself)."""
    return {
        "success": False,
        "error_code": "service_error",
        "error_message": message,
        "data": dict(EMPTY_DATA),
        "metadata": {
            "confidence": 0.0,
            "is_payment_screenshot": False,
            "processing_time_ms": 0,
            "provider": "unknown",
            "model": "unknown",
            "model_cost_tier": "unknown",
            "image_hash": "",
            "requires_review": True,
            "review_reason": "service_error",
        },
    }


def _channel(request: Request) -> grpc.aio.Channel:
    """The gateway's payments channel, or a round-robin one when ``PAYMENTS_ADDR`` lists
    several worker processes."""
    state = get_state(request)
    address = state.settings.payments_addr
    if "," not in address:
        return state.clients.channel("payments")
    channel: grpc.aio.Channel | None = getattr(request.app.state, "payments_rr_channel", None)
    if channel is None:
        target = address if address.startswith(("ipv4:", "ipv6:")) else "ipv4:" + address
        options = [*CHANNEL_OPTIONS, ("grpc.lb_policy_name", "round_robin")]
        channel = grpc.aio.insecure_channel(target, options=options)
        request.app.state.payments_rr_channel = channel
    return channel


def _stub(request: Request) -> pb_grpc.PaymentsServiceStub:
    return pb_grpc.PaymentsServiceStub(_channel(request))


def _response_json(message: pb.ParsePaymentResponse) -> dict[str, Any]:
    body = message_to_dict(message)
    body["data"] = {**EMPTY_DATA, **(body.get("data") or {})}
    return body


def _request(raw: bytes, key_id: str) -> pb.ParsePaymentRequest:
    """The RPC request for an HTTP body; an unreadable body becomes ``request_error``."""
    request = pb.ParsePaymentRequest(api_key_id=key_id)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        request.request_error = f"Request body is not valid JSON: {exc}"
        return request
    if not isinstance(body, dict):
        request.request_error = "Request body must be a JSON object with image_base64"
        return request
    image = body.get("image_base64")
    if not isinstance(image, str) or not image:
        request.request_error = "image_base64 is required and must be a base64 string"
        return request
    request.image_base64 = image
    match_date = body.get("match_date")
    if match_date is not None:
        if not isinstance(match_date, str):
            request.request_error = "match_date must be an ISO 8601 string"
            return request
        request.match_date = match_date
    return request


def make_payments_router(*, allow_anonymous: bool | None = None) -> APIRouter:
    """The payment routes; ``allow_anonymous`` defaults to ``PAYMENTS_ALLOW_ANONYMOUS``."""
    anonymous = (
        PaymentsRouteSettings().allow_anonymous if allow_anonymous is None else allow_anonymous
    )
    router = APIRouter(tags=["payments"])

    async def caller(request: Request) -> User | None:
        if anonymous:
            return await optional_user(request)
        return await current_user(request)

    @router.post(
        "/parse-payment",
        summary="Read a payment screenshot (the payment-parser contract; HTTP 200 always)",
    )
    async def parse_payment(
        request: Request,
        user: User | None = Depends(caller),
        provider: str = Query(
            "", description="local | gemini | hybrid (empty: the deployment's default)"
        ),
    ) -> JSONResponse:
        rpc = _request(await request.body(), user.key_id if user else "")
        rpc.provider = provider
        state = get_state(request)
        try:
            answer = await _stub(request).ParsePayment(
                rpc, timeout=state.settings.rpc_timeout_s, metadata=rpc_metadata(request)
            )
        except grpc.aio.AioRpcError as exc:
            message = (
                "Payment service unavailable"
                if exc.code()
                in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                )
                else "Unexpected service error"
            )
            return JSONResponse(_unreachable_answer(message))
        return JSONResponse(_response_json(answer))

    @router.get("/", summary="Health check of the payment parser (load balancers)")
    async def root(request: Request) -> JSONResponse:
        try:
            check = await health_pb2_grpc.HealthStub(_channel(request)).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=HEALTH_TIMEOUT_S
            )
            healthy = check.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.aio.AioRpcError:
            healthy = False
        now = datetime.now(UTC)
        body = {
            "status": "healthy" if healthy else "unhealthy",
            "service": "ai-service",
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    @router.get("/status", summary="Switch, provider, daily quota and confidence threshold")
    async def status(request: Request, user: User | None = Depends(caller)) -> JSONResponse:
        state = get_state(request)
        answer = await _stub(request).GetStatus(
            pb.GetStatusRequest(api_key_id=user.key_id if user else ""),
            timeout=state.settings.rpc_timeout_s,
            metadata=rpc_metadata(request),
        )
        return JSONResponse(message_to_dict(answer))

    return router


router = make_payments_router()

__all__ = ["EMPTY_DATA", "PaymentsRouteSettings", "make_payments_router", "router"]

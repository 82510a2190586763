"""Payments with ``provider=local|gemini|hybrid`` over real gRPC, real Redis, the real OCR
engine and the real google-genai SDK talking to the local Gemini-protocol server."""

from __future__ import annotations

import base64
import io
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from PIL import Image

from bench.payments.generate import render_payment
from fintract.api.payments.v1 import payments_pb2 as pb
from fintract.api.payments.v1 import payments_pb2_grpc as pb_grpc
from fintract.convert import message_to_dict
from services.common.grpc_server import insecure_channel
from services.payments.providers import LocalProvider
from services.payments.server import start
from services.payments.settings import PaymentsSettings
from tests.gemini_server import GeminiServer, answer, server_error

FLASH = "gemini-2.0-flash-exp"


@pytest.fixture
async def server() -> AsyncIterator[GeminiServer]:
    srv = GeminiServer()
    await srv.start()
    yield srv
    await srv.stop()


@asynccontextmanager
async def payments(
    redis_url: str,
    namespace: str,
    server: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> AsyncIterator[Any]:
    for name, value in {
        "GOOGLE_API_KEY": "test-key",
        "GEMINI_BASE_URL": server.base_url,
        "GEMINI_MODELS": FLASH,
        "GEMINI_ATTEMPTS_PER_MODEL": "1",
        "GEMINI_MASK_ACCOUNT_NUMBERS": "false",
        "FINTRACT_PROVIDER": "hybrid",
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    settings = PaymentsSettings(
        _env_file=None,  # type: ignore[call-arg]
        FINTRACT_ENV="test",
        FINTRACT_NAMESPACE=f"{namespace}gpay{secrets.token_hex(3)}",
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        PAYMENTS_WARM_UP="false",
    )
    service = await start(settings, address="127.0.0.1:0", provider=LocalProvider())
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    stub = pb_grpc.PaymentsServiceStub(channel)

    async def parse(image: bytes, **fields: Any) -> dict[str, Any]:
        request = pb.ParsePaymentRequest(image_base64=base64.b64encode(image).decode(), **fields)
        return message_to_dict(await stub.ParsePayment(request))

    try:
        yield parse
    finally:
        await channel.close()
        await service.stop(0)


def screenshot(seed: int) -> tuple[bytes, dict[str, Any]]:
    img, truth = render_payment("gpay", random.Random(seed), theme="light", size="720p")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue(), truth


def gemini_says(truth: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {**truth, "is_payment_screenshot": True, "confidence": 0.95, **change}


async def test_provider_gemini_answers_through_gemini(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, truth = screenshot(101)
    server.script(answer(gemini_says(truth)), model=FLASH)
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        body = await parse(image, provider="gemini")
    assert body["success"] is True, body
    meta = body["metadata"]
    assert (meta["provider"], meta["model"], meta["model_cost_tier"]) == ("gemini", FLASH, "free")
    assert body["data"]["amount"] == truth["amount"]
    assert body["data"]["transaction_id"] == truth["transaction_id"]
    assert meta["review_reason"] in (None, "low_confidence")
    ((mime, sent),) = server.requests[0].inline
    assert mime == "image/png" and Image.open(io.BytesIO(sent)).size == (720, 1600)


async def test_invented_amount_from_gemini_asks_for_review(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, truth = screenshot(102)
    server.script(answer(gemini_says(truth, amount=truth["amount"] + 4321.0)), model=FLASH)
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        body = await parse(image, provider="gemini")
    assert body["success"] is True
    assert body["metadata"]["provider"] == "gemini"
    assert body["metadata"]["requires_review"] is True
    assert body["metadata"]["review_reason"] == "unverified_value"


async def test_local_request_never_calls_gemini_and_gemini_failure_is_ai_failed(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, _ = screenshot(103)
    server.script(server_error(503), always=True)
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        local = await parse(image, provider="local")
        failed = await parse(screenshot(104)[0], provider="gemini")
        unknown = await parse(screenshot(105)[0], provider="openai")
    assert local["success"] is True and local["metadata"]["provider"] == "local"
    assert failed["error_code"] == "ai_failed"
    assert unknown["error_code"] == "ai_failed"
    assert len(server.requests) == 1  # only the gemini request reached the server


async def test_hybrid_escalates_what_local_cannot_read(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A picture with no receipt on it: the offline engine finds nothing, hybrid asks Gemini,
    # whose verified "not a payment screenshot" is the answer.
    noise = Image.effect_noise((320, 320), 60).convert("RGB")
    buf = io.BytesIO()
    noise.save(buf, format="PNG")
    server.script(
        answer(
            {
                "amount": 0,
                "currency": "INR",
                "payer_name": "",
                "payee_name": "",
                "date": "",
                "time": "",
                "transaction_status": "unknown",
                "transaction_id": "",
                "payment_method": "unknown",
                "upi_id": "",
                "is_payment_screenshot": False,
                "confidence": 0.9,
            }
        ),
        model=FLASH,
    )
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        body = await parse(buf.getvalue())  # no provider: the deployment's hybrid
    assert len(server.requests) == 1
    assert body["error_code"] == "not_payment_screenshot"
    assert body["metadata"]["provider"] == "gemini"

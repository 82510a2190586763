"""Payments with ``provider=local|gemini|hybrid`` over real gRPC, real Redis, the real OCR
engine and the real google-genai SDK talking to the local Gemini-protocol server: who
answered (``metadata.provider`` ``local`` or the contract's ``google_ai_studio``, and the model
that really answered), ``GET /status``'s provider, and Gemini's HTTP sessions closed on stop."""

from __future__ import annotations

import base64
import gc
import io
import random
import secrets
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bench.payments.generate import render_payment
from fintract.api.payments.v1 import payments_pb2 as pb
from fintract.api.payments.v1 import payments_pb2_grpc as pb_grpc
from fintract.convert import message_to_dict
from services.common.grpc_server import insecure_channel
from services.common.ocr import MODEL_NAME
from services.payments.providers import LocalProvider
from services.payments.server import start
from services.payments.settings import PaymentsSettings
from tests.gemini_server import GeminiServer, answer, server_error

FLASH = "gemini-2.0-flash-exp"
GEMMA = "gemma-3-27b-it"
HOSTED = "google_ai_studio"  # the payment-parser contract's name for Gemini answers


@pytest.fixture
async def server() -> AsyncIterator[GeminiServer]:
    srv = GeminiServer()
    await srv.start()
    yield srv
    await srv.stop()


@dataclass
class Payments:
    stub: pb_grpc.PaymentsServiceStub

    async def parse(self, image: bytes, **fields: Any) -> dict[str, Any]:
        request = pb.ParsePaymentRequest(image_base64=base64.b64encode(image).decode(), **fields)
        return message_to_dict(await self.stub.ParsePayment(request))

    async def status(self) -> dict[str, Any]:
        return message_to_dict(await self.stub.GetStatus(pb.GetStatusRequest()))


def gemini_env(server: GeminiServer, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """A Gemini key pointed at the local server; ``env`` adds or (with "") removes variables."""
    for name in ("FINTRACT_PROVIDER", "PAYMENTS_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "GOOGLE_API_KEY": "test-key",
        "GEMINI_BASE_URL": server.base_url,
        "GEMINI_MODELS": FLASH,
        "GEMINI_ATTEMPTS_PER_MODEL": "1",
        "GEMINI_MASK_ACCOUNT_NUMBERS": "false",
        "FINTRACT_PROVIDER": "hybrid",
        **env,
    }.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def settings_for(redis_url: str, namespace: str) -> PaymentsSettings:
    return PaymentsSettings(
        _env_file=None,  # type: ignore[call-arg]
        FINTRACT_ENV="test",
        FINTRACT_NAMESPACE=f"{namespace}gpay{secrets.token_hex(3)}",
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        PAYMENTS_WARM_UP="false",
    )


@asynccontextmanager
async def payments(
    redis_url: str,
    namespace: str,
    server: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> AsyncIterator[Any]:
    async with running(redis_url, namespace, server, monkeypatch, **env) as svc:
        yield svc.parse


@asynccontextmanager
async def running(
    redis_url: str,
    namespace: str,
    server: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> AsyncIterator[Payments]:
    gemini_env(server, monkeypatch, **env)
    settings = settings_for(redis_url, namespace)
    service = await start(settings, address="127.0.0.1:0", provider=LocalProvider())
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    try:
        yield Payments(pb_grpc.PaymentsServiceStub(channel))
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
    assert (meta["provider"], meta["model"], meta["model_cost_tier"]) == (HOSTED, FLASH, "free")
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
    assert body["metadata"]["provider"] == HOSTED
    assert body["metadata"]["requires_review"] is True
    assert body["metadata"]["review_reason"] == "unverified_value"


async def test_local_request_never_calls_gemini_and_gemini_failure_is_ai_failed(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, _ = screenshot(103)
    server.script(server_error(503), always=True)
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        local = await parse(image, provider=" Local ")  # case and spaces ignored
        failed = await parse(screenshot(104)[0], provider="gemini")
        unknown = await parse(screenshot(105)[0], provider="openai")
    assert local["success"] is True and local["metadata"]["provider"] == "local"
    assert failed["error_code"] == "ai_failed"
    # A refusal names who the request was for: Gemini's chain, as the contract's errors do.
    assert (failed["metadata"]["provider"], failed["metadata"]["model"]) == (HOSTED, FLASH)
    assert unknown["error_code"] == "ai_failed"
    assert unknown["metadata"]["provider"] == "local"
    assert len(server.requests) == 1  # only the gemini request reached the server


async def test_a_refused_image_names_the_provider_the_request_was_for(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        for_gemini = await parse(b"not an image", provider="gemini")
        for_hybrid = await parse(b"not an image")  # hybrid reads locally first
    assert for_gemini["error_code"] == for_hybrid["error_code"] == "invalid_image"
    assert (for_gemini["metadata"]["provider"], for_gemini["metadata"]["model"]) == (HOSTED, FLASH)
    assert for_gemini["metadata"]["model_cost_tier"] == "free"
    assert (for_hybrid["metadata"]["provider"], for_hybrid["metadata"]["model"]) == (
        "local",
        MODEL_NAME,
    )
    assert server.requests == []


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
    assert body["metadata"]["provider"] == HOSTED


async def test_metadata_names_the_model_that_really_answered(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chain's first model fails; the answer names the fallback that produced it.
    image, truth = screenshot(106)
    server.script(server_error(500), model=GEMMA, always=True)
    server.script(answer(gemini_says(truth)), model=FLASH)
    async with payments(
        redis_url, namespace, server, monkeypatch, GEMINI_MODELS=f"{GEMMA},{FLASH}"
    ) as parse:
        body = await parse(image, provider="gemini")
    assert body["success"] is True, body
    assert [r.model for r in server.requests] == [GEMMA, FLASH]
    meta = body["metadata"]
    assert (meta["provider"], meta["model"], meta["model_cost_tier"]) == (HOSTED, FLASH, "free")


async def test_hybrid_keeps_a_clean_local_reading_and_says_so(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, truth = screenshot(107)
    async with payments(redis_url, namespace, server, monkeypatch) as parse:
        body = await parse(image)  # the deployment's hybrid
    assert server.requests == []
    assert body["success"] is True and body["data"] == truth
    assert (body["metadata"]["provider"], body["metadata"]["model"]) == ("local", MODEL_NAME)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "hybrid"),  # FINTRACT_PROVIDER=hybrid from gemini_env
        ({"FINTRACT_PROVIDER": "gemini"}, "gemini"),
        ({"FINTRACT_PROVIDER": "gemini", "PAYMENTS_PROVIDER": "local"}, "local"),
        ({"FINTRACT_PROVIDER": "local", "PAYMENTS_PROVIDER": "hybrid"}, "hybrid"),
        # Gemini chosen but no key to run it with: what requests really get is local.
        ({"GOOGLE_API_KEY": ""}, "local"),
    ],
)
async def test_status_reports_the_configured_provider(
    redis_url: str,
    namespace: str,
    server: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    async with running(redis_url, namespace, server, monkeypatch, **env) as svc:
        status = await svc.status()
    assert status["provider"] == expected
    assert server.requests == []


async def test_a_gemini_deployment_answers_through_gemini_by_default(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, truth = screenshot(108)
    server.script(answer(gemini_says(truth)), model=FLASH)
    async with running(
        redis_url,
        namespace,
        server,
        monkeypatch,
        FINTRACT_PROVIDER="local",
        PAYMENTS_PROVIDER="gemini",
    ) as svc:
        body = await svc.parse(image)
    assert len(server.requests) == 1
    assert body["metadata"]["provider"] == HOSTED


def _sessions() -> list[aiohttp.ClientSession]:
    return [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession)]


async def test_stopping_the_server_closes_geminis_sessions(
    redis_url: str, namespace: str, server: GeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, truth = screenshot(109)
    server.script(answer(gemini_says(truth)), model=FLASH)
    before = {id(s) for s in _sessions()}
    gemini_env(server, monkeypatch)
    service = await start(
        settings_for(redis_url, namespace), address="127.0.0.1:0", provider=LocalProvider()
    )
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    body = await Payments(pb_grpc.PaymentsServiceStub(channel)).parse(image, provider="gemini")
    await channel.close()
    assert body["metadata"]["provider"] == HOSTED
    opened = [s for s in _sessions() if id(s) not in before]
    assert opened, "the SDK made no aiohttp session: nothing to check"
    assert not all(s.closed for s in opened)  # open while the service runs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await service.stop(0)
        assert all(s.closed for s in opened)
        del opened, service
        gc.collect()
    assert not [w for w in caught if "Unclosed client session" in str(w.message)]

"""PaymentsService over real gRPC, real Redis and the real OCR engine: the contract's answers,
every error code, quota under concurrency, duplicates (exact and perceptual), /status."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bench.payments.generate import THEMES, Row, _encode, render_payment, render_rows
from fintract.api.payments.v1 import payments_pb2 as pb
from fintract.api.payments.v1 import payments_pb2_grpc as pb_grpc
from fintract.convert import message_to_dict
from services.common.grpc_server import insecure_channel
from services.common.ocr import MODEL_NAME
from services.common.redis import Keys, redis_client
from services.payments.extract import Extraction
from services.payments.providers import LocalProvider
from services.payments.quota import DailyQuota
from services.payments.server import start
from services.payments.settings import PaymentsSettings
from tests.conftest import free_port

EMPTY_DATA = {
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
METADATA_KEYS = {
    "confidence",
    "is_payment_screenshot",
    "processing_time_ms",
    "provider",
    "model",
    "model_cost_tier",
    "image_hash",
    "requires_review",
    "review_reason",
}


class CountingProvider:
    """The real local provider, counting how often it runs (to prove cache hits skip OCR)."""

    def __init__(self) -> None:
        self.inner = LocalProvider(max_width=720)
        self.calls = 0
        self.name, self.model, self.cost_tier = "local", self.inner.model, "free"

    async def extract(self, image: Image.Image) -> Extraction:
        self.calls += 1
        return await self.inner.extract(image)


@dataclass
class Running:
    stub: pb_grpc.PaymentsServiceStub
    provider: CountingProvider
    settings: PaymentsSettings

    async def parse(self, image: bytes | str, **fields: Any) -> dict[str, Any]:
        if isinstance(image, bytes):
            image = base64.b64encode(image).decode()
        answer = await self.stub.ParsePayment(pb.ParsePaymentRequest(image_base64=image, **fields))
        body = message_to_dict(answer)
        assert set(body) == {"success", "error_code", "error_message", "data", "metadata"}
        assert set(body["metadata"]) == METADATA_KEYS
        return body

    async def status(self) -> dict[str, Any]:
        return message_to_dict(await self.stub.GetStatus(pb.GetStatusRequest()))


def payments_settings(redis_url: str, namespace: str, **env: Any) -> PaymentsSettings:
    values = {
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": f"{namespace}pay{secrets.token_hex(3)}",
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **{k: str(v) for k, v in env.items()},
    }
    return PaymentsSettings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running(redis_url: str, namespace: str, **env: Any) -> AsyncIterator[Running]:
    settings = payments_settings(redis_url, namespace, **env)
    provider = CountingProvider()
    service = await start(settings, address="127.0.0.1:0", provider=provider)  # type: ignore[arg-type]
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    try:
        yield Running(pb_grpc.PaymentsServiceStub(channel), provider, settings)
    finally:
        await channel.close()
        await service.stop(0)


def screenshot(seed: int, style: str = "gpay") -> tuple[bytes, dict[str, Any], Image.Image]:
    img, truth = render_payment(style, random.Random(seed), theme="light", size="720p")
    return _encode(img, "PNG"), truth, img


def noise(seed: int, size: int = 160) -> bytes:
    """A small photo-like picture with no text (OCR is quick on it)."""
    rng = np.random.default_rng(seed)
    return _encode(Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)), "PNG")


def assert_error(body: dict[str, Any], code: str, *, review_reason: str | None = None) -> None:
    assert body["success"] is False
    assert body["error_code"] == code
    assert body["error_message"]
    assert body["data"] == EMPTY_DATA
    meta = body["metadata"]
    assert meta["requires_review"] is True
    assert meta["review_reason"] == (review_reason or code)
    assert meta["provider"] == "local"
    assert meta["model_cost_tier"] in ("free", "paid")
    assert meta["processing_time_ms"] >= 0


# ---------------------------------------------------------------------------- success, status


async def test_a_screenshot_is_read_exactly_and_counted(redis_url: str, namespace: str) -> None:
    raw, truth, _ = screenshot(11)
    async with running(redis_url, namespace, PAYMENTS_DAILY_LIMIT=7) as svc:
        before = await svc.status()
        body = await svc.parse(raw, match_date=truth["date"] + "T00:00:00Z")
        after = await svc.status()
    assert body["success"] is True
    assert body["error_code"] is None and body["error_message"] is None
    assert body["data"] == truth
    meta = body["metadata"]
    assert meta["is_payment_screenshot"] is True
    assert meta["provider"] == "local" and meta["model"] == MODEL_NAME
    assert meta["model_cost_tier"] == "free"
    assert meta["image_hash"] == hashlib.sha256(raw).hexdigest()
    assert meta["requires_review"] is False and meta["review_reason"] is None
    assert 0.7 <= meta["confidence"] <= 1.0
    assert meta["processing_time_ms"] > 0
    assert before == {
        "enabled": True,
        "provider": "local",
        "daily_limit": 7,
        "requests_today": 0,
        "requests_remaining": 7,
        "min_confidence_threshold": pytest.approx(0.7),
    }
    assert after["requests_today"] == 1 and after["requests_remaining"] == 6


async def test_duplicates_exact_from_cache_and_perceptual(redis_url: str, namespace: str) -> None:
    raw, truth, img = screenshot(12)
    copy = _encode(img.resize((600, 1333), Image.Resampling.BILINEAR), "JPEG", quality=70)
    async with running(redis_url, namespace) as svc:
        first = await svc.parse(raw)
        again = await svc.parse("data:image/png;base64," + base64.b64encode(raw).decode())
        runs_after_exact = svc.provider.calls
        used_after_exact = (await svc.status())["requests_today"]
        resized = await svc.parse(copy)
        other = await svc.parse(screenshot(13)[0])
    assert first["metadata"]["requires_review"] is False
    # Exact copy: the cached answer, marked, with no OCR and no quota spent.
    assert again["success"] is True and again["data"] == truth
    assert again["metadata"]["requires_review"] is True
    assert again["metadata"]["review_reason"] == "duplicate"
    assert runs_after_exact == 1 and used_after_exact == 1
    # Re-encoded, resized copy: read again, caught by the perceptual hash.
    assert resized["success"] is True
    assert resized["metadata"]["image_hash"] != first["metadata"]["image_hash"]
    assert resized["metadata"]["review_reason"] == "duplicate"
    assert resized["data"]["transaction_id"] == truth["transaction_id"]
    # A different receipt of the same app is not a duplicate.
    assert other["success"] is True and other["metadata"]["review_reason"] is None


async def test_date_mismatch_and_low_confidence(redis_url: str, namespace: str) -> None:
    raw, truth, _ = screenshot(14)
    paid = datetime.fromisoformat(truth["date"])
    async with running(redis_url, namespace, PAYMENTS_MATCH_DATE_WINDOW_DAYS=2) as svc:
        far = await svc.parse(raw, match_date=(paid + timedelta(days=3)).date().isoformat())
    assert far["success"] is True and far["data"] == truth
    assert far["metadata"]["requires_review"] is True
    assert far["metadata"]["review_reason"] == "date_mismatch"
    async with running(redis_url, namespace, PAYMENTS_MIN_CONFIDENCE=0.9999) as svc:
        low = await svc.parse(raw, match_date=(paid + timedelta(days=2)).isoformat())
        status = await svc.status()
    assert low["success"] is True
    assert low["metadata"]["review_reason"] == "low_confidence"
    assert status["min_confidence_threshold"] == pytest.approx(0.9999)


# ---------------------------------------------------------------------------- error codes


@pytest.mark.parametrize(
    "image",
    [
        "invalid_base64_data",
        "%%%not base64%%%",
        base64.b64encode(b"GIF89a not really").decode(),
        base64.b64encode(b"%PDF-1.4 a pdf").decode(),
        base64.b64encode(noise(1, size=80)).decode(),  # below 100x100
    ],
)
async def test_invalid_images(redis_url: str, namespace: str, image: str) -> None:
    async with running(redis_url, namespace) as svc:
        body = await svc.parse(image)
        assert (await svc.status())["requests_today"] == 0  # refusals spend no quota
    assert_error(body, "invalid_image", review_reason="validation_failed")
    assert svc.provider.calls == 0


async def test_malformed_request_and_oversized_image(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace, PAYMENTS_MAX_IMAGE_BYTES=1000) as svc:
        malformed = await svc.parse("", request_error="Request body is not valid JSON")
        big = await svc.parse(noise(2))
    assert_error(malformed, "invalid_image", review_reason="validation_failed")
    assert malformed["error_message"] == "Request body is not valid JSON"
    assert_error(big, "invalid_image", review_reason="validation_failed")
    assert "too large" in big["error_message"]
    assert big["metadata"]["image_hash"] == hashlib.sha256(noise(2)).hexdigest()


async def test_not_a_payment_screenshot(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace) as svc:
        body = await svc.parse(noise(3, size=300))
    assert_error(body, "not_payment_screenshot")
    assert body["metadata"]["is_payment_screenshot"] is False
    assert body["metadata"]["confidence"] == 0.0


async def test_validation_failed_future_date_and_bad_match_date(
    redis_url: str, namespace: str
) -> None:
    future = datetime.now(UTC) + timedelta(days=400)
    rows = [
        Row("₹2,500", 110, bold=True, align="center", gap=30),
        Row("Paid to Ravi Kumar", 38, align="center"),
        Row("ravi.kumar@okaxis", 30, align="center", gap=30),
        Row("Completed", 36, bold=True, align="center"),
        Row(f"{future.day} {future.strftime('%b')} {future.year}, 1:24 pm", 32, align="center"),
        Row("UPI transaction ID", 30, gap=6),
        Row("567735198192", 34),
    ]
    raw = _encode(render_rows(rows, THEMES["light"], 720, 1600), "PNG")
    async with running(redis_url, namespace) as svc:
        body = await svc.parse(raw)
        bad_match = await svc.parse(screenshot(15)[0], match_date="next tuesday")
    assert_error(body, "validation_failed")
    assert "future" in body["error_message"]
    assert body["metadata"]["is_payment_screenshot"] is True
    assert_error(bad_match, "validation_failed")
    assert svc.provider.calls == 1  # a bad match_date is refused before OCR


async def test_service_disabled_by_setting_and_at_run_time(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace, PAYMENTS_ENABLED="false") as svc:
        body = await svc.parse(noise(4))
        status = await svc.status()
    assert_error(body, "service_disabled")
    assert status["enabled"] is False
    async with running(redis_url, namespace) as svc:
        redis = redis_client(redis_url)
        await redis.set(Keys(svc.settings.namespace).of("payments", "disabled"), b"1")
        body = await svc.parse(noise(4))
        assert (await svc.status())["enabled"] is False
        await redis.delete(Keys(svc.settings.namespace).of("payments", "disabled"))
        assert (await svc.status())["enabled"] is True
        await redis.aclose()
    assert_error(body, "service_disabled")


async def test_model_not_free(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace, PAYMENTS_MODEL="gemini-2.5-pro") as svc:
        body = await svc.parse(noise(5))
    assert_error(body, "model_not_free")
    assert body["metadata"]["model"] == "gemini-2.5-pro"
    assert body["metadata"]["model_cost_tier"] == "paid"
    async with running(
        redis_url, namespace, PAYMENTS_MODEL="gemini-2.5-pro", PAYMENTS_FREE_MODELS="gemini-2.5-pro"
    ) as svc:
        allowed = await svc.parse(noise(5))
    assert allowed["error_code"] != "model_not_free"


async def test_ai_failed_when_an_unavailable_provider_is_asked(
    redis_url: str, namespace: str
) -> None:
    async with running(redis_url, namespace) as svc:
        body = await svc.parse(noise(6), provider="gemini")
    assert_error(body, "ai_failed")


async def test_service_error_when_redis_is_down(redis_url: str, namespace: str) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with running(dead, namespace) as svc:
        body = await svc.parse(noise(7))
    assert_error(body, "service_error")
    assert body["metadata"]["image_hash"] == hashlib.sha256(noise(7)).hexdigest()


async def test_daily_limit_exceeded(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace, PAYMENTS_DAILY_LIMIT=0) as svc:
        body = await svc.parse(noise(8))
        status = await svc.status()
    assert_error(body, "daily_limit_exceeded")
    assert status["requests_remaining"] == 0


# ---------------------------------------------------------------------------- quota


async def test_concurrent_requests_never_exceed_the_limit(redis_url: str, namespace: str) -> None:
    async with running(redis_url, namespace, PAYMENTS_DAILY_LIMIT=4) as svc:
        bodies = await asyncio.gather(*(svc.parse(noise(100 + i)) for i in range(16)))
        status = await svc.status()
    codes = [b["error_code"] for b in bodies]
    assert codes.count("not_payment_screenshot") == 4
    assert codes.count("daily_limit_exceeded") == 12
    assert svc.provider.calls == 4
    assert status["requests_today"] == 4 and status["requests_remaining"] == 0


async def test_per_key_limit(redis_url: str, namespace: str) -> None:
    async with running(
        redis_url, namespace, PAYMENTS_DAILY_LIMIT=10, PAYMENTS_DAILY_LIMIT_PER_KEY=2
    ) as svc:
        first = await asyncio.gather(
            *(svc.parse(noise(200 + i), api_key_id="k1") for i in range(5))
        )
        other = await svc.parse(noise(300), api_key_id="k2")
        anonymous = await svc.parse(noise(301))
        status = await svc.status()
    codes = [b["error_code"] for b in first]
    assert codes.count("daily_limit_exceeded") == 3
    assert (
        "for this API key"
        in next(b for b in first if b["error_code"] == "daily_limit_exceeded")["error_message"]
    )
    assert other["error_code"] == "not_payment_screenshot"
    assert anonymous["error_code"] == "not_payment_screenshot"
    assert status["requests_today"] == 4


async def test_quota_script_is_atomic_and_resets_at_midnight_utc(
    redis_url: str, namespace: str
) -> None:
    redis = redis_client(redis_url)
    quota = DailyQuota(
        redis, Keys(f"{namespace}q{secrets.token_hex(3)}"), limit=50, per_key_limit=0
    )
    # A day in the future: EXPIREAT in the past would delete the counter at once.
    now = (datetime.now(UTC) + timedelta(days=30)).replace(hour=23, minute=59, second=30)
    results = await asyncio.gather(*(quota.reserve(now=now) for _ in range(200)))
    assert sum(r.granted for r in results) == 50
    assert {r.limited_by for r in results if not r.granted} == {"daily"}
    assert await quota.used_today(now=now) == 50
    key = Keys(quota._keys.namespace).of("payments", "quota", now.date().isoformat())
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert await redis.expiretime(key) == int(midnight.timestamp())
    tomorrow = now + timedelta(seconds=31)
    assert (await quota.reserve(now=tomorrow)).granted
    assert await quota.used_today(now=tomorrow) == 1
    await redis.aclose()

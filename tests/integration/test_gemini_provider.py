"""The Gemini provider through the real google-genai SDK and its HTTP path, against the local
wire-protocol server in tests/gemini_server.py: key rotation, quota rests, the fallback chain,
retries, the time budget, schema checks, free-model policy and the Prometheus counters."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from services.common.errors import AiFailed, AiNotConfigured, ModelNotFree
from services.common.gemini import GeminiProvider, GeminiSettings, InlineData, KeyPool
from services.common.gemini.schemas import PaymentAnswer
from tests.gemini_server import (
    GeminiServer,
    Reply,
    answer,
    blocked,
    error,
    rate_limited,
    server_error,
)

GEMMA, FLASH, FLASH15 = "gemma-3-27b-it", "gemini-2.0-flash-exp", "gemini-1.5-flash"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # opaque bytes: the server only records them

PAYMENT = {
    "amount": 1000.0,
    "currency": "INR",
    "payer_name": "John Doe",
    "payee_name": "SUDIPTO KUMAR BHATTACHARJEE",
    "date": "2025-11-08",
    "time": "13:24:00",
    "transaction_status": "completed",
    "transaction_id": "567735198192",
    "payment_method": "UPI",
    "upi_id": "example@upi",
    "is_payment_screenshot": True,
    "confidence": 0.9,
}


class Clock:
    """A monotonic clock the test moves by hand (for key rests only)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[GeminiServer]:
    srv = GeminiServer()
    await srv.start()
    yield srv
    await srv.stop()


def settings_for(server: GeminiServer, **overrides: Any) -> GeminiSettings:
    values: dict[str, Any] = {
        "GEMINI_BASE_URL": server.base_url,
        "GEMINI_BACKOFF_INITIAL_S": 0.01,
        "GEMINI_BACKOFF_MAX_S": 0.05,
        "GEMINI_BACKOFF_JITTER_S": 0.01,
        "GEMINI_DEADLINE_S": 20,
        "GEMINI_ATTEMPT_TIMEOUT_S": 10,
    }
    values.update(overrides)
    return GeminiSettings(_env_file=None, **values)


@pytest.fixture
async def providers() -> AsyncIterator[list[GeminiProvider]]:
    made: list[GeminiProvider] = []
    yield made
    for provider in made:
        await provider.aclose()


@pytest.fixture
def make(server: GeminiServer, providers: list[GeminiProvider]) -> Any:
    def _make(
        keys: tuple[str, ...] = ("k1",), clock: Clock | None = None, **overrides: Any
    ) -> GeminiProvider:
        pool = KeyPool(keys, clock=clock or time.monotonic)
        provider = GeminiProvider(settings_for(server, **overrides), key_pool=pool)
        providers.append(provider)
        return provider

    return _make


async def ask(provider: GeminiProvider, **kwargs: Any) -> Any:
    return await provider.generate(
        PaymentAnswer,
        instruction="task: payment_screenshot",
        parts=[InlineData(PNG, "image/png")],
        **kwargs,
    )


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_gemma_gets_the_schema_in_the_prompt_and_the_image_inline(
    server: GeminiServer, make: Any
) -> None:
    server.script(answer(PAYMENT, fenced=True), model=GEMMA)
    result = await ask(make(("key-a",)))
    assert result.model == GEMMA
    assert result.value == PaymentAnswer.model_validate(PAYMENT)
    (req,) = server.requests
    assert (req.api_version, req.model, req.key) == ("v1beta", GEMMA, "key-a")
    assert req.inline == [("image/png", PNG)]
    # Gemma has no JSON mode and no system instruction on the Gemini API: both in the prompt.
    assert "responseSchema" not in req.generation_config
    assert "systemInstruction" not in req.body
    assert '"transaction_id"' in req.text and "task: payment_screenshot" in req.text


async def test_gemini_models_get_response_schema_and_system_instruction(
    server: GeminiServer, make: Any
) -> None:
    server.script(answer(PAYMENT), model=FLASH)
    result = await ask(make(GEMINI_MODELS=FLASH, GEMINI_API_VERSION="v1"))
    assert result.model == FLASH
    (req,) = server.requests
    assert req.api_version == "v1"
    config = req.generation_config
    assert config["responseMimeType"] == "application/json"
    schema = config["responseSchema"]
    assert list(schema["properties"]) == list(PAYMENT)
    assert schema["properties"]["payment_method"]["enum"] == ["UPI", "NEFT", "IMPS", "unknown"]
    assert req.body["systemInstruction"]["parts"][0]["text"] == "task: payment_screenshot"


async def test_keys_rotate_round_robin(server: GeminiServer, make: Any) -> None:
    server.script(answer(PAYMENT), always=True)
    provider = make(("k1", "k2", "k3"))
    for _ in range(6):
        await ask(provider)
    assert [r.key for r in server.requests] == ["k1", "k2", "k3", "k1", "k2", "k3"]


async def test_rate_limited_key_is_skipped_until_its_retry_delay(
    server: GeminiServer, make: Any
) -> None:
    clock = Clock()
    server.script(rate_limited("30s"), model=GEMMA, key="k1", always=True)
    server.script(answer(PAYMENT), always=True)
    provider = make(("k1", "k2"), clock=clock)

    first = await ask(provider)
    assert [r.key for r in server.requests] == ["k1", "k2"]  # 429, then the other key at once
    assert first.model == GEMMA and first.key_index == 1 and first.attempts == 2
    for _ in range(3):
        await ask(provider)
    assert [r.key for r in server.requests[2:]] == ["k2", "k2", "k2"]
    assert provider.keys.seconds_until_usable(GEMMA) == 0.0

    clock.now += 29  # still resting
    await ask(provider)
    assert server.requests[-1].key == "k2"
    clock.now += 2  # RetryInfo's 30 s are over
    del server._standing[(GEMMA, "k1")]
    await ask(provider)
    await ask(provider)
    assert {r.key for r in server.requests[-2:]} == {"k1", "k2"}


async def test_429_without_retry_info_rests_for_the_cooldown(
    server: GeminiServer, make: Any
) -> None:
    clock = Clock()
    server.script(rate_limited(None), model=GEMMA)
    server.script(answer(PAYMENT), model=FLASH)
    provider = make(("k1",), clock=clock, GEMINI_COOLDOWN_S=45)
    result = await ask(provider)
    # The only key rests for gemma, so the chain moves on instead of waiting.
    assert result.model == FLASH
    assert [(r.model, r.key) for r in server.requests] == [(GEMMA, "k1"), (FLASH, "k1")]
    assert provider.keys.usable(0, FLASH)
    assert not provider.keys.usable(0, GEMMA)
    clock.now += 45
    assert provider.keys.usable(0, GEMMA)


async def test_retry_after_header_and_daily_quota_rests(server: GeminiServer, make: Any) -> None:
    clock = Clock()
    header = error(429, "RESOURCE_EXHAUSTED", "slow down")
    server.script(Reply(429, header.body, headers={"Retry-After": "12"}), model=GEMMA, key="k1")
    daily = {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
    }
    server.script(error(429, "RESOURCE_EXHAUSTED", "daily", details=[daily]), model=GEMMA, key="k2")
    server.script(answer(PAYMENT), model=FLASH)
    provider = make(("k1", "k2"), clock=clock)
    result = await ask(provider)
    assert result.model == FLASH
    clock.now += 12
    assert provider.keys.usable(0, GEMMA)
    # The daily quota rests the key until midnight Pacific time: hours, not the cooldown.
    assert not provider.keys.usable(1, GEMMA)
    clock.now += 24 * 3600
    assert provider.keys.usable(1, GEMMA)


async def test_per_minute_budget_sends_overflow_down_the_chain(
    server: GeminiServer, make: Any, providers: list[GeminiProvider]
) -> None:
    clock = Clock()
    server.script(answer(PAYMENT), always=True)
    pool = KeyPool(["k1", "k2"], clock=clock, rpm={GEMMA: 2})
    provider = GeminiProvider(settings_for(server), key_pool=pool)
    providers.append(provider)
    models = [(await ask(provider)).model for _ in range(6)]
    # Two keys × 2 requests/min on gemma; the rest go to the next model without a 429.
    assert models == [GEMMA] * 4 + [FLASH] * 2
    assert provider.keys.seconds_until_usable(GEMMA) == pytest.approx(60.0)
    clock.now += 60
    assert (await ask(provider)).model == GEMMA


def test_default_pool_uses_the_settings_budgets() -> None:
    settings = GeminiSettings(_env_file=None, GEMINI_RPM={GEMMA: 1})
    provider = GeminiProvider(settings, api_keys=["k"])
    assert provider.keys.pick(GEMMA) == 0
    assert provider.keys.pick(GEMMA) is None
    assert provider.keys.pick(FLASH) == 0


async def test_5xx_is_retried_with_backoff_on_the_same_model(
    server: GeminiServer, make: Any
) -> None:
    server.script(server_error(500), server_error(503), answer(PAYMENT), model=GEMMA)
    before = sample("fintract_gemini_requests_total", {"model": GEMMA, "outcome": "server_error"})
    result = await ask(make(("k1", "k2")))
    assert result.model == GEMMA and result.attempts == 3 and result.failures == ()
    assert len(server.requests_for(GEMMA)) == 3
    after = sample("fintract_gemini_requests_total", {"model": GEMMA, "outcome": "server_error"})
    assert after - before == 2


async def test_fallback_chain_after_retries_run_out(server: GeminiServer, make: Any) -> None:
    server.script(server_error(500), model=GEMMA, always=True)
    server.script(server_error(503), model=FLASH, always=True)
    server.script(answer(PAYMENT), model=FLASH15)
    result = await ask(make(GEMINI_ATTEMPTS_PER_MODEL=2))
    assert result.model == FLASH15
    assert [r.model for r in server.requests] == [GEMMA, GEMMA, FLASH, FLASH, FLASH15]
    assert result.failures == (f"{GEMMA}: server_error", f"{FLASH}: server_error")


async def test_ai_failed_when_every_model_fails(server: GeminiServer, make: Any) -> None:
    server.script(server_error(500), always=True)
    with pytest.raises(AiFailed) as caught:
        await ask(make(GEMINI_ATTEMPTS_PER_MODEL=2))
    assert caught.value.code == "ai_failed"
    assert caught.value.status == grpc.StatusCode.UNAVAILABLE
    assert [f.split(":")[0] for f in caught.value.details["failures"]] == [GEMMA, FLASH, FLASH15]
    assert len(server.requests) == 6


async def test_every_key_resting_everywhere_fails_with_retry_after(
    server: GeminiServer, make: Any
) -> None:
    server.script(rate_limited("7s"), always=True)
    with pytest.raises(AiFailed) as caught:
        await ask(make(("k1", "k2"), clock=Clock()))
    # Each model tried once per key, then skipped; no sleeping on a quota.
    assert len(server.requests) == 6
    assert caught.value.details["retry_after_s"] == pytest.approx(7.0)
    assert all("rate_limited" in f for f in caught.value.details["failures"])


async def test_refused_key_is_banned_and_the_next_key_used(server: GeminiServer, make: Any) -> None:
    server.script(error(403, "PERMISSION_DENIED", "API key not valid"), key="bad", always=True)
    server.script(answer(PAYMENT), always=True)
    provider = make(("bad", "good"))
    for _ in range(3):
        result = await ask(provider)
        assert result.key_index == 1
    assert [r.key for r in server.requests] == ["bad", "good", "good", "good"]


async def test_client_error_and_blocked_answer_fall_back_without_retry(
    server: GeminiServer, make: Any
) -> None:
    server.script(error(400, "INVALID_ARGUMENT", "bad request"), model=GEMMA)
    server.script(blocked(), model=FLASH)
    server.script(answer(PAYMENT), model=FLASH15)
    result = await ask(make())
    assert [r.model for r in server.requests] == [GEMMA, FLASH, FLASH15]
    assert result.failures == (f"{GEMMA}: client_error_400", f"{FLASH}: no_answer")


@pytest.mark.parametrize(
    "bad",
    [
        {**PAYMENT, "amount": "a thousand"},
        {**PAYMENT, "date": "08/11/2025"},
        {**PAYMENT, "payment_method": "CARD"},
        {k: v for k, v in PAYMENT.items() if k != "is_payment_screenshot"},
        "Sure! The amount is 1000.",
    ],
    ids=["amount-text", "date-format", "method-enum", "missing-field", "not-json"],
)
async def test_schema_invalid_answer_moves_to_the_next_model(
    server: GeminiServer, make: Any, bad: Any
) -> None:
    server.script(answer(bad), model=GEMMA, always=True)
    server.script(answer(PAYMENT), model=FLASH)
    before = sample("fintract_gemini_requests_total", {"model": GEMMA, "outcome": "schema_invalid"})
    result = await ask(make())
    assert result.model == FLASH
    assert len(server.requests_for(GEMMA)) == 1  # an invalid answer is not asked again
    assert result.failures == (f"{GEMMA}: schema_invalid",)
    after = sample("fintract_gemini_requests_total", {"model": GEMMA, "outcome": "schema_invalid"})
    assert after - before == 1


async def test_slow_attempt_times_out_and_is_retried(server: GeminiServer, make: Any) -> None:
    slow = answer(PAYMENT, delay_s=4.0)
    server.script(slow, answer(PAYMENT), model=GEMMA)
    started = time.monotonic()
    result = await ask(make(GEMINI_ATTEMPT_TIMEOUT_S=1.0))
    assert result.model == GEMMA and result.attempts == 2
    assert time.monotonic() - started < 3.5
    assert len(server.requests) == 2


async def test_time_budget_ends_the_request(server: GeminiServer, make: Any) -> None:
    server.script(answer(PAYMENT, delay_s=3.0), always=True)
    started = time.monotonic()
    with pytest.raises(AiFailed) as caught:
        await ask(make(GEMINI_DEADLINE_S=0.6))
    elapsed = time.monotonic() - started
    assert 0.5 < elapsed < 1.5
    assert caught.value.details["failures"] == [f"{GEMMA}: deadline"]
    # A per-request budget overrides the setting.
    started = time.monotonic()
    with pytest.raises(AiFailed):
        await ask(make(), deadline_s=0.3)
    assert time.monotonic() - started < 1.0


async def test_concurrency_is_capped_per_process(server: GeminiServer, make: Any) -> None:
    server.script(answer(PAYMENT, delay_s=0.3), always=True)
    provider = make(("k1", "k2"), GEMINI_MAX_CONCURRENCY=2)
    results = await asyncio.gather(*(ask(provider) for _ in range(6)))
    assert all(r.model == GEMMA for r in results)
    assert len(server.requests) == 6
    assert server.max_in_flight == 2


async def test_paid_models_are_refused_unless_allowed(server: GeminiServer, make: Any) -> None:
    provider = make()
    with pytest.raises(ModelNotFree) as caught:
        await ask(provider, models=["gemini-2.5-pro"])
    assert caught.value.code == "model_not_free"
    assert caught.value.status == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(ModelNotFree):
        make(GEMINI_MODELS="gemini-2.5-pro,gemini-1.5-flash")
    assert server.requests == []

    server.script(answer(PAYMENT), model="gemini-2.5-pro")
    paid = make(GEMINI_MODELS="gemini-2.5-pro", GEMINI_ALLOW_PAID=True)
    result = await ask(paid)
    assert result.model == "gemini-2.5-pro"
    assert paid.cost_tier("gemini-2.5-pro") == "paid" and paid.cost_tier(GEMMA) == "free"


async def test_no_key_is_not_configured(server: GeminiServer, make: Any) -> None:
    provider = make(())
    assert not provider.configured
    with pytest.raises(AiNotConfigured):
        await ask(provider)


async def test_usage_and_cost_counted_per_model(server: GeminiServer, make: Any) -> None:
    server.script(answer(PAYMENT, prompt_tokens=1000, output_tokens=200), model=FLASH)
    labels = {"model": FLASH}
    prompt0 = sample("fintract_gemini_tokens_total", {**labels, "kind": "prompt"})
    output0 = sample("fintract_gemini_tokens_total", {**labels, "kind": "output"})
    cost0 = sample("fintract_gemini_estimated_cost_usd_total", labels)
    ok0 = sample("fintract_gemini_requests_total", {**labels, "outcome": "ok"})
    result = await ask(make(GEMINI_MODELS=FLASH))
    assert (result.usage.prompt_tokens, result.usage.output_tokens) == (1000, 200)
    expected_cost = (1000 * 0.10 + 200 * 0.40) / 1_000_000
    assert result.usage.cost_usd == pytest.approx(expected_cost)
    assert sample("fintract_gemini_tokens_total", {**labels, "kind": "prompt"}) - prompt0 == 1000
    assert sample("fintract_gemini_tokens_total", {**labels, "kind": "output"}) - output0 == 200
    assert sample("fintract_gemini_estimated_cost_usd_total", labels) - cost0 == pytest.approx(
        expected_cost
    )
    assert sample("fintract_gemini_requests_total", {**labels, "outcome": "ok"}) - ok0 == 1


async def test_key_check_command_against_the_server(server: GeminiServer) -> None:
    server.script(answer({"document_type": "payment_screenshot", "confidence": 0.9}), model=GEMMA)
    server.script(server_error(500), always=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GEMINI_BASE_URL": server.base_url,
        "GOOGLE_API_KEY": "secret-key-1",
        "GEMINI_ATTEMPTS_PER_MODEL": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.common.gemini",
        env=env,
        cwd=str(Path(__file__).parents[2]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await proc.communicate()
    text = stdout.decode()
    assert proc.returncode == 0, stderr.decode()
    assert f"{GEMMA}" in text and "payment_screenshot" in text
    assert f"{FLASH:<28} FAILED  ai_failed" in text
    assert "secret-key-1" not in text + stderr.decode()
    assert {r.key for r in server.requests} == {"secret-key-1"}

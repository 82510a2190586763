"""The Gemini provider: structured answers over the google-genai SDK, robust to quota and
outages.

One :class:`GeminiProvider` per process. For each request it walks the model chain
(``GEMINI_MODELS``); for each model it makes up to ``GEMINI_ATTEMPTS_PER_MODEL`` HTTP attempts
(tenacity: exponential back-off with jitter on 5xx, timeouts and connection errors), rotating
the API keys round-robin. A key that answers 429/RESOURCE_EXHAUSTED for a model is skipped for
that model until its reset (the error's ``RetryInfo.retryDelay``, else ``Retry-After``, else
the cooldown setting); another key is tried at once. A model whose keys are all resting, that
answers 4xx, or whose answer fails the schema, gives way to the next model. The whole request
ends by ``GEMINI_DEADLINE_S``. When every model failed: :class:`AiFailed` (``ai_failed``).

``google.genai`` is imported only when a request is made: nothing here is needed offline.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from services.common.errors import AiFailed, AiNotConfigured, ModelNotFree
from services.common.gemini import metrics
from services.common.gemini.schemas import response_schema
from services.common.gemini.settings import GeminiSettings, api_keys_from_env
from services.common.logging import get_logger

if TYPE_CHECKING:
    from google.genai import Client

T = TypeVar("T", bound=BaseModel)

PROVIDER_NAME = "gemini"
# Models served without JSON mode or system instructions (Gemma on the Gemini API answers
# 400 to both): the schema and instruction go into the prompt and the JSON is read from text.
_NO_JSON_MODE_PREFIXES = ("gemma-",)
_RETRY_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_PACIFIC = dt.timezone(dt.timedelta(hours=-8))

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class InlineData:
    """Bytes sent inline with a request: a page image, a one-page PDF, a screenshot."""

    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class GeminiAnswer(Generic[T]):
    """A schema-valid answer and what it took to get it."""

    value: T
    model: str
    key_index: int  # which key answered (position in the key list; never the key itself)
    attempts: int  # HTTP attempts made, all models together
    elapsed_s: float
    usage: Usage
    failures: tuple[str, ...] = ()  # "model: reason" for each attempt that failed first


# --- key rotation --------------------------------------------------------------------------


class KeyPool:
    """API keys in rotation, each resting per model after a 429 and for every model after
    401/403, and kept under a per-model requests-per-minute budget per key (``rpm``; the
    free tier's limits) so that quota is not spent on 429s. ``clock`` is injectable so tests
    can move time."""

    def __init__(
        self,
        keys: Sequence[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        rpm: Mapping[str, int] | None = None,
    ):
        self.keys = list(keys)
        self._clock = clock
        self._rpm = {model: n for model, n in (rpm or {}).items() if n > 0}
        self._next = 0
        self._resting: dict[tuple[int, str], float] = {}
        self._bad: dict[int, float] = {}
        self._used: dict[tuple[int, str], deque[float]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def _free_at(self, index: int, model: str, now: float) -> float:
        """When key ``index`` may next be used for ``model``."""
        at = max(self._resting.get((index, model), 0.0), self._bad.get(index, 0.0))
        limit = self._rpm.get(model)
        used = self._used.get((index, model))
        if limit and used:
            while used and used[0] <= now - 60.0:
                used.popleft()
            if len(used) >= limit:
                at = max(at, used[0] + 60.0)
        return at

    def usable(self, index: int, model: str) -> bool:
        now = self._clock()
        return self._free_at(index, model, now) <= now

    def available(self, model: str) -> int:
        """How many keys may be used for ``model`` now."""
        return sum(self.usable(i, model) for i in range(len(self.keys)))

    def pick(self, model: str) -> int | None:
        """The next usable key for ``model`` in round-robin order (counted against its
        per-minute budget), or None."""
        for step in range(len(self.keys)):
            index = (self._next + step) % len(self.keys)
            if self.usable(index, model):
                self._next = index + 1
                if model in self._rpm:
                    self._used.setdefault((index, model), deque()).append(self._clock())
                return index
        return None

    def rest(self, index: int, model: str, seconds: float) -> None:
        """Skip key ``index`` for ``model`` for ``seconds`` (a 429)."""
        until = self._clock() + seconds
        self._resting[(index, model)] = max(until, self._resting.get((index, model), 0.0))

    def ban(self, index: int, seconds: float) -> None:
        """Skip key ``index`` for every model (revoked or wrong key)."""
        self._bad[index] = self._clock() + seconds

    def seconds_until_usable(self, model: str) -> float | None:
        """Seconds until some key may be used for ``model`` again (0 = now)."""
        if not self.keys:
            return None
        now = self._clock()
        return max(0.0, min(self._free_at(i, model, now) for i in range(len(self.keys))) - now)


# --- failures ------------------------------------------------------------------------------


class _Transient(Exception):
    """An attempt failed in a way worth retrying on the same model."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ModelFailed(Exception):
    """This model will not answer this request: go to the next model."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _DeadlineExceeded(Exception):
    pass


def _retry_delay(exc: Any) -> float | None:
    """Seconds from a 429's RetryInfo (``"retryDelay": "2s"``) or its Retry-After header."""
    body = getattr(exc, "details", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details", []) if isinstance(error, dict) else []
    per_day = False
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, dict):
            continue
        if str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _RETRY_DELAY.match(str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
        for violation in item.get("violations", []) or []:
            if isinstance(violation, dict) and "PerDay" in str(violation.get("quotaId", "")):
                per_day = True
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is not None:
        value = headers.get("Retry-After") or headers.get("retry-after")
        if value and str(value).strip().isdigit():
            return float(value)
    if per_day:
        # Daily quotas reset at midnight Pacific time.
        now = dt.datetime.now(_PACIFIC)
        midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()
    return None


def _json_from_text(text: str) -> Any:
    """The JSON object in a model's text (code fences and chatter around it tolerated)."""
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise
        return json.loads(text[start : end + 1])


# --- the provider --------------------------------------------------------------------------


class GeminiProvider:
    """Structured extraction through Gemini with key rotation, fallback, retries and a budget.

    Args:
        settings: the provider's settings.
        api_keys: keys to rotate; default :func:`api_keys_from_env`.
        key_pool: a ready pool (tests pass one with a controllable clock).
    """

    def __init__(
        self,
        settings: GeminiSettings | None = None,
        *,
        api_keys: Sequence[str] | None = None,
        key_pool: KeyPool | None = None,
    ) -> None:
        self.settings = settings or GeminiSettings()
        for model in self.settings.models:
            self.check_model(model)
        if key_pool is None:
            key_pool = KeyPool(
                api_keys_from_env() if api_keys is None else api_keys,
                rpm=self.settings.rpm_limits,
            )
        self.keys = key_pool
        self._clients: dict[int, Client] = {}
        self._slots = asyncio.Semaphore(self.settings.max_concurrency)

    @property
    def configured(self) -> bool:
        """Whether at least one API key is set."""
        return len(self.keys) > 0

    def check_model(self, model: str) -> None:
        """Raise :class:`ModelNotFree` for a paid model unless paid models are allowed."""
        if not self.settings.allow_paid and not self.settings.is_free(model):
            raise ModelNotFree(
                f"model {model} is not on the free-model list (set GEMINI_ALLOW_PAID=true)",
                model=model,
            )

    def cost_tier(self, model: str) -> str:
        return self.settings.cost_tier(model)

    def _client(self, index: int) -> Client:
        client = self._clients.get(index)
        if client is None:
            from google import genai
            from google.genai import types

            client = genai.Client(
                vertexai=False,  # AI Studio keys, whatever GOOGLE_GENAI_USE_VERTEXAI says
                api_key=self.keys.keys[index],
                http_options=types.HttpOptions(
                    base_url=self.settings.base_url,
                    api_version=self.settings.api_version,
                    # Retries are ours (tenacity, key-aware); one attempt per SDK call.
                    retry_options=types.HttpRetryOptions(attempts=1),
                ),
            )
            self._clients[index] = client
        return client

    async def aclose(self) -> None:
        """Close the HTTP sessions of every client made."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aio.aclose()
            client.close()  # the SDK also opens a synchronous session

    async def generate(
        self,
        schema: type[T],
        *,
        instruction: str,
        parts: Sequence[InlineData | str] = (),
        models: Sequence[str] | None = None,
        deadline_s: float | None = None,
    ) -> GeminiAnswer[T]:
        """Ask the model chain for one ``schema``-valid answer.

        Args:
            schema: the pydantic model the answer must validate against.
            instruction: what to extract (sent as system instruction, or in the prompt).
            parts: inline data and text sent as the user turn, in order.
            models: a request's own chain (each model checked against the free list).
            deadline_s: overrides ``GEMINI_DEADLINE_S`` for this request.

        Raises:
            ModelNotFree: a requested model is paid and paid models are not allowed.
            AiNotConfigured: no API key is set.
            AiFailed: every model failed, or the deadline passed first.
        """
        chain = list(models) if models else list(self.settings.models)
        for model in chain:
            self.check_model(model)
        if not self.configured:
            raise AiNotConfigured("no Gemini API key is set (GOOGLE_API_KEY, GOOGLE_API_KEY2, …)")
        started = time.monotonic()
        deadline = started + (deadline_s if deadline_s is not None else self.settings.deadline_s)
        state = _RequestState(deadline=deadline)
        for model in chain:
            try:
                value, key_index, usage = await self._ask_model(
                    model, schema, instruction, parts, state
                )
            except _ModelFailed as exc:
                state.failures.append(f"{model}: {exc.reason}")
                continue
            except _DeadlineExceeded:
                state.failures.append(f"{model}: deadline")
                break
            return GeminiAnswer(
                value=value,
                model=model,
                key_index=key_index,
                attempts=state.attempts,
                elapsed_s=time.monotonic() - started,
                usage=usage,
                failures=tuple(state.failures),
            )
        waits = [w for m in chain if (w := self.keys.seconds_until_usable(m)) is not None]
        retry_after = min(waits) if waits else None
        log.warning("gemini_failed", failures=state.failures, attempts=state.attempts)
        raise AiFailed(
            "every Gemini model failed: " + "; ".join(state.failures),
            failures=list(state.failures),
            retry_after_s=retry_after,
        )

    async def _ask_model(
        self,
        model: str,
        schema: type[T],
        instruction: str,
        parts: Sequence[InlineData | str],
        state: _RequestState,
    ) -> tuple[T, int, Usage]:
        settings = self.settings

        def stop(retry_state: RetryCallState) -> bool:
            return (
                retry_state.attempt_number >= settings.attempts_per_model
                or self.keys.available(model) == 0  # every key resting for this model
                or time.monotonic() >= state.deadline
            )

        def wait(retry_state: RetryCallState) -> float:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            if isinstance(exc, _Transient) and exc.reason in ("rate_limited", "bad_key"):
                return 0.0  # another key is usable (else out_of_keys stopped us)
            n = retry_state.attempt_number
            delay = min(settings.backoff_max_s, settings.backoff_initial_s * 2 ** (n - 1))
            delay += random.uniform(0, settings.backoff_jitter_s)
            return float(max(0.0, min(delay, state.deadline - time.monotonic())))

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(model, schema, instruction, parts, state)
        except _Transient as exc:
            if time.monotonic() >= state.deadline:
                raise _DeadlineExceeded from exc
            raise _ModelFailed(exc.reason) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        model: str,
        schema: type[T],
        instruction: str,
        parts: Sequence[InlineData | str],
        state: _RequestState,
    ) -> tuple[T, int, Usage]:
        from google.genai import errors as genai_errors

        index = self.keys.pick(model)
        if index is None:
            raise _ModelFailed("keys_resting")  # every key rests for this model (429, 401/403)
        remaining = state.deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlineExceeded
        state.attempts += 1
        contents, config = self._request(model, schema, instruction, parts)
        started = time.monotonic()
        try:
            # Waiting for a slot counts against the attempt's time, like the call itself.
            async with (
                asyncio.timeout(min(self.settings.attempt_timeout_s, remaining)),
                self._slots,
            ):
                response = await self._client(index).aio.models.generate_content(
                    model=model, contents=contents, config=config
                )
        except TimeoutError as exc:
            _count(model, "timeout", started)
            if time.monotonic() >= state.deadline:
                raise _DeadlineExceeded from exc
            raise _Transient("timeout") from exc
        except genai_errors.APIError as exc:
            outcome = self._on_api_error(exc, index, model)
            _count(model, outcome, started)
            if outcome in ("client_error", "model_not_found"):
                raise _ModelFailed(f"{outcome}_{exc.code}") from exc
            raise _Transient(outcome) from exc
        except (OSError, _aiohttp_errors()) as exc:
            _count(model, "connection", started)
            raise _Transient("connection") from exc
        metrics.LATENCY.labels(model).observe(time.monotonic() - started)
        usage = self._count_usage(model, response)
        try:
            text = response.text
            if not text:
                raise _ModelFailed("no_answer")
            value = schema.model_validate(_json_from_text(text))
        except _ModelFailed:
            metrics.REQUESTS.labels(model, "no_answer").inc()
            raise
        except (ValidationError, ValueError) as exc:
            metrics.REQUESTS.labels(model, "schema_invalid").inc()
            log.info("gemini_schema_invalid", model=model, errors=_brief(exc))
            raise _ModelFailed("schema_invalid") from exc
        metrics.REQUESTS.labels(model, "ok").inc()
        return value, index, usage

    def _on_api_error(self, exc: Any, index: int, model: str) -> str:
        code = int(getattr(exc, "code", 0) or 0)
        status = str(getattr(exc, "status", "") or "")
        if code == 429 or status == "RESOURCE_EXHAUSTED":
            delay = _retry_delay(exc)
            self.keys.rest(
                index, model, self.settings.rate_limit_cooldown_s if delay is None else delay
            )
            log.info("gemini_rate_limited", model=model, key_index=index, rest_s=delay)
            return "rate_limited"
        if code in (401, 403):
            self.keys.ban(index, self.settings.bad_key_cooldown_s)
            log.warning("gemini_key_refused", key_index=index, code=code)
            return "bad_key"
        if code == 404:
            return "model_not_found"
        if code == 408 or code >= 500:
            return "server_error"
        return "client_error"

    def _request(
        self,
        model: str,
        schema: type[BaseModel],
        instruction: str,
        parts: Sequence[InlineData | str],
    ) -> tuple[list[Any], Any]:
        from google.genai import types

        user: list[Any] = [
            types.Part.from_bytes(data=p.data, mime_type=p.mime_type)
            if isinstance(p, InlineData)
            else types.Part.from_text(text=p)
            for p in parts
        ]
        schema_json = response_schema(schema)
        if model.startswith(_NO_JSON_MODE_PREFIXES):
            prompt = (
                f"{instruction}\n\nAnswer with one JSON object and nothing else, matching this "
                f"schema (every property present, null where the document shows no value):\n"
                f"{json.dumps(schema_json)}"
            )
            config = types.GenerateContentConfig(temperature=self.settings.temperature)
            return [
                types.Content(role="user", parts=[types.Part.from_text(text=prompt), *user])
            ], config
        config = types.GenerateContentConfig(
            system_instruction=instruction,
            temperature=self.settings.temperature,
            response_mime_type="application/json",
            response_schema=schema_json,
        )
        return [types.Content(role="user", parts=user)], config

    def _count_usage(self, model: str, response: Any) -> Usage:
        meta = getattr(response, "usage_metadata", None)
        if meta is None:
            return Usage()
        prompt = int(meta.prompt_token_count or 0)
        output = int(meta.candidates_token_count or 0) + int(meta.thoughts_token_count or 0)
        price_in, price_out = self.settings.prices.get(model, (0.0, 0.0))
        cost = (prompt * price_in + output * price_out) / 1_000_000
        metrics.TOKENS.labels(model, "prompt").inc(prompt)
        metrics.TOKENS.labels(model, "output").inc(output)
        metrics.COST.labels(model).inc(cost)
        return Usage(prompt_tokens=prompt, output_tokens=output, cost_usd=cost)


@dataclass
class _RequestState:
    deadline: float
    attempts: int = 0
    failures: list[str] = field(default_factory=list)


def _count(model: str, outcome: str, started: float) -> None:
    metrics.REQUESTS.labels(model, outcome).inc()
    metrics.LATENCY.labels(model).observe(time.monotonic() - started)


def _aiohttp_errors() -> type[Exception]:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiohttp is a dependency
        return OSError
    return aiohttp.ClientError


def _brief(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()[:5])
    return type(exc).__name__


__all__ = [
    "PROVIDER_NAME",
    "GeminiAnswer",
    "GeminiProvider",
    "InlineData",
    "KeyPool",
    "Usage",
]

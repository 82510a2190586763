"""Configuration of the Gemini provider and of provider routing.

Read from the environment on its own (``GeminiSettings()``), so any service can build one
beside its own settings class. API keys are not fields: any number of them is read from
``GOOGLE_API_KEY``, ``GOOGLE_API_KEY2``, ``GOOGLE_API_KEY3``, … (and ``GEMINI_API_KEY*``)
by :func:`api_keys_from_env`, from the environment and, like the settings, ``.env``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.common.provider_choice import DEPLOYMENT_VARIABLE, ProviderName, checked_provider

DEFAULT_MODELS = ("gemma-3-27b-it", "gemini-2.0-flash-exp", "gemini-1.5-flash")

# Models with a free tier on the Gemini Developer API (AI Studio keys). A model outside this
# list is refused with ``model_not_free`` unless ``GEMINI_ALLOW_PAID`` is set.
DEFAULT_FREE_MODELS = (
    "gemma-3-1b-it",
    "gemma-3-4b-it",
    "gemma-3-12b-it",
    "gemma-3-27b-it",
    "gemma-3n-e4b-it",
    "gemini-2.0-flash-exp",
    "gemini-2.0-flash",
    "gemini-2.0-flash-lite",
    "gemini-1.5-flash",
    "gemini-1.5-flash-8b",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
)

# List prices in USD per million tokens (input, output), paid tier, text/image input,
# prompts up to 128k tokens. Used to estimate what the tokens spent would cost at volume,
# also when the free tier paid for them. Override with GEMINI_PRICES (JSON).
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gemma-3-27b-it": (0.0, 0.0),
    "gemini-2.0-flash-exp": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gemini-1.5-flash": (0.075, 0.30),
    "gemini-1.5-flash-8b": (0.0375, 0.15),
    "gemini-1.5-pro": (1.25, 5.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-pro": (1.25, 10.00),
}

# Published free-tier requests per minute per project (mid-2025). Each key is kept under its
# model's budget; a model not listed is not limited here. Override with GEMINI_RPM (JSON).
DEFAULT_RPM: dict[str, int] = {
    "gemma-3-27b-it": 30,
    "gemma-3-12b-it": 30,
    "gemini-2.0-flash-exp": 10,
    "gemini-2.0-flash": 15,
    "gemini-2.0-flash-lite": 30,
    "gemini-1.5-flash": 15,
    "gemini-1.5-flash-8b": 15,
    "gemini-2.5-flash": 10,
    "gemini-2.5-flash-lite": 15,
}

_KEY_VAR = re.compile(r"^(GOOGLE|GEMINI)_API_KEY(\d*)$")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class GeminiSettings(BaseSettings):
    """Knobs of the Gemini provider (``GEMINI_*``) and of routing (``FINTRACT_PROVIDER``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    # Deployment default for routing (FINTRACT_PROVIDER alone; a service's own variable and a
    # request may override it: see services.common.provider_choice).
    provider: ProviderName = Field("local", validation_alias=DEPLOYMENT_VARIABLE)
    # hybrid: a local answer below this confidence is escalated (failed checks always are).
    hybrid_confidence_threshold: float = Field(
        0.85, ge=0.0, le=1.0, validation_alias="HYBRID_CONFIDENCE_THRESHOLD"
    )

    models: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_MODELS), validation_alias="GEMINI_MODELS"
    )
    free_models: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_FREE_MODELS), validation_alias="GEMINI_FREE_MODELS"
    )
    allow_paid: bool = Field(False, validation_alias="GEMINI_ALLOW_PAID")
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: dict(DEFAULT_PRICES), validation_alias="GEMINI_PRICES"
    )

    # Requests per minute per key and model ({} = no client-side limit).
    rpm_limits: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RPM), validation_alias="GEMINI_RPM"
    )

    # None = Google's endpoint. Tests and the benchmark point it at a local server.
    base_url: str | None = Field(None, validation_alias="GEMINI_BASE_URL")
    # v1beta carries every feature we use (responseSchema, systemInstruction) for every model.
    api_version: str = Field("v1beta", validation_alias="GEMINI_API_VERSION")

    # One HTTP attempt may take this long before it counts as a timeout (retried).
    attempt_timeout_s: float = Field(30.0, gt=0, validation_alias="GEMINI_ATTEMPT_TIMEOUT_S")
    # The whole request (all keys, models, retries and back-off) ends by this budget.
    deadline_s: float = Field(60.0, gt=0, validation_alias="GEMINI_DEADLINE_S")
    # Attempts per model (the first one included) on 429/5xx/timeouts before falling back.
    attempts_per_model: int = Field(3, ge=1, validation_alias="GEMINI_ATTEMPTS_PER_MODEL")
    backoff_initial_s: float = Field(0.5, ge=0, validation_alias="GEMINI_BACKOFF_INITIAL_S")
    backoff_max_s: float = Field(8.0, ge=0, validation_alias="GEMINI_BACKOFF_MAX_S")
    backoff_jitter_s: float = Field(0.5, ge=0, validation_alias="GEMINI_BACKOFF_JITTER_S")
    # How long a (key, model) is skipped after a 429 that carries no RetryInfo.
    rate_limit_cooldown_s: float = Field(60.0, ge=0, validation_alias="GEMINI_COOLDOWN_S")
    # How long a key is skipped after 401/403 (revoked, wrong project).
    bad_key_cooldown_s: float = Field(3600.0, ge=0, validation_alias="GEMINI_BAD_KEY_COOLDOWN_S")
    # Requests in flight to Gemini at once from this process (pages escalated in parallel
    # queue here instead of tripping the per-minute quota together).
    max_concurrency: int = Field(4, ge=1, validation_alias="GEMINI_MAX_CONCURRENCY")
    temperature: float = Field(0.0, ge=0, le=2, validation_alias="GEMINI_TEMPERATURE")

    # What leaves the machine: account numbers and UPI ids blacked out of page images and
    # masked in text before they are sent (the verified answer then carries the masked form).
    mask_account_numbers: bool = Field(True, validation_alias="GEMINI_MASK_ACCOUNT_NUMBERS")
    mask_upi_ids: bool = Field(False, validation_alias="GEMINI_MASK_UPI_IDS")

    @field_validator("provider", mode="before")
    @classmethod
    def _check_provider(cls, value: object) -> str:
        return checked_provider(value, variable=DEPLOYMENT_VARIABLE) or "local"

    @field_validator("models", "free_models", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("models")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("GEMINI_MODELS needs at least one model")
        return value

    def is_free(self, model: str) -> bool:
        """Whether ``model`` is on the free-model list."""
        return model in self.free_models

    def cost_tier(self, model: str) -> Literal["free", "paid", "unknown"]:
        """The payments contract's ``model_cost_tier`` for ``model``."""
        if model in self.free_models:
            return "free"
        if model in self.prices:
            return "paid"
        return "unknown"


def _dot_env(path: str | Path | None) -> dict[str, str]:
    if path is None or not Path(path).is_file():
        return {}
    # python-dotenv: what pydantic-settings reads .env files with (its dependency).
    from dotenv import dotenv_values

    return {name: value for name, value in dotenv_values(path).items() if value is not None}


def api_keys_from_env(
    environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env"
) -> list[str]:
    """API keys from ``GOOGLE_API_KEY``, ``GOOGLE_API_KEY2``, … then ``GEMINI_API_KEY*``.

    ``environ`` None = the process environment over ``env_file`` (a variable set in both is
    taken from the environment, as the settings classes do). Ordered by prefix then number
    (no number = 1); empty values and duplicates dropped.
    """
    env = {**_dot_env(env_file), **os.environ} if environ is None else environ
    found: list[tuple[int, int, str]] = []
    for name, value in env.items():
        match = _KEY_VAR.match(name)
        if match and value.strip():
            prefix = 0 if match.group(1) == "GOOGLE" else 1
            found.append((prefix, int(match.group(2) or 1), value.strip()))
    keys: list[str] = []
    for _, _, key in sorted(found):
        if key not in keys:
            keys.append(key)
    return keys


__all__ = [
    "DEFAULT_FREE_MODELS",
    "DEFAULT_MODELS",
    "DEFAULT_PRICES",
    "DEFAULT_RPM",
    "GeminiSettings",
    "ProviderName",
    "api_keys_from_env",
]

"""Settings of the payments service (environment variables in brackets)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator

from services.common.ocr import MODEL_NAME
from services.common.provider_choice import (
    DeploymentProvider,
    ProviderName,
    checked_provider,
    choose_provider,
    provider_variable,
)
from services.common.settings import CommonSettings

DEFAULT_FREE_MODELS = (
    f"{MODEL_NAME},gemma-3-27b-it,gemini-2.0-flash-exp,gemini-2.0-flash,gemini-1.5-flash,"
    "gemini-1.5-pro"
)


class PaymentsSettings(CommonSettings, DeploymentProvider):
    """Knobs of ``python -m services.payments``."""

    # Master switch: false → every parse answers ``service_disabled`` (the Redis key
    # ``<namespace>:payments:disabled`` flips it at run time too).
    enabled: bool = Field(True, validation_alias="PAYMENTS_ENABLED")
    # Who reads a screenshot when the request names nobody: local | gemini | hybrid.
    # PAYMENTS_PROVIDER, else FINTRACT_PROVIDER, else local; read the result from ``provider``.
    payments_provider: str = provider_variable("PAYMENTS_PROVIDER")
    # Model to use; empty = the provider's own (local: the OCR model). Must be in the free list.
    model: str = Field("", validation_alias="PAYMENTS_MODEL")
    free_models: str = Field(DEFAULT_FREE_MODELS, validation_alias="PAYMENTS_FREE_MODELS")
    # Requests per UTC day that may run the extractor, for everyone together, and per API key
    # (0 = no per-key limit). Counted in Redis; reset at midnight UTC.
    daily_limit: int = Field(500, ge=0, validation_alias="PAYMENTS_DAILY_LIMIT")
    daily_limit_per_key: int = Field(500, ge=0, validation_alias="PAYMENTS_DAILY_LIMIT_PER_KEY")
    min_confidence_threshold: float = Field(
        0.7, ge=0.0, le=1.0, validation_alias="PAYMENTS_MIN_CONFIDENCE"
    )
    # |payment date - match_date| above this many days → requires_review, date_mismatch.
    match_date_window_days: int = Field(3, ge=0, validation_alias="PAYMENTS_MATCH_DATE_WINDOW_DAYS")
    # Screenshots wider than this are downscaled before OCR (0 = never).
    ocr_max_width: int = Field(720, ge=0, validation_alias="PAYMENTS_OCR_MAX_WIDTH")
    # Longest side of the OCR text detector's input (0 = the engine's screenshot profile,
    # 960: reads the generated set as well as 1280 with ~20% less OCR time on 1080x2400).
    ocr_det_max_side: int = Field(0, ge=0, validation_alias="PAYMENTS_OCR_DET_MAX_SIDE")
    # OCR inference threads of this process (the detector's intra-op threads and parallel
    # line batches; overrides OCR_THREADS). 2 may pay on 2 idle cores, but on the shared
    # machine (load ~4) it cost ~13% more CPU per request and no wall time, so 1.
    ocr_threads: int = Field(1, ge=1, validation_alias="PAYMENTS_OCR_THREADS")
    # How long answers (by SHA-256) and perceptual hashes are remembered for duplicates.
    dedupe_ttl_s: int = Field(30 * 86400, ge=1, validation_alias="PAYMENTS_DEDUPE_TTL_S")
    # Largest Hamming distance (of 256 bits) at which two images count as the same picture.
    phash_max_distance: int = Field(12, ge=0, le=64, validation_alias="PAYMENTS_PHASH_MAX_DISTANCE")
    max_image_bytes: int = Field(
        10 * 1024 * 1024, ge=1, validation_alias="PAYMENTS_MAX_IMAGE_BYTES"
    )
    # Load the OCR models at start-up instead of on the first request.
    warm_up: bool = Field(True, validation_alias="PAYMENTS_WARM_UP")

    @field_validator("payments_provider", mode="before")
    @classmethod
    def _check_payments_provider(cls, value: object) -> str:
        return checked_provider(value, variable="PAYMENTS_PROVIDER")

    @property
    def provider(self) -> ProviderName:
        """The deployment's provider for payments (the precedence resolved)."""
        return choose_provider(self.payments_provider, self.deployment_provider)

    @property
    def free_model_list(self) -> frozenset[str]:
        return frozenset(m.strip() for m in self.free_models.split(",") if m.strip())


@lru_cache
def payments_settings() -> PaymentsSettings:
    return PaymentsSettings()


__all__ = ["PaymentsSettings", "payments_settings"]

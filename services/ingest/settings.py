"""Ingest's own knobs (limits, classification depth) on top of the shared infrastructure."""

from __future__ import annotations

from pydantic import Field, field_validator

from services.common.provider_choice import (
    DeploymentProvider,
    ProviderName,
    checked_provider,
    choose_provider,
    provider_variable,
)
from services.common.settings import CommonSettings

MB = 1024 * 1024


class IngestSettings(CommonSettings, DeploymentProvider):
    """Limits every upload must meet; all readable from the environment."""

    max_upload_bytes: int = Field(25 * MB, gt=0, validation_alias="INGEST_MAX_UPLOAD_BYTES")
    # An oversized upload is read and discarded up to this many more bytes before it is
    # refused, so the client sees file_too_large rather than a broken stream (read_upload).
    oversize_drain_bytes: int = Field(
        100 * MB, ge=0, validation_alias="INGEST_OVERSIZE_DRAIN_BYTES"
    )
    max_pages: int = Field(500, gt=0, validation_alias="INGEST_MAX_PAGES")
    max_image_width: int = Field(10_000, gt=0, validation_alias="INGEST_MAX_IMAGE_WIDTH")
    max_image_height: int = Field(10_000, gt=0, validation_alias="INGEST_MAX_IMAGE_HEIGHT")
    # Pixels an image may declare before it is treated as a decompression bomb.
    max_image_pixels: int = Field(40_000_000, gt=0, validation_alias="INGEST_MAX_IMAGE_PIXELS")
    min_image_width: int = Field(16, gt=0, validation_alias="INGEST_MIN_IMAGE_WIDTH")
    min_image_height: int = Field(16, gt=0, validation_alias="INGEST_MIN_IMAGE_HEIGHT")
    # PDF pages whose text layer feeds the classifier.
    classify_pages: int = Field(3, gt=0, validation_alias="INGEST_CLASSIFY_PAGES")
    read_chunk_bytes: int = Field(256 * 1024, gt=0, validation_alias="INGEST_READ_CHUNK_BYTES")
    max_filename_chars: int = Field(
        200, ge=16, le=255, validation_alias="INGEST_MAX_FILENAME_CHARS"
    )
    # Who classifies an upload the keywords are unsure of: local (keywords only) | gemini |
    # hybrid (both ask Gemini then, when a key is set). INGEST_PROVIDER, else FINTRACT_PROVIDER,
    # else local; read the result from ``provider``.
    ingest_provider: str = provider_variable("INGEST_PROVIDER")
    # A keyword guess below this confidence (or ``unknown``) is "unsure".
    classify_sure_confidence: float = Field(
        0.6, ge=0.0, le=1.0, validation_alias="INGEST_CLASSIFY_SURE_CONFIDENCE"
    )
    # Seconds an upload waits for Gemini's classification before keeping the keyword guess.
    classify_gemini_timeout_s: float = Field(
        20.0, gt=0, validation_alias="INGEST_CLASSIFY_GEMINI_TIMEOUT_S"
    )
    # Run ``alembic upgrade heads`` at start (handy for a lone ``python -m services.ingest``).
    auto_migrate: bool = Field(False, validation_alias="INGEST_AUTO_MIGRATE")

    @field_validator("ingest_provider", mode="before")
    @classmethod
    def _check_ingest_provider(cls, value: object) -> str:
        return checked_provider(value, variable="INGEST_PROVIDER")

    @property
    def provider(self) -> ProviderName:
        """The provider that classifies uploads (the precedence resolved)."""
        return choose_provider(self.ingest_provider, self.deployment_provider)


__all__ = ["MB", "IngestSettings"]

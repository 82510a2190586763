"""Ingest's own knobs (limits, classification depth) on top of the shared infrastructure."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings

MB = 1024 * 1024


class IngestSettings(CommonSettings):
    """Limits every upload must meet; all readable from the environment."""

    max_upload_bytes: int = Field(25 * MB, gt=0, validation_alias="INGEST_MAX_UPLOAD_BYTES")
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
    # Run ``alembic upgrade heads`` at start (handy for a lone ``python -m services.ingest``).
    auto_migrate: bool = Field(False, validation_alias="INGEST_AUTO_MIGRATE")


__all__ = ["MB", "IngestSettings"]

"""Settings shared by every service, read from the environment (``FINTRACT_`` prefix is not
used for the infrastructure URLs, which keep their conventional names)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "dev-secret", "secret"}


class CommonSettings(BaseSettings):
    """Infrastructure every service talks to. Subclass per service for its own knobs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="FINTRACT_ENV"
    )
    # Prefix for every Redis key, NATS stream/subject and blob path: isolates test runs and
    # several deployments sharing one Redis/NATS.
    namespace: str = Field("fintract", validation_alias="FINTRACT_NAMESPACE")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")

    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias="NATS_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    database_url: str = Field(
        "sqlite+aiosqlite:///./var/fintract.db", validation_alias="DATABASE_URL"
    )
    # Postgres schema to use (tests run each in its own); empty = the default search_path.
    database_schema: str = Field("", validation_alias="DATABASE_SCHEMA")
    # file:///path for a local folder (default ./var/blobs) or s3://bucket for S3-compatible.
    storage_url: str = Field("file://./var/blobs", validation_alias="STORAGE_URL")
    s3_endpoint_url: str | None = Field(None, validation_alias="S3_ENDPOINT_URL")
    s3_region: str = Field("us-east-1", validation_alias="S3_REGION")

    ingest_addr: str = Field("127.0.0.1:50051", validation_alias="INGEST_ADDR")
    jobs_addr: str = Field("127.0.0.1:50052", validation_alias="JOBS_ADDR")
    parser_addr: str = Field("127.0.0.1:50053", validation_alias="PARSER_ADDR")
    payments_addr: str = Field("127.0.0.1:50054", validation_alias="PAYMENTS_ADDR")

    # Seconds a stopping server gives in-flight RPCs.
    shutdown_grace_s: float = Field(10.0, validation_alias="SHUTDOWN_GRACE_S")
    metrics_port: int = Field(0, validation_alias="METRICS_PORT")  # 0 = no metrics endpoint

    @model_validator(mode="after")
    def _sqlite_folder(self) -> CommonSettings:
        if self.database_url.startswith("sqlite") and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        return self

    def require_secret(self, name: str, value: str) -> str:
        """Refuse placeholder secrets outside development and test."""
        if self.environment == "production" and value.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} must be set to a real secret in production")
        return value


@lru_cache
def common_settings() -> CommonSettings:
    return CommonSettings()


__all__ = ["CommonSettings", "common_settings"]

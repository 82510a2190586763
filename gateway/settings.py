"""Gateway settings, read from the environment (and ``.env``) through pydantic-settings.

The gateway may not import ``services.*``, so it has its own settings class; the variable
names are the suite's (``INGEST_ADDR``, ``REDIS_URL``, ``DATABASE_URL`` ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Everything the gateway reads. Field docs name the environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_file_encoding="utf-8", populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="FINTRACT_ENV"
    )
    namespace: str = Field("fintract", validation_alias="FINTRACT_NAMESPACE")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(True, validation_alias="LOG_JSON")

    host: str = Field("127.0.0.1", validation_alias="GATEWAY_HOST")
    port: int = Field(8000, validation_alias="GATEWAY_PORT")
    # Base of file_url in upload answers; empty = the request's own base URL.
    public_base_url: str = Field("", validation_alias="GATEWAY_PUBLIC_URL")

    ingest_addr: str = Field("127.0.0.1:50051", validation_alias="INGEST_ADDR")
    jobs_addr: str = Field("127.0.0.1:50052", validation_alias="JOBS_ADDR")
    parser_addr: str = Field("127.0.0.1:50053", validation_alias="PARSER_ADDR")
    payments_addr: str = Field("127.0.0.1:50054", validation_alias="PAYMENTS_ADDR")
    # Deadline of unary calls to the services, seconds.
    rpc_timeout_s: float = Field(30.0, validation_alias="GATEWAY_RPC_TIMEOUT_S")

    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias="NATS_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    database_url: str = Field(
        "sqlite+aiosqlite:///./var/fintract.db", validation_alias="DATABASE_URL"
    )
    database_schema: str = Field("", validation_alias="DATABASE_SCHEMA")

    # Where keys are verified: the local api_keys table, or a Keyfolio-style service.
    auth_backend: Literal["database", "keyfolio"] = Field(
        "database", validation_alias="GATEWAY_AUTH_BACKEND"
    )
    keyfolio_url: str = Field("", validation_alias="KEYFOLIO_URL")
    keyfolio_admin_key: str = Field("", validation_alias="KEYFOLIO_ADMIN_KEY")
    # Seconds a verified (or refused) key is remembered: a revocation takes effect within it.
    key_cache_ttl_s: float = Field(5.0, validation_alias="GATEWAY_KEY_CACHE_TTL_S")

    # Requests per minute per API key (fixed one-minute windows in Redis); 0 = unlimited.
    rate_limit_per_minute: int = Field(600, validation_alias="GATEWAY_RATE_LIMIT_PER_MINUTE")

    # Uploads: files per request, bytes per file (ingest enforces its own limits too), chunk
    # size of the stream to ingest.
    max_upload_files: int = Field(50, validation_alias="GATEWAY_MAX_UPLOAD_FILES")
    max_file_bytes: int = Field(25 * 1024 * 1024, validation_alias="GATEWAY_MAX_FILE_BYTES")
    upload_chunk_bytes: int = Field(256 * 1024, validation_alias="GATEWAY_UPLOAD_CHUNK_BYTES")
    # A request whose Content-Length exceeds this is refused (413) before its body is read.
    max_request_bytes: int = Field(256 * 1024 * 1024, validation_alias="GATEWAY_MAX_REQUEST_BYTES")

    # api_logs batch writer: flush interval (seconds) and batch size.
    api_log_interval_s: float = Field(0.5, validation_alias="GATEWAY_API_LOG_INTERVAL_S")
    api_log_batch: int = Field(100, validation_alias="GATEWAY_API_LOG_BATCH")
    api_logs_enabled: bool = Field(True, validation_alias="GATEWAY_API_LOGS")

    @model_validator(mode="after")
    def _check(self) -> GatewaySettings:
        if self.auth_backend == "keyfolio" and not self.keyfolio_url:
            raise ValueError("GATEWAY_AUTH_BACKEND=keyfolio needs KEYFOLIO_URL")
        return self


__all__ = ["GatewaySettings"]

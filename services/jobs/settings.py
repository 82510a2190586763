"""Jobs' own knobs (callbacks, listing) on top of the shared infrastructure."""

from __future__ import annotations

from pydantic import Field, model_validator

from services.common.settings import CommonSettings


class JobsSettings(CommonSettings):
    """Everything the jobs service reads from the environment besides the shared settings."""

    # HMAC-SHA256 key of the callbacks' ``X-Signature``; a placeholder is refused in production.
    callback_secret: str = Field("dev-secret", validation_alias="CALLBACK_SECRET")
    # Comma-separated hosts and/or networks (``127.0.0.1``, ``10.0.0.0/8``, ``hooks.internal``)
    # that a callback URL may resolve to although they are not globally routable.
    callback_allowlist: str = Field("", validation_alias="CALLBACK_ALLOWLIST")
    callback_max_attempts: int = Field(8, ge=1, validation_alias="CALLBACK_MAX_ATTEMPTS")
    # Back-off before attempt n+1: base * 2**(n-1), capped.
    callback_backoff_s: float = Field(2.0, gt=0, validation_alias="CALLBACK_BACKOFF_S")
    callback_backoff_max_s: float = Field(600.0, gt=0, validation_alias="CALLBACK_BACKOFF_MAX_S")
    callback_timeout_s: float = Field(10.0, gt=0, validation_alias="CALLBACK_TIMEOUT_S")
    # Callback deliveries in flight per jobs process.
    callback_concurrency: int = Field(4, ge=1, validation_alias="CALLBACK_CONCURRENCY")
    list_max_page_size: int = Field(100, ge=1, validation_alias="JOBS_LIST_MAX_PAGE_SIZE")
    max_batch_files: int = Field(50, ge=1, validation_alias="JOBS_MAX_BATCH_FILES")
    # Seconds a finished job (with its result) stays in Redis; the database serves it after.
    # 0 keeps finished jobs in Redis forever.
    terminal_ttl_s: int = Field(7 * 24 * 3600, ge=0, validation_alias="JOBS_REDIS_TTL_S")
    # Seconds between checks that Redis still holds the jobs' state; when it lost it, the
    # state is rebuilt from the database and unfinished jobs run again (recovery.py).
    restore_check_s: float = Field(5.0, gt=0, validation_alias="JOBS_RESTORE_CHECK_S")
    # Run ``alembic upgrade heads`` at start (handy for a lone ``python -m services.jobs``).
    auto_migrate: bool = Field(False, validation_alias="JOBS_AUTO_MIGRATE")

    @model_validator(mode="after")
    def _real_secret(self) -> JobsSettings:
        self.require_secret("CALLBACK_SECRET", self.callback_secret)
        return self

    @property
    def callback_allowlist_entries(self) -> list[str]:
        return [item.strip() for item in self.callback_allowlist.split(",") if item.strip()]


__all__ = ["JobsSettings"]

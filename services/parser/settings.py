"""Parser workers' knobs on top of the shared infrastructure."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from services.common.provider_choice import (
    DeploymentProvider,
    ProviderName,
    checked_provider,
    choose_provider,
    provider_variable,
)
from services.common.settings import CommonSettings


class ParserSettings(CommonSettings, DeploymentProvider):
    """Everything ``python -m services.parser`` reads besides the shared settings."""

    # Pages in flight per process. Extraction itself runs on one thread (PyMuPDF is not
    # thread-safe), so CPU scales by running more processes; >1 overlaps I/O with extraction.
    concurrency: int = Field(1, ge=1, validation_alias="PARSER_CONCURRENCY")
    # Seconds JetStream waits for an ack before redelivering; long pages send in_progress().
    ack_wait_s: float = Field(60.0, gt=0, validation_alias="PARSER_ACK_WAIT_S")
    # Deliveries of one message before its page (or document) fails the job.
    max_deliver: int = Field(5, ge=1, validation_alias="PARSER_MAX_DELIVER")
    # Comma-separated delays (s) of the NAKs after failed attempts 1, 2, ... (last one repeats).
    backoff_s: str = Field("1,5,15,30", validation_alias="PARSER_BACKOFF_S")
    # Seconds between in_progress() heartbeats while a page is being extracted (0 = ack_wait/3).
    heartbeat_s: float = Field(0.0, ge=0, validation_alias="PARSER_HEARTBEAT_S")
    # Opened documents kept per process, so the pages of one file do not re-read the blob.
    source_cache_size: int = Field(8, ge=1, validation_alias="PARSER_SOURCE_CACHE_SIZE")
    # ParserService.ParseDocument refuses larger documents (they go through jobs).
    sync_max_pages: int = Field(20, ge=1, validation_alias="PARSER_SYNC_MAX_PAGES")
    sync_max_bytes: int = Field(25 * 1024 * 1024, ge=1, validation_alias="PARSER_SYNC_MAX_BYTES")
    # Provider when a job or request names none: local | gemini | hybrid. PARSER_PROVIDER
    # (PARSER_DEFAULT_PROVIDER is its older name), else FINTRACT_PROVIDER, else local; read
    # the result from ``default_provider``.
    parser_provider: str = provider_variable("PARSER_PROVIDER", "PARSER_DEFAULT_PROVIDER")
    # Invoices: read embedded Factur-X/ZUGFeRD/XRechnung XML when a PDF carries it (exact
    # data); a request's own use_embedded_xml wins over this.
    use_embedded_xml: bool = Field(True, validation_alias="PARSER_USE_EMBEDDED_XML")
    # Seconds a worker waits on jobs/ingest RPCs.
    rpc_timeout_s: float = Field(30.0, gt=0, validation_alias="PARSER_RPC_TIMEOUT_S")

    @field_validator("parser_provider", mode="before")
    @classmethod
    def _check_parser_provider(cls, value: object) -> str:
        return checked_provider(value, variable="PARSER_PROVIDER")

    @property
    def default_provider(self) -> ProviderName:
        """The provider when a job or request names none (the precedence resolved)."""
        return choose_provider(self.parser_provider, self.deployment_provider)

    @model_validator(mode="after")
    def _check_backoff(self) -> ParserSettings:
        if not self.backoff_delays:
            raise ValueError("PARSER_BACKOFF_S needs at least one delay")
        return self

    @property
    def backoff_delays(self) -> list[float]:
        return [float(item) for item in self.backoff_s.split(",") if item.strip()]

    @property
    def heartbeat_interval_s(self) -> float:
        return self.heartbeat_s or max(0.5, self.ack_wait_s / 3)

    def backoff_for(self, attempt: int) -> float:
        """NAK delay after failed delivery number ``attempt`` (1-based)."""
        delays = self.backoff_delays
        return delays[min(max(attempt, 1), len(delays)) - 1]


__all__ = ["ParserSettings"]

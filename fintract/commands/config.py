"""What the CLI reads from the environment (and ``.env``): the database for ``keys``/``db``,
the gateway URL and API key for ``parse``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///./var/fintract.db", validation_alias="DATABASE_URL"
    )
    database_schema: str = Field("", validation_alias="DATABASE_SCHEMA")
    gateway_url: str = Field("http://127.0.0.1:8000", validation_alias="FINTRACT_URL")
    api_key: str = Field("", validation_alias="FINTRACT_API_KEY")

    def ensure_sqlite_folder(self) -> None:
        if self.database_url.startswith("sqlite") and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)


__all__ = ["CliSettings"]

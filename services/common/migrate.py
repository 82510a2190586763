"""Run the Alembic migrations (all branches) from code: used by services at start-up in
development, by ``fintract db upgrade`` and by the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str, schema: str = "") -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("version_locations", str(ROOT / "migrations" / "versions"))
    config.attributes["database_url"] = database_url
    config.attributes["database_schema"] = schema
    return config


def upgrade(database_url: str, schema: str = "") -> None:
    """Bring the database to the newest revision of every branch (blocking)."""
    command.upgrade(alembic_config(database_url, schema), "heads")


async def upgrade_async(database_url: str, schema: str = "") -> None:
    """:func:`upgrade` from inside a running event loop (env.py runs its own loop)."""
    await asyncio.to_thread(upgrade, database_url, schema)


__all__ = ["alembic_config", "upgrade", "upgrade_async"]

"""Alembic environment. One migration branch per owning package (ingest, jobs, keys,
payments): ``alembic upgrade heads`` applies them all. URL and schema come from the
``DATABASE_URL`` / ``DATABASE_SCHEMA`` environment or from ``config.attributes``."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.common.db import create_engine

config = context.config
url = config.attributes.get("database_url") or os.environ.get(
    "DATABASE_URL", "sqlite+aiosqlite:///./var/fintract.db"
)
schema = config.attributes.get("database_schema") or os.environ.get("DATABASE_SCHEMA", "")


def _run(connection: Connection) -> None:
    if schema and connection.dialect.name == "postgresql":
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=schema or None if connection.dialect.name == "postgresql" else None,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = create_engine(url, schema=schema)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_main())

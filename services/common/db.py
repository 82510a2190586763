"""SQLAlchemy 2 async engines for SQLite (default) and PostgreSQL (``DATABASE_URL``).

Each service declares its tables on its own ``MetaData`` built with :func:`make_metadata`;
Alembic (``migrations/``) manages all of them. ``DATABASE_SCHEMA`` puts a deployment (or a
test run) in its own Postgres schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from fintract.sql import create_engine, normalise_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = ["create_engine", "make_metadata", "normalise_url", "session_factory"]

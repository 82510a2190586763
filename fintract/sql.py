"""The suite's one async SQLAlchemy engine factory (SQLite or PostgreSQL).

It lives in ``fintract`` because both the services (through ``services.common.db``) and the
gateway's key store (``fintract.keys``) need it, and the gateway may not import
``services.*``. Plain URLs get the async drivers, ``schema`` sets the Postgres search path,
SQLite gets WAL and a busy timeout so several processes can share one file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


def create_engine(url: str, *, schema: str = "", echo: bool = False) -> AsyncEngine:
    """An engine for ``url``; ``schema`` selects a Postgres schema (ignored for SQLite)."""
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        if ":memory:" not in url:
            kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=5, max_overflow=10, pool_pre_ping=True)
        if schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


__all__ = ["create_engine", "normalise_url"]

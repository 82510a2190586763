"""The database key store: create, list, revoke and verify API keys; prune old request logs.

A key is ``ft_`` followed by 32 random bytes in URL-safe base64 (43 characters). Only its
sha256 is stored, so a leaked database does not leak keys; the hash of a high-entropy key
needs no salt or slow KDF.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from fintract.keys.tables import api_keys, api_logs

KEY_PREFIX = "ft_"
DEFAULT_SCOPES: tuple[str, ...] = ("*",)


def generate_key() -> str:
    """A new high-entropy API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of a key: sha256 hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ApiKey:
    """A stored key's record (never the key itself)."""

    key_id: str
    user_id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class VerifiedKey:
    """Who a valid key belongs to and what it may do."""

    key_id: str
    user_id: str
    scopes: tuple[str, ...]

    def allows(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


def _record(row: object) -> ApiKey:
    m = row._mapping  # type: ignore[attr-defined]
    return ApiKey(
        key_id=m["key_id"],
        user_id=m["user_id"],
        name=m["name"],
        prefix=m["prefix"],
        scopes=tuple(m["scopes"].split()),
        created_at=_utc(m["created_at"]) or datetime.now(UTC),
        last_used_at=_utc(m["last_used_at"]),
        revoked_at=_utc(m["revoked_at"]),
    )


class KeyStore:
    """API keys in the SQL database (tables from the ``keys`` migration branch)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(
        self, user_id: str, *, name: str = "", scopes: Iterable[str] = DEFAULT_SCOPES
    ) -> tuple[ApiKey, str]:
        """Store a new key for ``user_id``; returns its record and the key (shown once)."""
        if not user_id.strip():
            raise ValueError("user_id must not be empty")
        scope_list = tuple(s for s in scopes if s) or DEFAULT_SCOPES
        if any(" " in s for s in scope_list):
            raise ValueError("a scope cannot contain spaces")
        key = generate_key()
        record = ApiKey(
            key_id=uuid.uuid4().hex,
            user_id=user_id,
            name=name,
            prefix=key[:7],
            scopes=scope_list,
            created_at=datetime.now(UTC),
            last_used_at=None,
            revoked_at=None,
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(api_keys).values(
                    key_id=record.key_id,
                    user_id=record.user_id,
                    name=record.name,
                    key_hash=hash_key(key),
                    prefix=record.prefix,
                    scopes=" ".join(record.scopes),
                    created_at=record.created_at,
                )
            )
        return record, key

    async def list(self, *, user_id: str | None = None) -> list[ApiKey]:
        """Every key (or one user's), oldest first."""
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if user_id is not None:
            query = query.where(api_keys.c.user_id == user_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def get(self, key_id: str) -> ApiKey | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.key_id == key_id))).first()
        return _record(row) if row is not None else None

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when no active key has that id."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)

    async def verify(self, key: str) -> VerifiedKey | None:
        """The owner of an active key, or None for an unknown or revoked one."""
        if not key.startswith(KEY_PREFIX):
            return None
        query = select(api_keys.c.key_id, api_keys.c.user_id, api_keys.c.scopes).where(
            api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return VerifiedKey(key_id=row.key_id, user_id=row.user_id, scopes=tuple(row.scopes.split()))

    async def prune_logs(self, *, before: datetime, batch_size: int = 5000) -> int:
        """Delete ``api_logs`` rows created before ``before``, ``batch_size`` rows per
        transaction (short locks on a busy table); returns how many were deleted."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        deleted = 0
        while True:
            oldest = (
                select(api_logs.c.id)
                .where(api_logs.c.created_at < before)
                .order_by(api_logs.c.id)
                .limit(batch_size)
            )
            async with self.engine.begin() as conn:
                ids = [row.id for row in (await conn.execute(oldest)).all()]
                if ids:
                    await conn.execute(delete(api_logs).where(api_logs.c.id.in_(ids)))
            deleted += len(ids)
            if len(ids) < batch_size:
                return deleted

    async def touch(self, used: dict[str, datetime]) -> None:
        """Record last use times, ``{key_id: when}``."""
        if used:
            async with self.engine.begin() as conn:
                await touch_keys(conn, used)


async def touch_keys(conn: AsyncConnection, used: dict[str, datetime]) -> None:
    """``last_used_at`` for each ``{key_id: when}`` inside the caller's transaction."""
    for key_id, when in sorted(used.items()):
        await conn.execute(
            update(api_keys).where(api_keys.c.key_id == key_id).values(last_used_at=when)
        )


__all__ = [
    "DEFAULT_SCOPES",
    "KEY_PREFIX",
    "ApiKey",
    "KeyStore",
    "VerifiedKey",
    "generate_key",
    "hash_key",
    "touch_keys",
]

"""Tables of the key store: ``api_keys`` (hashes only, never a key) and ``api_logs``
(one row per request: method, path, status, latency, who; never bodies).

Managed by the Alembic branch ``keys`` (``migrations/versions/keys_*.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("user_id", String(128), nullable=False, index=True),
    Column("name", String(200), nullable=False, default=""),
    # sha256 hex of the whole key; the key itself is shown once and never stored.
    Column("key_hash", String(64), nullable=False, unique=True),
    # First characters of the key ("ft_AbCd"), to help a person recognise it in a list.
    Column("prefix", String(16), nullable=False, default=""),
    Column("scopes", Text, nullable=False, default="*"),  # space-separated
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

api_logs = Table(
    "api_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("user_id", String(128), nullable=True, index=True),
    Column("key_id", String(32), nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

__all__ = ["api_keys", "api_logs", "metadata"]

"""The ``documents`` table (migrated by ``migrations/versions/ingest_*``) and its record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from services.common.db import make_metadata

metadata = make_metadata()

documents = Table(
    "documents",
    metadata,
    Column("doc_id", String(36), primary_key=True),
    Column("file_id", String(64), nullable=False, unique=True),
    Column("user_id", String(128), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("doc_type", String(32), nullable=False),
    Column("type_confidence", Float, nullable=False),
    Column("storage_key", String(512), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "sha256", name="uq_documents_user_id_sha256"),
)


@dataclass(frozen=True)
class DocumentRecord:
    """One stored document. ``size`` and ``sha256`` describe the uploaded bytes."""

    doc_id: str
    file_id: str
    user_id: str
    filename: str
    content_type: str
    size: int
    pages: int
    sha256: str
    doc_type: str
    type_confidence: float
    storage_key: str
    created_at: datetime

    def as_row(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_row(cls, row: object) -> DocumentRecord:
        """Build from a result row; SQLite hands back naive datetimes, which are UTC."""
        mapping = dict(row._mapping)  # type: ignore[attr-defined]
        created = mapping["created_at"]
        if created.tzinfo is None:
            mapping["created_at"] = created.replace(tzinfo=UTC)
        return cls(**mapping)


__all__ = ["DocumentRecord", "documents", "metadata"]

"""Reads and writes of ``documents`` rows (SQLAlchemy 2 async core; SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import and_, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest.models import DocumentRecord, documents


class DocumentRepository:
    """Document metadata, always scoped to the owning user."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(
        self, *, user_id: str, doc_id: str = "", file_id: str = ""
    ) -> DocumentRecord | None:
        """The user's document with ``doc_id`` or ``file_id``; None when absent or not theirs."""
        if doc_id:
            key = documents.c.doc_id == doc_id
        elif file_id:
            key = documents.c.file_id == file_id
        else:
            return None
        query = select(documents).where(and_(key, documents.c.user_id == user_id))
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return DocumentRecord.from_row(row) if row is not None else None

    async def find_by_sha256(self, *, user_id: str, sha256: str) -> DocumentRecord | None:
        """The user's document with these exact bytes, if any."""
        query = select(documents).where(
            and_(documents.c.user_id == user_id, documents.c.sha256 == sha256)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return DocumentRecord.from_row(row) if row is not None else None

    async def insert(self, record: DocumentRecord) -> tuple[DocumentRecord, bool]:
        """Insert ``record`` unless the user already has these bytes.

        Returns:
            The stored record and whether it is new; when a concurrent upload of the same
            bytes won the race, the winner's record and False.
        """
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(documents).values(**record.as_row()))
        except IntegrityError:
            existing = await self.find_by_sha256(user_id=record.user_id, sha256=record.sha256)
            if existing is None:
                raise
            return existing, False
        return record, True


__all__ = ["DocumentRepository"]

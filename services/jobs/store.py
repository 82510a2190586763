"""Durable job state in SQL (SQLite or PostgreSQL): what survives Redis losing its data.

A row is written when a job is created and updated when it completes or fails; completed
results are kept as the contract's JSON (``fintract.convert.message_to_dict`` of the
ParseResult). ``processing`` and page progress live only in Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from fintract.api.jobs.v1 import jobs_pb2
from fintract.convert import dict_to_message, message_to_dict
from services.common.db import make_metadata
from services.jobs.registry import (
    DOCUMENT_TYPE_BY_NAME,
    STATUS_BY_NAME,
    STATUS_NAMES,
    document_type_name,
)

metadata = make_metadata()

jobs_table = sa.Table(
    "jobs",
    metadata,
    sa.Column("job_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),
    sa.Column("document_id", sa.String(64), nullable=False),
    sa.Column("file_id", sa.String(64), nullable=False),
    sa.Column("batch_id", sa.String(36), nullable=True),
    sa.Column("batch_position", sa.Integer(), nullable=True),
    # The deployment (FINTRACT_NAMESPACE) whose Redis holds the job's live state.
    sa.Column("namespace", sa.String(100), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("pages_total", sa.Integer(), nullable=False),
    sa.Column("pages_done", sa.Integer(), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("callback_url", sa.Text(), nullable=True),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
    sa.Column("result", sa.JSON(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
)

batches_table = sa.Table(
    "job_batches",
    metadata,
    sa.Column("batch_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(128), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("callback_url", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(value: datetime | None) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:  # SQLite hands back naive datetimes
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def _job_row(job: jobs_pb2.Job) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "user_id": job.user_id,
        "document_type": document_type_name(job.document_type),
        "document_id": job.document_id,
        "file_id": job.file_id,
        "batch_id": job.batch_id if job.HasField("batch_id") else None,
        "status": STATUS_NAMES[job.status],
        "pages_total": job.pages_total,
        "pages_done": job.pages_done,
        "provider": job.provider,
        "callback_url": job.callback_url if job.HasField("callback_url") else None,
        "created_at": _dt(job.created_at.ToMilliseconds()),
        "updated_at": _dt(job.updated_at.ToMilliseconds()),
    }


def job_from_row(row: sa.Row[Any], *, with_result: bool = True) -> jobs_pb2.Job:
    job = jobs_pb2.Job(
        job_id=row.job_id,
        user_id=row.user_id,
        status=STATUS_BY_NAME[row.status],
        document_type=DOCUMENT_TYPE_BY_NAME[row.document_type],
        document_id=row.document_id,
        file_id=row.file_id,
        pages_total=row.pages_total,
        pages_done=row.pages_done,
        provider=row.provider,
    )
    if row.batch_id:
        job.batch_id = row.batch_id
    if row.callback_url:
        job.callback_url = row.callback_url
    job.created_at.FromMilliseconds(_ms(row.created_at))
    job.updated_at.FromMilliseconds(_ms(row.updated_at))
    if row.completed_at is not None:
        job.completed_at.FromMilliseconds(_ms(row.completed_at))
    if row.error_code:
        job.error.code = row.error_code
        job.error.message = row.error_message or ""
    if with_result and row.result is not None:
        dict_to_message(row.result, job.result)
    return job


@dataclass(frozen=True)
class StoredJob:
    job: jobs_pb2.Job
    batch_position: int  # 0 for a job outside a batch


class JobStore:
    """Writes and reads the ``jobs`` and ``job_batches`` tables."""

    def __init__(self, engine: AsyncEngine, *, namespace: str) -> None:
        self.engine = engine
        self.namespace = namespace

    async def insert_jobs(
        self,
        jobs: list[jobs_pb2.Job],
        *,
        batch: jobs_pb2.Batch | None = None,
        callback_url: str | None = None,
    ) -> None:
        """Rows for new jobs (and their batch) in one transaction."""
        async with self.engine.begin() as conn:
            if batch is not None:
                await conn.execute(
                    batches_table.insert().values(
                        batch_id=batch.batch_id,
                        user_id=batch.user_id,
                        document_type=document_type_name(batch.document_type),
                        total=batch.total,
                        callback_url=callback_url,
                        created_at=_dt(batch.created_at.ToMilliseconds()),
                    )
                )
            rows = [_job_row(job) for job in jobs]
            for position, row in enumerate(rows):
                row["batch_position"] = position if batch is not None else None
                row["namespace"] = self.namespace
            await conn.execute(jobs_table.insert(), rows)

    async def finish(self, job: jobs_pb2.Job) -> None:
        """Record a terminal job: status, counters, error or result, timestamps."""
        values: dict[str, Any] = {
            "status": STATUS_NAMES[job.status],
            "pages_total": job.pages_total,
            "pages_done": job.pages_done,
            "updated_at": _dt(job.updated_at.ToMilliseconds()),
            "completed_at": _dt(job.completed_at.ToMilliseconds()),
            "error_code": job.error.code or None,
            "error_message": job.error.message or None,
            "result": message_to_dict(job.result) if job.HasField("result") else None,
        }
        async with self.engine.begin() as conn:
            await conn.execute(
                jobs_table.update().where(jobs_table.c.job_id == job.job_id).values(**values)
            )

    async def get_job(self, job_id: str, *, with_result: bool = True) -> jobs_pb2.Job | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(jobs_table.select().where(jobs_table.c.job_id == job_id))
            ).first()
        return job_from_row(row, with_result=with_result) if row is not None else None

    async def list_jobs(
        self,
        user_id: str,
        document_type: str,
        status: str | None,
        *,
        offset: int,
        limit: int,
        with_results: bool = False,
    ) -> tuple[list[jobs_pb2.Job], int]:
        """The user's jobs newest first as the database knows them, and their total."""
        condition = sa.and_(
            jobs_table.c.user_id == user_id, jobs_table.c.document_type == document_type
        )
        if status:
            condition = sa.and_(condition, jobs_table.c.status == status)
        async with self.engine.connect() as conn:
            total = (
                await conn.execute(
                    sa.select(sa.func.count()).select_from(jobs_table).where(condition)
                )
            ).scalar_one()
            rows = (
                await conn.execute(
                    jobs_table.select()
                    .where(condition)
                    .order_by(jobs_table.c.created_at.desc(), jobs_table.c.job_id.desc())
                    .offset(offset)
                    .limit(limit)
                )
            ).all()
        return [job_from_row(row, with_result=with_results) for row in rows], int(total)

    async def iter_jobs(self, *, chunk: int = 1000) -> AsyncIterator[list[StoredJob]]:
        """Every job of this namespace (without its result) oldest first, ``chunk`` rows at
        a time (keyset pagination on creation time and id: a large table is never read at
        once)."""
        after: tuple[Any, str] | None = None
        columns = [c for c in jobs_table.c if c.name != "result"]
        while True:
            query = (
                sa.select(*columns)
                .where(jobs_table.c.namespace == self.namespace)
                .order_by(jobs_table.c.created_at, jobs_table.c.job_id)
            )
            if after is not None:
                query = query.where(
                    sa.or_(
                        jobs_table.c.created_at > after[0],
                        sa.and_(
                            jobs_table.c.created_at == after[0], jobs_table.c.job_id > after[1]
                        ),
                    )
                )
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query.limit(chunk))).all()
            if not rows:
                return
            yield [
                StoredJob(job_from_row(row, with_result=False), row.batch_position or 0)
                for row in rows
            ]
            after = (rows[-1].created_at, rows[-1].job_id)

    async def batch_callback_url(self, batch_id: str) -> str | None:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(
                    sa.select(batches_table.c.callback_url).where(
                        batches_table.c.batch_id == batch_id
                    )
                )
            ).scalar_one_or_none()

    async def get_batch(self, batch_id: str) -> tuple[jobs_pb2.Batch, list[jobs_pb2.Job]] | None:
        """A batch as the database knows it (jobs in submission order, without results)."""
        async with self.engine.connect() as conn:
            head = (
                await conn.execute(
                    batches_table.select().where(batches_table.c.batch_id == batch_id)
                )
            ).first()
            if head is None:
                return None
            rows = (
                await conn.execute(
                    jobs_table.select()
                    .where(jobs_table.c.batch_id == batch_id)
                    .order_by(jobs_table.c.batch_position)
                )
            ).all()
        batch = jobs_pb2.Batch(
            batch_id=head.batch_id,
            user_id=head.user_id,
            document_type=DOCUMENT_TYPE_BY_NAME[head.document_type],
            total=head.total,
        )
        batch.created_at.FromMilliseconds(_ms(head.created_at))
        return batch, [job_from_row(row, with_result=False) for row in rows]


__all__ = ["JobStore", "StoredJob", "batches_table", "job_from_row", "jobs_table", "metadata"]

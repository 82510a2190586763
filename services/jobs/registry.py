"""The hot job and batch registry in Redis: atomic transitions, idempotent pages, listings.

State machine: ``pending → processing → completed | failed`` (``pending → failed`` too, for a
document that cannot be opened); ``completed`` and ``failed`` are terminal. Every change runs
in one Lua script (see :mod:`services.jobs.scripts`) that also moves the job between the
per-status listing sets, updates its batch's live counts and announces itself on the job's
pub/sub channel.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.results.v1 import results_pb2
from services.common.errors import InputError, InvalidTransition, NotFound
from services.common.redis import Keys
from services.jobs import scripts

STATUS_NAMES: dict[jobs_pb2.JobStatus.ValueType, str] = {
    jobs_pb2.JOB_STATUS_PENDING: "pending",
    jobs_pb2.JOB_STATUS_PROCESSING: "processing",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}
STATUS_BY_NAME = {name: value for value, name in STATUS_NAMES.items()}
TERMINAL = frozenset({"completed", "failed"})

DOCUMENT_TYPE_NAMES: dict[results_pb2.DocumentType.ValueType, str] = {
    results_pb2.DOCUMENT_TYPE_BANK_STATEMENT: "bank_statement",
    results_pb2.DOCUMENT_TYPE_INVOICE: "invoice",
}
DOCUMENT_TYPE_BY_NAME = {name: value for value, name in DOCUMENT_TYPE_NAMES.items()}

_LIST_FIELDS = (
    "job_id",
    "user_id",
    "status",
    "document_type",
    "document_id",
    "file_id",
    "batch_id",
    "pages_total",
    "pages_done",
    "created_ms",
    "updated_ms",
    "completed_ms",
    "callback_url",
    "provider",
    "error_code",
    "error_message",
)


TRANSITIONS = Counter(
    "fintract_jobs_transitions_total", "Job state changes, by new status", ["status"]
)


def now_ms() -> int:
    return int(time.time() * 1000)


def document_type_name(value: results_pb2.DocumentType.ValueType) -> str:
    """``DOCUMENT_TYPE_INVOICE`` → ``invoice``; other types have no jobs."""
    try:
        return DOCUMENT_TYPE_NAMES[value]
    except KeyError:
        raise InputError("document_type must be bank_statement or invoice") from None


def job_from_fields(
    fields: dict[str, bytes | None], *, result: bytes | None = None
) -> jobs_pb2.Job:
    """Build a Job message from the job hash (field names decoded, values raw)."""

    def text(name: str) -> str:
        value = fields.get(name)
        return value.decode() if value else ""

    def number(name: str) -> int:
        value = fields.get(name)
        return int(value) if value else 0

    job = jobs_pb2.Job(
        job_id=text("job_id"),
        user_id=text("user_id"),
        status=STATUS_BY_NAME.get(text("status"), jobs_pb2.JOB_STATUS_UNSPECIFIED),
        document_type=DOCUMENT_TYPE_BY_NAME.get(
            text("document_type"), results_pb2.DOCUMENT_TYPE_UNSPECIFIED
        ),
        document_id=text("document_id"),
        file_id=text("file_id"),
        pages_total=number("pages_total"),
        pages_done=number("pages_done"),
        provider=text("provider"),
    )
    if text("batch_id"):
        job.batch_id = text("batch_id")
    if text("callback_url"):
        job.callback_url = text("callback_url")
    job.created_at.FromMilliseconds(number("created_ms"))
    job.updated_at.FromMilliseconds(number("updated_ms") or number("created_ms"))
    if number("completed_ms"):
        job.completed_at.FromMilliseconds(number("completed_ms"))
    if text("error_code"):
        job.error.code = text("error_code")
        job.error.message = text("error_message")
    if result:
        job.result.ParseFromString(result)
    return job


def _job_hash(job: jobs_pb2.Job) -> dict[str, str]:
    return {
        "job_id": job.job_id,
        "user_id": job.user_id,
        "status": STATUS_NAMES[job.status],
        "document_type": document_type_name(job.document_type),
        "document_id": job.document_id,
        "file_id": job.file_id,
        "batch_id": job.batch_id if job.HasField("batch_id") else "",
        "pages_total": str(job.pages_total),
        "pages_done": str(job.pages_done),
        "created_ms": str(job.created_at.ToMilliseconds()),
        "updated_ms": str(job.updated_at.ToMilliseconds()),
        "callback_url": job.callback_url if job.HasField("callback_url") else "",
        "provider": job.provider,
    }


def _batch_hash(
    batch: jobs_pb2.Batch,
    *,
    total: int,
    counts: dict[str, int],
    updated_ms: int,
    callback_url: str,
) -> dict[FieldT, EncodableT]:
    """The batch hash: who and what, the live count per status (absent = 0), times in ms."""
    return {
        "batch_id": batch.batch_id,
        "user_id": batch.user_id,
        "document_type": document_type_name(batch.document_type),
        "total": total,
        **{status: counts.get(status, 0) for status in STATUS_BY_NAME},
        "created_ms": str(batch.created_at.ToMilliseconds()),
        "updated_ms": str(updated_ms),
        "callback_url": callback_url,
    }


def batch_status(
    pending: int, processing: int, completed: int, failed: int
) -> jobs_pb2.BatchStatus.ValueType:
    """The batch's status from its counts: partial when every job ended and some failed."""
    total = pending + processing + completed + failed
    if total and completed + failed == total:
        if failed == 0:
            return jobs_pb2.BATCH_STATUS_COMPLETED
        return jobs_pb2.BATCH_STATUS_FAILED if completed == 0 else jobs_pb2.BATCH_STATUS_PARTIAL
    if pending == total:
        return jobs_pb2.BATCH_STATUS_PENDING
    return jobs_pb2.BATCH_STATUS_PROCESSING


@dataclass(frozen=True)
class Transition:
    """A state change that happened: the job after it and whether it finished its batch."""

    job: jobs_pb2.Job
    previous: str
    batch_finished: bool


@dataclass(frozen=True)
class PageRecorded:
    pages_done: int
    pages_total: int
    last: bool
    pages: list[tuple[int, bytes]]


class Registry:
    """Job and batch state in Redis under one namespace."""

    def __init__(self, redis: Redis, namespace: str, *, terminal_ttl_s: int = 0) -> None:
        self.redis = redis
        self.namespace = namespace
        # A finished job's hash (with its result) leaves Redis after this many seconds; the
        # database serves it from then on. 0 keeps it forever.
        self.terminal_ttl_s = terminal_ttl_s
        self.keys = Keys(namespace)
        self._create = redis.register_script(scripts.CREATE_JOB)
        self._transition = redis.register_script(scripts.TRANSITION)
        self._record = redis.register_script(scripts.RECORD_PAGE)
        self._restore = redis.register_script(scripts.RESTORE_JOB)

    # -- keys ------------------------------------------------------------------------------
    def job_key(self, job_id: str) -> str:
        return self.keys.of("job", job_id)

    def events_channel(self, job_id: str) -> str:
        return self.job_key(job_id) + ":events"

    def listing_key(self, user_id: str, document_type: str, status: str | None = None) -> str:
        parts = ["jobs", user_id, document_type]
        return self.keys.of(*parts, status) if status else self.keys.of(*parts)

    def batch_key(self, batch_id: str) -> str:
        return self.keys.of("batch", batch_id)

    # -- creation --------------------------------------------------------------------------
    def _create_args(self, job: jobs_pb2.Job) -> tuple[list[str], list[Any]]:
        fields = _job_hash(job)
        user, dtype = fields["user_id"], fields["document_type"]
        keys = [
            self.job_key(job.job_id),
            self.listing_key(user, dtype),
            self.listing_key(user, dtype, "pending"),
            self.keys.of("jobs", "seq"),
        ]
        args: list[Any] = [job.job_id]
        for name, value in fields.items():
            args += [name, value]
        return keys, args

    async def create_job(self, job: jobs_pb2.Job) -> None:
        """Record a new pending job (its id must be fresh)."""
        keys, args = self._create_args(job)
        if not await self._create(keys=keys, args=args):
            raise InvalidTransition(f"job {job.job_id} already exists")

    async def create_batch(
        self, batch: jobs_pb2.Batch, jobs: Sequence[jobs_pb2.Job], *, callback_url: str = ""
    ) -> None:
        """Record a batch and its pending jobs in one MULTI/EXEC transaction."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.batch_key(batch.batch_id),
                mapping=_batch_hash(
                    batch,
                    total=len(jobs),
                    counts={"pending": len(jobs)},
                    updated_ms=batch.created_at.ToMilliseconds(),
                    callback_url=callback_url,
                ),
            )
            pipe.rpush(self.batch_key(batch.batch_id) + ":jobs", *[job.job_id for job in jobs])
            for job in jobs:
                keys, args = self._create_args(job)
                await self._create(keys=keys, args=args, client=pipe)
            await pipe.execute()

    # -- reads -----------------------------------------------------------------------------
    async def get_job(self, job_id: str, *, with_result: bool = True) -> jobs_pb2.Job | None:
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(self.job_key(job_id)))
        if not raw:
            return None
        fields: dict[str, bytes | None] = {key.decode(): value for key, value in raw.items()}
        result = fields.pop("result", None) if with_result else None
        return job_from_fields(fields, result=result)

    async def get_jobs(self, job_ids: Sequence[str]) -> list[jobs_pb2.Job | None]:
        """Several jobs without their results, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hmget(self.job_key(job_id), list(_LIST_FIELDS))
            rows = await pipe.execute()
        out: list[jobs_pb2.Job | None] = []
        for row in rows:
            if row[0] is None:
                out.append(None)
            else:
                out.append(job_from_fields(dict(zip(_LIST_FIELDS, row, strict=True))))
        return out

    async def list_jobs(
        self, user_id: str, document_type: str, status: str | None, *, offset: int, limit: int
    ) -> tuple[list[str], int, bool]:
        """Job ids newest first, the total for the filter, and whether Redis knows the user's
        jobs of this type completely (False for a new user, and after Redis lost its data
        until the listings are rebuilt from the database: the database answers meanwhile)."""
        key = self.listing_key(user_id, document_type, status)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zcard(key)
            pipe.zrevrange(key, offset, offset + limit - 1)
            pipe.exists(self.listing_key(user_id, document_type), self.restored_key)
            total, ids, known = await pipe.execute()
        return [item.decode() for item in ids], int(total), int(known) == 2

    async def get_batch(self, batch_id: str) -> tuple[dict[str, str], list[str]] | None:
        """The batch hash (decoded) and its job ids, or None."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.batch_key(batch_id))
            pipe.lrange(self.batch_key(batch_id) + ":jobs", 0, -1)
            raw, ids = await pipe.execute()
        if not raw:
            return None
        return {k.decode(): v.decode() for k, v in raw.items()}, [i.decode() for i in ids]

    # -- rebuilding after Redis lost its data (services/jobs/recovery.py) ------------------
    @property
    def restored_key(self) -> str:
        return self.keys.of("jobs", "restored")

    async def is_restored(self) -> bool:
        """Whether Redis still holds the state this deployment built (False after a flush,
        a restart without persistence, or on a brand-new Redis)."""
        return bool(await self.redis.exists(self.restored_key))

    async def mark_restored(self) -> None:
        await self.redis.set(self.restored_key, str(now_ms()))

    async def lock_restore(self, token: str, ttl_s: int) -> bool:
        """Take the rebuild lock (one process rebuilds; it expires if that one dies)."""
        return bool(
            await self.redis.set(self.keys.of("jobs", "restoring"), token, nx=True, ex=ttl_s)
        )

    async def unlock_restore(self, token: str) -> None:
        key = self.keys.of("jobs", "restoring")
        if await self.redis.get(key) == token.encode():
            await self.redis.delete(key)

    async def restore_job(self, job: jobs_pb2.Job, score: float, *, live: bool) -> bool:
        """List a job the database knows and Redis lost, under ``score``; ``live`` also
        restores its hash (an unfinished job: it runs again). A job Redis knows is untouched;
        returns whether anything was written."""
        fields = _job_hash(job)
        user, dtype, status = fields["user_id"], fields["document_type"], fields["status"]
        keys = [
            self.job_key(job.job_id),
            self.listing_key(user, dtype),
            self.listing_key(user, dtype, status),
        ]
        args: list[Any] = [job.job_id, repr(score), "1" if live else "0"]
        for name, value in fields.items():
            args += [name, value]
        return bool(await self._restore(keys=keys, args=args))

    async def restore_batch(
        self, batch: jobs_pb2.Batch, job_ids: Sequence[str], *, callback_url: str = ""
    ) -> bool:
        """A batch hash with the given live counts, unless Redis has it."""
        key = self.batch_key(batch.batch_id)
        if await self.redis.exists(key):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                key,
                mapping=_batch_hash(
                    batch,
                    total=batch.total,
                    counts={
                        "pending": batch.pending,
                        "processing": batch.processing,
                        "completed": batch.completed,
                        "failed": batch.failed,
                    },
                    updated_ms=now_ms(),
                    callback_url=callback_url,
                ),
            )
            pipe.delete(key + ":jobs")
            pipe.rpush(key + ":jobs", *job_ids)
            await pipe.execute()
        return True

    # -- callbacks outbox ------------------------------------------------------------------
    @property
    def outbox_key(self) -> str:
        return self.keys.of("callbacks", "outbox")

    async def outbox(self) -> list[str]:
        """Callbacks owed (``job:<id>`` / ``batch:<id>``), oldest first."""
        items = cast(list[bytes], await self.redis.lrange(self.outbox_key, 0, -1))
        return [item.decode() for item in items]

    async def outbox_done(self, ref: str) -> None:
        await self.redis.lrem(self.outbox_key, 1, ref)

    # -- transitions -----------------------------------------------------------------------
    async def _move(
        self, job_id: str, to: str, allowed: Sequence[str], fields: dict[str, Any]
    ) -> Transition:
        now = now_ms()
        args: list[Any] = [self.namespace, to, now, ",".join(allowed), self.terminal_ttl_s]
        for name, value in fields.items():
            args += [name, value]
        outcome, previous, finished = await self._transition(keys=[self.job_key(job_id)], args=args)
        outcome, previous = outcome.decode(), previous.decode()
        if outcome == "missing":
            raise NotFound(f"job {job_id} not found")
        if outcome == "illegal":
            raise InvalidTransition(f"job {job_id} is {previous}; it cannot become {to}")
        TRANSITIONS.labels(to).inc()
        job = await self.get_job(job_id)
        if job is None:  # pragma: no cover - deleted between the script and the read
            raise NotFound(f"job {job_id} not found")
        return Transition(job=job, previous=previous, batch_finished=bool(finished))

    async def start(self, job_id: str, pages_total: int) -> Transition:
        """pending → processing with the page count. Starting again with the same count (a
        redelivered document task) is accepted and changes nothing."""
        if pages_total < 1:
            raise InputError("pages_total must be at least 1")
        try:
            return await self._move(job_id, "processing", ["pending"], {"pages_total": pages_total})
        except InvalidTransition:
            job = await self.get_job(job_id, with_result=False)
            if (
                job is not None
                and job.status == jobs_pb2.JOB_STATUS_PROCESSING
                and job.pages_total == pages_total
            ):
                return Transition(job=job, previous="processing", batch_finished=False)
            raise

    async def complete(self, job_id: str, result: bytes) -> Transition:
        """processing → completed, keeping the serialised ParseResult."""
        now = now_ms()
        return await self._move(
            job_id, "completed", ["processing"], {"result": result, "completed_ms": now}
        )

    async def fail(self, job_id: str, code: str, message: str) -> Transition:
        """pending | processing → failed with a stable error code."""
        now = now_ms()
        return await self._move(
            job_id,
            "failed",
            ["pending", "processing"],
            {"error_code": code, "error_message": message, "completed_ms": now},
        )

    async def record_page(self, job_id: str, page_index: int, page_result: bytes) -> PageRecorded:
        """Store one page result once; tells the caller that completed the set."""
        key = self.job_key(job_id)
        reply = await self._record(
            keys=[key, key + ":pages", key + ":assembling"],
            args=[page_index, page_result, now_ms()],
        )
        outcome = reply[0].decode()
        if outcome == "missing":
            raise NotFound(f"job {job_id} not found")
        if outcome == "illegal":
            raise InvalidTransition(f"job {job_id} is {reply[1].decode()}; it takes no pages")
        if outcome == "range":
            raise InputError(f"page {page_index} is outside job {job_id}")
        done, total, last = int(reply[1]), int(reply[2]), bool(reply[3])
        pages: list[tuple[int, bytes]] = []
        if last:
            flat = reply[4]
            pages = sorted((int(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2))
        return PageRecorded(pages_done=done, pages_total=total, last=last, pages=pages)


__all__ = [
    "DOCUMENT_TYPE_BY_NAME",
    "DOCUMENT_TYPE_NAMES",
    "STATUS_BY_NAME",
    "STATUS_NAMES",
    "TERMINAL",
    "PageRecorded",
    "Registry",
    "Transition",
    "batch_status",
    "document_type_name",
    "job_from_fields",
    "now_ms",
]

"""Rebuild Redis from the database after Redis lost its data.

Redis holds the live job state; the database holds every job. When Redis loses its data (a
restart without persistence, a failover to an empty replica, ``FLUSHALL``), unfinished jobs
would stay ``pending`` forever and listings would show only the jobs created since. The jobs
service looks for a marker key (``<ns>:jobs:restored``) at start and every
``JOBS_RESTORE_CHECK_S`` seconds; when it is missing, one process (a lock in Redis) walks the
database in creation order and

- lists every job again, under a score below any score a new job gets
  (:func:`restore_score`), so listings stay newest first;
- restores the hash of every unfinished job as ``pending`` and queues its document task again
  (under a new message id, so JetStream's de-duplication does not swallow it): its pages are
  extracted again from the start;
- restores the live counts of batches that have unfinished jobs, so they still finish and
  call back.

Finished jobs keep being served from the database. What Redis alone held is lost: the
progress of running jobs (they start over) and callbacks that were owed but not yet queued on
JetStream when the outbox list went.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter

from fintract.api.jobs.v1 import jobs_pb2
from services.common.logging import get_logger
from services.jobs.registry import STATUS_NAMES, TERMINAL, Registry, batch_status, now_ms
from services.jobs.store import JobStore

RESTORED = Counter(
    "fintract_jobs_restored_total",
    "Jobs written back to Redis from the database after Redis lost its data",
    ["kind"],  # listed (finished, listing only) | requeued (unfinished, extracted again)
)

_log = get_logger("fintract.jobs.recovery")

# Scores of restored jobs are (created_ms - _BASE_MS) * _SLOTS + position: negative until the
# year 2286, so below every score CREATE_JOB hands out (1, 2, 3, ...), and exact in a double.
_BASE_MS = 10**13
_SLOTS = 1024

Requeue = Callable[[jobs_pb2.Job, str], Awaitable[None]]


def restore_score(created_ms: int, position: int) -> float:
    """Listing score of a restored job: ordered by creation time, then by its position in its
    batch (jobs of one batch share a millisecond), and older than any job created since."""
    return float((created_ms - _BASE_MS) * _SLOTS + position % _SLOTS)


@dataclass
class RestoreReport:
    listed: int = 0  # finished jobs listed again
    requeued: int = 0  # unfinished jobs restored and queued again
    batches: int = 0  # batch hashes restored


class Recovery:
    """Watches for a Redis that lost its data and rebuilds it from the database."""

    def __init__(
        self,
        *,
        registry: Registry,
        store: JobStore,
        requeue: Requeue,
        check_interval_s: float,
        lock_ttl_s: int = 600,
    ) -> None:
        self.registry = registry
        self.store = store
        self.requeue = requeue
        self.check_interval_s = check_interval_s
        self.lock_ttl_s = lock_ttl_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def restore_if_lost(self) -> RestoreReport | None:
        """Rebuild when the marker is missing and no other process is rebuilding; None when
        nothing was done (or a stop interrupted the pass: the next one carries on)."""
        if await self.registry.is_restored():
            return None
        token = uuid.uuid4().hex
        if not await self.registry.lock_restore(token, self.lock_ttl_s):
            return None
        try:
            report = await self._restore(token)
            if report is not None:
                await self.registry.mark_restored()
        finally:
            await self.registry.unlock_restore(token)
        if report is not None and (report.listed or report.requeued):
            _log.warning(
                "redis_restored_from_database",
                listed=report.listed,
                requeued=report.requeued,
                batches=report.batches,
            )
        return report

    async def _restore(self, token: str) -> RestoreReport | None:
        """One pass, job by job: each unfinished job is queued right after its state is back
        (its batch's counts first), so a pass stopped between two jobs loses nothing and the
        next pass skips what is done (Redis knows those jobs again)."""
        report = RestoreReport()
        batches: set[str] = set()
        async for chunk in self.store.iter_jobs():
            for stored in chunk:
                if self._stopping.is_set():
                    return None
                job = stored.job
                live = STATUS_NAMES[job.status] not in TERMINAL
                if live:  # starts over: pending, no pages yet
                    job.status = jobs_pb2.JOB_STATUS_PENDING
                    job.pages_total = job.pages_done = 0
                    job.updated_at.FromMilliseconds(now_ms())
                    if job.HasField("batch_id") and job.batch_id not in batches:
                        batches.add(job.batch_id)
                        report.batches += await self._restore_batch(job.batch_id)
                score = restore_score(job.created_at.ToMilliseconds(), stored.batch_position)
                if not await self.registry.restore_job(job, score, live=live):
                    continue  # Redis knows it (created since the loss, or restored before)
                if not live:
                    report.listed += 1
                    RESTORED.labels("listed").inc()
                    continue
                try:
                    await self.requeue(job, token)
                except Exception:  # noqa: BLE001 - the queue refused it: it failed "unavailable"
                    continue
                report.requeued += 1
                RESTORED.labels("requeued").inc()
        return report

    async def _restore_batch(self, batch_id: str) -> int:
        stored = await self.store.get_batch(batch_id)
        if stored is None:
            return 0
        batch, jobs = stored
        counts = dict.fromkeys(("pending", "completed", "failed"), 0)
        for job in jobs:
            status = STATUS_NAMES[job.status]
            counts[status if status in TERMINAL else "pending"] += 1
        batch.pending, batch.completed, batch.failed = (
            counts["pending"],
            counts["completed"],
            counts["failed"],
        )
        batch.processing = 0
        batch.status = batch_status(batch.pending, 0, batch.completed, batch.failed)
        callback = await self.store.batch_callback_url(batch_id) or ""
        restored = await self.registry.restore_batch(
            batch, [job.job_id for job in jobs], callback_url=callback
        )
        return int(restored)

    # -- the watch -------------------------------------------------------------------------
    async def _watch(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.restore_if_lost()
            except Exception:  # noqa: BLE001 - Redis or the database down: try again later
                _log.warning("redis_restore_check_failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.check_interval_s)

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._watch(), name="jobs-recovery")

    async def stop(self) -> None:
        """Stop watching; a pass in progress ends after the job in hand (never half-way
        through one job)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None


__all__ = ["Recovery", "RestoreReport", "restore_score"]

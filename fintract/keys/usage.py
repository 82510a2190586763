"""Off-the-request-path writer for ``api_logs`` rows and keys' ``last_used_at``.

Requests only append to an in-memory buffer (:meth:`UsageRecorder.record`); a background task
flushes it every ``interval`` seconds or as soon as ``batch_size`` rows are waiting, in one
transaction. If the database is down rows are kept (up to ``max_pending``, oldest dropped
first) and retried on the next flush. :meth:`stop` flushes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from fintract.keys.store import touch_keys
from fintract.keys.tables import api_logs

_log = logging.getLogger("fintract.keys.usage")


@dataclass(frozen=True)
class ApiLogEntry:
    """One request, as ``api_logs`` keeps it: no bodies, no headers, no keys."""

    method: str
    path: str
    status: int
    latency_ms: float
    user_id: str | None
    key_id: str | None
    request_id: str | None
    created_at: datetime


class UsageRecorder:
    """Buffers request logs and key uses and writes them in batches."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float = 0.5,
        batch_size: int = 100,
        max_pending: int = 100_000,
        record_key_use: bool = True,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.batch_size = batch_size
        self.record_key_use = record_key_use
        self._rows: deque[ApiLogEntry] = deque(maxlen=max_pending)
        self._used: dict[str, datetime] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = False

    def record(self, entry: ApiLogEntry) -> None:
        """Queue one request (never blocks, never raises)."""
        self._rows.append(entry)
        if entry.key_id and self.record_key_use:
            self._used[entry.key_id] = entry.created_at
        if len(self._rows) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="usage-recorder")

    async def stop(self) -> None:
        """Stop the background task (letting a flush in progress finish) and write what is
        still buffered."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - keep the rows, try again next round
                _log.warning("api_logs flush failed; will retry", exc_info=True)

    async def flush(self) -> int:
        """Write everything buffered now; returns the number of log rows written."""
        async with self._lock:
            rows = list(self._rows)
            used = dict(self._used)
            if not rows and not used:
                return 0
            self._rows.clear()
            self._used.clear()
            try:
                # One transaction: either every row and key use is written or none is, so
                # putting them back for the next round never duplicates a row.
                async with self.engine.begin() as conn:
                    if rows:
                        await conn.execute(
                            insert(api_logs),
                            [
                                {
                                    "method": r.method,
                                    "path": r.path[:500],
                                    "status": r.status,
                                    "latency_ms": r.latency_ms,
                                    "user_id": r.user_id,
                                    "key_id": r.key_id,
                                    "request_id": r.request_id,
                                    "created_at": r.created_at,
                                }
                                for r in rows
                            ],
                        )
                    await touch_keys(conn, used)
            except BaseException:
                self._rows.extendleft(reversed(rows))
                for key_id, when in used.items():
                    self._used.setdefault(key_id, when)
                raise
            return len(rows)


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = ["ApiLogEntry", "UsageRecorder", "now_utc"]

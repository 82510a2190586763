"""The contract's JSON (../shared/contract §1) for a job and a batch, as callbacks send it.

The gateway builds the same shapes for REST from the same protos; keep them identical.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from fintract.api.jobs.v1 import jobs_pb2
from fintract.convert import message_to_dict
from services.jobs.registry import DOCUMENT_TYPE_NAMES, STATUS_NAMES

BATCH_STATUS_NAMES = {
    jobs_pb2.BATCH_STATUS_PENDING: "pending",
    jobs_pb2.BATCH_STATUS_PROCESSING: "processing",
    jobs_pb2.BATCH_STATUS_COMPLETED: "completed",
    jobs_pb2.BATCH_STATUS_FAILED: "failed",
    jobs_pb2.BATCH_STATUS_PARTIAL: "partial",
}


def timestamp_json(value: Timestamp) -> str | None:
    """``2026-11-22T10:00:00Z`` (UTC, whole seconds) or None when unset."""
    if not value.seconds and not value.nanos:
        return None
    return datetime.fromtimestamp(value.seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def result_json(job: jobs_pb2.Job) -> dict[str, Any] | None:
    """The result's contract JSON (bank statement or invoice), None until completed."""
    if not job.HasField("result"):
        return None
    which = job.result.WhichOneof("result")
    return message_to_dict(getattr(job.result, which)) if which else None


def error_json(error: jobs_pb2.JobError) -> dict[str, Any] | None:
    if not error.code:
        return None
    return {"code": error.code, "message": error.message}


def job_json(job: jobs_pb2.Job, *, with_results: bool = True) -> dict[str, Any]:
    """A **job** exactly as contract §1 shows it."""
    out: dict[str, Any] = {
        "job_id": job.job_id,
        "status": STATUS_NAMES.get(job.status, "pending"),
        "document_type": DOCUMENT_TYPE_NAMES.get(job.document_type),
        "document_id": job.document_id,
        "file_id": job.file_id,
        "batch_id": job.batch_id if job.HasField("batch_id") else None,
        "pages_total": job.pages_total,
        "pages_done": job.pages_done,
        "results": result_json(job),
        "error": error_json(job.error),
        "created_at": timestamp_json(job.created_at),
        "updated_at": timestamp_json(job.updated_at),
        "completed_at": timestamp_json(job.completed_at),
    }
    if not with_results:
        del out["results"]
    return out


def batch_json(batch: jobs_pb2.Batch) -> dict[str, Any]:
    """A batch status exactly as contract §1's ``GET .../batch/{batch_id}`` shows it."""
    return {
        "batch_id": batch.batch_id,
        "status": BATCH_STATUS_NAMES.get(batch.status, "pending"),
        "total": batch.total,
        "pending": batch.pending,
        "processing": batch.processing,
        "completed": batch.completed,
        "failed": batch.failed,
        "jobs": [
            {
                "job_id": item.job_id,
                "file_id": item.file_id,
                "document_id": item.document_id,
                "status": STATUS_NAMES.get(item.status, "pending"),
                "error": error_json(item.error),
            }
            for item in batch.jobs
        ],
        "created_at": timestamp_json(batch.created_at),
        "updated_at": timestamp_json(batch.updated_at),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


__all__ = [
    "BATCH_STATUS_NAMES",
    "batch_json",
    "encode",
    "job_json",
    "result_json",
    "timestamp_json",
]

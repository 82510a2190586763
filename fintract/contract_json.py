"""The contract's JSON (../shared/contract §1) of a job and a batch, built from the protos.

One definition for both places that send it: the gateway's REST responses
(``GET .../{job_id}``, ``GET .../batch/{batch_id}``) and the jobs service's signed callbacks,
so a callback body is exactly what the GET returns for the same job or batch.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from fintract.api.jobs.v1 import jobs_pb2
from fintract.api.results.v1 import results_pb2
from fintract.convert import message_to_dict

DOCUMENT_TYPES: dict[str, results_pb2.DocumentType.ValueType] = {
    "bank_statement": results_pb2.DOCUMENT_TYPE_BANK_STATEMENT,
    "invoice": results_pb2.DOCUMENT_TYPE_INVOICE,
    "payment_screenshot": results_pb2.DOCUMENT_TYPE_PAYMENT_SCREENSHOT,
    "unknown": results_pb2.DOCUMENT_TYPE_UNKNOWN,
}
_DOCUMENT_TYPE_NAMES: dict[int, str] = {number: name for name, number in DOCUMENT_TYPES.items()}

JOB_STATUSES: dict[str, jobs_pb2.JobStatus.ValueType] = {
    "pending": jobs_pb2.JOB_STATUS_PENDING,
    "processing": jobs_pb2.JOB_STATUS_PROCESSING,
    "completed": jobs_pb2.JOB_STATUS_COMPLETED,
    "failed": jobs_pb2.JOB_STATUS_FAILED,
}
_JOB_STATUS_NAMES: dict[int, str] = {number: name for name, number in JOB_STATUSES.items()}

BATCH_STATUS_NAMES: dict[int, str] = {
    jobs_pb2.BATCH_STATUS_PENDING: "pending",
    jobs_pb2.BATCH_STATUS_PROCESSING: "processing",
    jobs_pb2.BATCH_STATUS_COMPLETED: "completed",
    jobs_pb2.BATCH_STATUS_FAILED: "failed",
    jobs_pb2.BATCH_STATUS_PARTIAL: "partial",
}


def timestamp(ts: Timestamp, present: bool = True) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or None for an unset timestamp."""
    if not present or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return ts.ToDatetime().strftime("%Y-%m-%dT%H:%M:%SZ")


def document_type_name(value: int) -> str:
    return _DOCUMENT_TYPE_NAMES.get(value, "unknown")


def job_status_name(value: int) -> str:
    return _JOB_STATUS_NAMES.get(value, "pending")


def _error(job_error: jobs_pb2.JobError, present: bool) -> dict[str, str] | None:
    if not present or not (job_error.code or job_error.message):
        return None
    return {"code": job_error.code, "message": job_error.message}


def _results(job: jobs_pb2.Job) -> dict[str, Any] | None:
    if job.status != jobs_pb2.JOB_STATUS_COMPLETED or not job.HasField("result"):
        return None
    which = job.result.WhichOneof("result")
    if which is None:
        return None
    return message_to_dict(getattr(job.result, which))


def job_json(job: jobs_pb2.Job, *, include_results: bool = True) -> dict[str, Any]:
    """A job exactly as the contract shows it, plus ``provider`` (what ran, or was asked)
    and, once completed, ``model`` (what produced the result) and ``escalated_pages`` (the
    1-based pages hybrid routing sent to Gemini)."""
    ran = job.result.provenance.provider if job.HasField("result") else ""
    provenance = job.result.provenance if job.HasField("result") else None
    out: dict[str, Any] = {
        "job_id": job.job_id,
        "status": job_status_name(job.status),
        "document_type": document_type_name(job.document_type),
        "document_id": job.document_id,
        "file_id": job.file_id,
        "batch_id": job.batch_id if job.HasField("batch_id") and job.batch_id else None,
        "pages_total": job.pages_total,
        "pages_done": job.pages_done,
        "results": _results(job) if include_results else None,
        "error": _error(job.error, job.HasField("error")),
        "created_at": timestamp(job.created_at, job.HasField("created_at")),
        "updated_at": timestamp(job.updated_at, job.HasField("updated_at")),
        "completed_at": timestamp(job.completed_at, job.HasField("completed_at")),
        "provider": ran or job.provider or None,
        "model": (provenance.model or None) if provenance is not None else None,
        "escalated_pages": list(provenance.escalated_pages) if provenance is not None else [],
    }
    if not include_results:
        del out["results"]
    return out


def batch_json(batch: jobs_pb2.Batch) -> dict[str, Any]:
    """A batch's status exactly as ``GET .../batch/{batch_id}`` shows it."""
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
                "job_id": j.job_id,
                "file_id": j.file_id,
                "document_id": j.document_id,
                "status": job_status_name(j.status),
                "error": _error(j.error, j.HasField("error")),
            }
            for j in batch.jobs
        ],
        "created_at": timestamp(batch.created_at, batch.HasField("created_at")),
        "updated_at": timestamp(batch.updated_at, batch.HasField("updated_at")),
    }


__all__ = [
    "BATCH_STATUS_NAMES",
    "DOCUMENT_TYPES",
    "JOB_STATUSES",
    "batch_json",
    "document_type_name",
    "job_json",
    "job_status_name",
    "timestamp",
]

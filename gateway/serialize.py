"""gRPC messages → the contract's JSON (jobs, batches, uploaded files).

A job and a batch are built by :mod:`fintract.contract_json`, the one definition the jobs
service's callbacks use too; this module adds the shapes only REST returns.
"""

from __future__ import annotations

from typing import Any

from fintract.api.ingest.v1 import ingest_pb2
from fintract.api.jobs.v1 import jobs_pb2
from fintract.contract_json import (
    BATCH_STATUS_NAMES,
    DOCUMENT_TYPES,
    JOB_STATUSES,
    batch_json,
    document_type_name,
    job_json,
)


def job_page_json(response: jobs_pb2.ListJobsResponse) -> dict[str, Any]:
    return {
        "items": [job_json(job, include_results=False) for job in response.jobs],
        "page": response.page,
        "page_size": response.page_size,
        "total": response.total,
        "total_pages": response.total_pages,
    }


def batch_created_json(batch: jobs_pb2.Batch) -> dict[str, Any]:
    return {
        "batch_id": batch.batch_id,
        "status": BATCH_STATUS_NAMES.get(batch.status, "pending"),
        "total": batch.total,
        "jobs": [
            {"job_id": j.job_id, "file_id": j.file_id, "document_id": j.document_id}
            for j in batch.jobs
        ],
    }


def file_json(document: ingest_pb2.Document, *, file_url: str) -> dict[str, Any]:
    return {
        "file_id": document.file_id,
        "doc_id": document.doc_id,
        "file_url": file_url,
        "type": document_type_name(document.classification.type),
        "filename": document.filename,
        "size": document.size,
        "pages": document.pages,
        "sha256": document.sha256,
    }


__all__ = [
    "DOCUMENT_TYPES",
    "JOB_STATUSES",
    "batch_created_json",
    "batch_json",
    "document_type_name",
    "file_json",
    "job_json",
    "job_page_json",
]

"""JobsService: the gRPC face of the registry (Redis), the durable store (SQL), the parse queue
(NATS JetStream) and the callbacks."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Sequence

import grpc
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from fintract.api.parser.v1 import parser_pb2
from fintract.api.results.v1 import results_pb2
from services.common.errors import InputError, NotFound, Unavailable
from services.common.logging import bound_context, get_logger
from services.common.nats_bus import parse_stream
from services.jobs.callbacks import Allowlist, CallbackQueue, check_callback_url
from services.jobs.payload import batch_json, encode, job_json
from services.jobs.registry import (
    DOCUMENT_TYPE_BY_NAME,
    STATUS_BY_NAME,
    STATUS_NAMES,
    TERMINAL,
    Registry,
    Transition,
    batch_status,
    document_type_name,
    now_ms,
)
from services.jobs.settings import JobsSettings
from services.jobs.store import JobStore

_log = get_logger("fintract.jobs")

DEFAULT_PAGE_SIZE = 20


class JobsServicer(jobs_pb2_grpc.JobsServiceServicer):
    """Implements fintract.api.jobs.v1.JobsService."""

    def __init__(
        self,
        *,
        settings: JobsSettings,
        redis: Redis,
        registry: Registry,
        store: JobStore,
        ingest: ingest_pb2_grpc.IngestServiceStub,
        js: JetStreamContext,
        callbacks: CallbackQueue,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.registry = registry
        self.store = store
        self.ingest = ingest
        self.js = js
        self.callbacks = callbacks
        self.allowlist = Allowlist.parse(settings.callback_allowlist_entries)
        self.parse = parse_stream(settings.namespace)

    # -- helpers ---------------------------------------------------------------------------
    async def _check_document(self, user_id: str, document_id: str, file_id: str) -> None:
        """The document exists and belongs to ``user_id`` (ingest answers NOT_FOUND otherwise)."""
        if not user_id:
            raise InputError("user_id is required")
        if not document_id and not file_id:
            raise InputError("document_id or file_id is required")
        request = ingest_pb2.GetDocumentRequest(
            user_id=user_id, doc_id=document_id, file_id=file_id
        )
        try:
            response = await self.ingest.GetDocument(request, timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFound(f"document {document_id or file_id} not found") from exc
            raise Unavailable(f"ingest unavailable: {exc.code().name}") from exc
        doc = response.document
        if (
            doc.user_id != user_id
            or (document_id and doc.doc_id != document_id)
            or (file_id and doc.file_id != file_id)
        ):
            raise NotFound(f"document {document_id or file_id} not found")

    async def _checked_callback(self, url: str | None) -> str | None:
        if not url:
            return None
        return await check_callback_url(url, self.allowlist)

    def _new_job(
        self,
        *,
        user_id: str,
        document_type: results_pb2.DocumentType.ValueType,
        document_id: str,
        file_id: str,
        provider: str,
        use_embedded_xml: bool | None,
        callback_url: str | None,
        batch_id: str | None,
        created_ms: int,
    ) -> jobs_pb2.Job:
        job = jobs_pb2.Job(
            job_id=str(uuid.uuid4()),
            user_id=user_id,
            status=jobs_pb2.JOB_STATUS_PENDING,
            document_type=document_type,
            document_id=document_id,
            file_id=file_id,
            provider=provider,
        )
        if use_embedded_xml is not None:
            job.use_embedded_xml = use_embedded_xml
        if callback_url:
            job.callback_url = callback_url
        if batch_id:
            job.batch_id = batch_id
        job.created_at.FromMilliseconds(created_ms)
        job.updated_at.FromMilliseconds(created_ms)
        return job

    async def requeue(self, job: jobs_pb2.Job, generation: str) -> None:
        """Queue an unfinished job again (after Redis lost it; see recovery.py), under a
        message id of its own so JetStream does not drop it as a duplicate of the first."""
        await self._publish(job, message_id=f"doc-{job.job_id}-{generation}")

    async def _publish(self, job: jobs_pb2.Job, *, message_id: str | None = None) -> None:
        """Queue the job's document task; a job that cannot be queued fails at once."""
        task = parser_pb2.DocumentTask(
            job_id=job.job_id,
            user_id=job.user_id,
            document_id=job.document_id,
            file_id=job.file_id,
            document_type=job.document_type,
            provider=job.provider,
        )
        if job.HasField("use_embedded_xml"):
            task.use_embedded_xml = job.use_embedded_xml
        try:
            await self.js.publish(
                self.parse.document_subject,
                task.SerializeToString(),
                stream=self.parse.stream,
                headers={"Nats-Msg-Id": message_id or f"doc-{job.job_id}"},
            )
        except Exception as exc:
            _log.error("publish_failed", job_id=job.job_id, error=str(exc))
            await self._finish(
                await self.registry.fail(job.job_id, "unavailable", "could not queue the job")
            )
            raise Unavailable("the parse queue is unavailable") from exc

    async def _owned_job(
        self, user_id: str, job_id: str, *, with_result: bool = True
    ) -> jobs_pb2.Job:
        """The job from Redis, else from the database; NOT_FOUND when another user owns it."""
        job = await self.registry.get_job(job_id, with_result=with_result)
        if job is None:
            job = await self.store.get_job(job_id, with_result=with_result)
        if job is None or (user_id and job.user_id != user_id):
            raise NotFound(f"job {job_id} not found")
        return job

    async def _finish(self, transition: Transition) -> jobs_pb2.Job:
        """After a terminal transition: the durable row, then the callbacks."""
        job = transition.job
        for attempt in range(3):
            try:
                await self.store.finish(job)
                break
            except Exception:  # noqa: BLE001 - retried, Redis already holds the state
                _log.exception("job_row_update_failed", job_id=job.job_id, attempt=attempt + 1)
                await asyncio.sleep(0.2 * (attempt + 1))
        refs = []
        if job.HasField("callback_url") and not job.HasField("batch_id"):
            refs.append(f"job:{job.job_id}")
        if transition.batch_finished and job.HasField("batch_id"):
            refs.append(f"batch:{job.batch_id}")
        for ref in refs:
            await self.send_owed_callback(ref)
        return job

    async def send_owed_callback(self, ref: str) -> bool:
        """Queue one owed callback on JetStream and clear it from the outbox. A ref that is not
        in the outbox (a batch or job without a callback URL) is skipped."""
        if ref not in await self.registry.outbox():
            return False
        kind, _, ident = ref.partition(":")
        try:
            if kind == "job":
                job = await self._owned_job("", ident)
                url, body = job.callback_url, encode(job_json(job))
            else:
                raw = await self.registry.get_batch(ident)
                url = raw[0].get("callback_url", "") if raw else ""
                body = encode(batch_json(await self._batch(ident, user_id="")))
            await self.callbacks.enqueue(url=url, body=body, kind=kind, key=ident)
        except Exception:  # noqa: BLE001 - stays in the outbox; the next start sends it
            _log.exception("callback_enqueue_failed", ref=ref)
            return False
        await self.registry.outbox_done(ref)
        return True

    async def send_all_owed_callbacks(self) -> int:
        """At start: queue what a previous process owed but did not queue (crash)."""
        sent = 0
        for ref in await self.registry.outbox():
            sent += await self.send_owed_callback(ref)
        return sent

    async def _batch(self, batch_id: str, *, user_id: str) -> jobs_pb2.Batch:
        raw = await self.registry.get_batch(batch_id)
        if raw is None:
            return await self._batch_from_store(batch_id, user_id=user_id)
        head, ids = raw
        if user_id and head["user_id"] != user_id:
            raise NotFound(f"batch {batch_id} not found")
        counts = {name: int(head.get(name, 0)) for name in STATUS_BY_NAME}
        batch = jobs_pb2.Batch(
            batch_id=batch_id,
            user_id=head["user_id"],
            document_type=DOCUMENT_TYPE_BY_NAME[head["document_type"]],
            total=int(head["total"]),
            status=batch_status(
                counts["pending"], counts["processing"], counts["completed"], counts["failed"]
            ),
            pending=counts["pending"],
            processing=counts["processing"],
            completed=counts["completed"],
            failed=counts["failed"],
        )
        batch.created_at.FromMilliseconds(int(head["created_ms"]))
        batch.updated_at.FromMilliseconds(int(head["updated_ms"]))
        jobs = await self.registry.get_jobs(ids)
        for job_id, job in zip(ids, jobs, strict=True):
            found = job or await self.store.get_job(job_id, with_result=False)
            if found is None:
                continue
            item = batch.jobs.add(
                job_id=found.job_id,
                file_id=found.file_id,
                document_id=found.document_id,
                status=found.status,
            )
            if found.error.code:
                item.error.CopyFrom(found.error)
        return batch

    async def _batch_from_store(self, batch_id: str, *, user_id: str) -> jobs_pb2.Batch:
        stored = await self.store.get_batch(batch_id)
        if stored is None or (user_id and stored[0].user_id != user_id):
            raise NotFound(f"batch {batch_id} not found")
        batch, jobs = stored
        counts = dict.fromkeys(STATUS_BY_NAME, 0)
        updated = batch.created_at.ToMilliseconds()
        for job in jobs:
            live = await self.registry.get_job(job.job_id, with_result=False) or job
            counts[STATUS_NAMES[live.status]] += 1
            updated = max(updated, live.updated_at.ToMilliseconds())
            item = batch.jobs.add(
                job_id=live.job_id,
                file_id=live.file_id,
                document_id=live.document_id,
                status=live.status,
            )
            if live.error.code:
                item.error.CopyFrom(live.error)
        batch.pending, batch.processing = counts["pending"], counts["processing"]
        batch.completed, batch.failed = counts["completed"], counts["failed"]
        batch.status = batch_status(batch.pending, batch.processing, batch.completed, batch.failed)
        batch.updated_at.FromMilliseconds(updated)
        return batch

    # -- public RPCs -----------------------------------------------------------------------
    async def CreateJob(
        self, request: jobs_pb2.CreateJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.CreateJobResponse:
        document_type_name(request.document_type)
        callback = await self._checked_callback(
            request.callback_url if request.HasField("callback_url") else None
        )
        await self._check_document(request.user_id, request.document_id, request.file_id)
        job = self._new_job(
            user_id=request.user_id,
            document_type=request.document_type,
            document_id=request.document_id,
            file_id=request.file_id,
            provider=request.provider,
            use_embedded_xml=(
                request.use_embedded_xml if request.HasField("use_embedded_xml") else None
            ),
            callback_url=callback,
            batch_id=None,
            created_ms=now_ms(),
        )
        with bound_context(job_id=job.job_id):
            await self.store.insert_jobs([job])
            await self.registry.create_job(job)
            await self._publish(job)
            _log.info("job_created", document_type=document_type_name(job.document_type))
        return jobs_pb2.CreateJobResponse(job=job)

    async def GetJob(
        self, request: jobs_pb2.GetJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.GetJobResponse:
        return jobs_pb2.GetJobResponse(job=await self._owned_job(request.user_id, request.job_id))

    async def ListJobs(
        self, request: jobs_pb2.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.ListJobsResponse:
        if not request.user_id:
            raise InputError("user_id is required")
        dtype = document_type_name(request.document_type)
        page = max(1, request.page or 1)
        size = min(self.settings.list_max_page_size, max(1, request.page_size or DEFAULT_PAGE_SIZE))
        status = STATUS_NAMES.get(request.status) if request.status else None
        ids, total, known = await self.registry.list_jobs(
            request.user_id, dtype, status, offset=(page - 1) * size, limit=size
        )
        found: Sequence[jobs_pb2.Job | None]
        if not known:  # Redis has nothing for this user: the database may (Redis lost it)
            found, total = await self.store.list_jobs(
                request.user_id,
                dtype,
                status,
                offset=(page - 1) * size,
                limit=size,
                with_results=request.include_results,
            )
        elif request.include_results:
            found = await asyncio.gather(*(self.registry.get_job(job_id) for job_id in ids))
        else:
            found = await self.registry.get_jobs(ids)
        if known and None in found:  # finished jobs whose hash expired: the database has them
            found = [
                job or await self.store.get_job(job_id, with_result=request.include_results)
                for job_id, job in zip(ids, found, strict=True)
            ]
        return jobs_pb2.ListJobsResponse(
            jobs=[job for job in found if job is not None],
            page=page,
            page_size=size,
            total=total,
            total_pages=math.ceil(total / size) if total else 0,
        )

    async def CreateBatch(
        self, request: jobs_pb2.CreateBatchRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.CreateBatchResponse:
        document_type_name(request.document_type)
        if not 1 <= len(request.files) <= self.settings.max_batch_files:
            raise InputError(f"a batch holds 1 to {self.settings.max_batch_files} files")
        callback = await self._checked_callback(
            request.callback_url if request.HasField("callback_url") else None
        )
        await asyncio.gather(
            *(
                self._check_document(request.user_id, item.document_id, item.file_id)
                for item in request.files
            )
        )
        created = now_ms()
        batch = jobs_pb2.Batch(
            batch_id=str(uuid.uuid4()),
            user_id=request.user_id,
            document_type=request.document_type,
            status=jobs_pb2.BATCH_STATUS_PENDING,
            total=len(request.files),
            pending=len(request.files),
        )
        batch.created_at.FromMilliseconds(created)
        batch.updated_at.FromMilliseconds(created)
        jobs = [
            self._new_job(
                user_id=request.user_id,
                document_type=request.document_type,
                document_id=item.document_id,
                file_id=item.file_id,
                provider=request.provider,
                use_embedded_xml=(
                    request.use_embedded_xml if request.HasField("use_embedded_xml") else None
                ),
                callback_url=None,
                batch_id=batch.batch_id,
                created_ms=created,
            )
            for item in request.files
        ]
        with bound_context(batch_id=batch.batch_id):
            await self.store.insert_jobs(jobs, batch=batch, callback_url=callback)
            await self.registry.create_batch(batch, jobs, callback_url=callback or "")
            for job in jobs:
                batch.jobs.add(
                    job_id=job.job_id,
                    file_id=job.file_id,
                    document_id=job.document_id,
                    status=job.status,
                )
            failures = await asyncio.gather(
                *(self._publish(job) for job in jobs), return_exceptions=True
            )
            if any(isinstance(item, BaseException) for item in failures):
                raise Unavailable("the parse queue is unavailable")
            _log.info("batch_created", total=batch.total)
        return jobs_pb2.CreateBatchResponse(batch=batch)

    async def GetBatch(
        self, request: jobs_pb2.GetBatchRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.GetBatchResponse:
        return jobs_pb2.GetBatchResponse(
            batch=await self._batch(request.batch_id, user_id=request.user_id)
        )

    async def WatchJob(
        self, request: jobs_pb2.WatchJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[jobs_pb2.WatchJobResponse]:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.registry.events_channel(request.job_id))
        try:
            # Subscribed before the first read, so no change slips between the two; events
            # that the first read already includes are skipped (states only move forward).
            job = await self._owned_job(request.user_id, request.job_id)
            yield jobs_pb2.WatchJobResponse(job=job)
            while STATUS_NAMES[job.status] not in TERMINAL:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                if message is None:
                    continue
                status, done, total, changed_ms = message["data"].decode().split("|")
                if _progress(status, int(done)) <= _progress(
                    STATUS_NAMES[job.status], job.pages_done
                ):
                    continue
                if status in TERMINAL:  # the result or error comes with the full read
                    job = await self._owned_job(request.user_id, request.job_id)
                else:
                    update = jobs_pb2.Job()
                    update.CopyFrom(job)
                    update.status = STATUS_BY_NAME[status]
                    update.pages_done, update.pages_total = int(done), int(total)
                    update.updated_at.FromMilliseconds(int(changed_ms))
                    job = update
                yield jobs_pb2.WatchJobResponse(job=job)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    # -- worker-facing RPCs ----------------------------------------------------------------
    async def StartJob(
        self, request: jobs_pb2.StartJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.StartJobResponse:
        transition = await self.registry.start(request.job_id, request.pages_total)
        return jobs_pb2.StartJobResponse(job=transition.job)

    async def RecordPage(
        self, request: jobs_pb2.RecordPageRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.RecordPageResponse:
        recorded = await self.registry.record_page(
            request.job_id, request.page_index, request.page_result
        )
        return jobs_pb2.RecordPageResponse(
            pages_done=recorded.pages_done,
            pages_total=recorded.pages_total,
            last=recorded.last,
            pages=[
                jobs_pb2.PageRecord(page_index=index, page_result=data)
                for index, data in recorded.pages
            ],
        )

    async def CompleteJob(
        self, request: jobs_pb2.CompleteJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.CompleteJobResponse:
        if request.result.WhichOneof("result") is None:
            raise InputError("result must hold a bank_statement or an invoice")
        transition = await self.registry.complete(
            request.job_id, request.result.SerializeToString()
        )
        with bound_context(job_id=request.job_id):
            job = await self._finish(transition)
            _log.info("job_completed", pages=job.pages_total)
        return jobs_pb2.CompleteJobResponse(job=job)

    async def FailJob(
        self, request: jobs_pb2.FailJobRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.FailJobResponse:
        code = request.error.code or "internal_error"
        transition = await self.registry.fail(request.job_id, code, request.error.message)
        with bound_context(job_id=request.job_id):
            job = await self._finish(transition)
            _log.info("job_failed", error_code=code)
        return jobs_pb2.FailJobResponse(job=job)


_RANK = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}


def _progress(status: str, pages_done: int) -> tuple[int, int]:
    """Every real change strictly increases this pair."""
    return _RANK[status], pages_done


__all__ = ["JobsServicer"]

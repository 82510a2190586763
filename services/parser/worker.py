"""The parse pipeline's workers: JetStream pull consumers for documents and pages.

``<ns>.parse.document`` (DocumentTask) → open the document, StartJob(pages_total), publish one
``<ns>.parse.page`` (PageTask) per page → ack.
``<ns>.parse.page`` → extract the page → RecordPage → when last: assemble → CompleteJob → ack.

A message is acknowledged only after its effect is recorded in jobs, so JetStream redelivers
whatever a crashed worker held; RecordPage is idempotent per (job, page). Failures are NAKed
with back-off; on the last allowed delivery the job fails with a clear error instead.
Corrupt or encrypted documents fail their job at once with their own code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Histogram

from fintract.api.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from fintract.api.parser.v1 import parser_pb2
from fintract.rpc_errors import error_code_of
from services.common.errors import AiFailed, AiRefused, FintractError
from services.common.gemini.routing import InvalidProvider
from services.common.logging import bound_context, get_logger
from services.common.nats_bus import (
    ensure_consumer,
    ensure_stream,
    parse_stream,
    pull_until_stopped,
)
from services.parser.convert import KIND_BY_TYPE, to_parse_result
from services.parser.escalation import Escalation
from services.parser.extract import (
    DocumentUnreadable,
    ExtractOptions,
    PasswordRequired,
    SourceDocument,
    extractor_for,
)
from services.parser.settings import ParserSettings
from services.parser.sources import Extraction, SourceCache

PAGES = Counter(
    "fintract_parser_pages_total",
    "Page messages handled, by outcome",
    ["outcome"],  # recorded | dropped (job already ended) | error (retried) | failed
)
PAGE_SECONDS = Histogram(
    "fintract_parser_page_extract_seconds",
    "Time to extract one page",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
JOBS_ASSEMBLED = Counter("fintract_parser_jobs_assembled_total", "Jobs assembled and completed")

# Longest wait of one pull request: bounds how long a stop waits for an idle fetch.

DOCUMENTS_CONSUMER = "documents"
PAGES_CONSUMER = "pages"

_log = get_logger("fintract.parser")

# Errors that no retry can fix: the job fails at once with the error's own code.
_FATAL = (DocumentUnreadable, PasswordRequired)
# Gemini's answer to provider=gemini (every model failed, no key, a refused model) and an
# unknown provider: retrying the whole document would only repeat the same calls.
_ROUTING_FATAL = (AiFailed, AiRefused, InvalidProvider)


@contextlib.asynccontextmanager
async def keep_alive(msg: Msg, interval: float) -> AsyncIterator[None]:
    """While the block runs, tell JetStream every ``interval`` seconds that the message is
    still being worked on (``in_progress``), so a long page is not redelivered meanwhile."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class JobGone(Exception):
    """The job is terminal (or unknown): the message has nothing left to do."""


class Worker:
    """Runs the document and page consumers of one process."""

    def __init__(
        self,
        *,
        settings: ParserSettings,
        js: JetStreamContext,
        jobs: jobs_pb2_grpc.JobsServiceStub,
        sources: SourceCache,
        extraction: Extraction,
        escalation: Escalation,
    ) -> None:
        self.settings = settings
        self.js = js
        self.jobs = jobs
        self.sources = sources
        self.extraction = extraction
        self.escalation = escalation
        self.parse = parse_stream(settings.namespace)
        self._stopping = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self.pages_handled = 0

    # -- lifecycle -------------------------------------------------------------------------
    def _consumer(self, durable: str, subject: str) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.settings.ack_wait_s,
            max_deliver=self.settings.max_deliver,
            filter_subject=subject,
            max_ack_pending=10_000,
        )

    async def setup(self) -> None:
        """Create the stream and both durable pull consumers (idempotent, every replica)."""
        await ensure_stream(self.js, name=self.parse.stream, subjects=self.parse.subjects)
        await ensure_consumer(
            self.js,
            stream=self.parse.stream,
            config=self._consumer(DOCUMENTS_CONSUMER, self.parse.document_subject),
        )
        await ensure_consumer(
            self.js,
            stream=self.parse.stream,
            config=self._consumer(PAGES_CONSUMER, self.parse.page_subject),
        )

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._pull(DOCUMENTS_CONSUMER, self.handle_document), name="docs")
        ]
        self._loops += [
            asyncio.create_task(self._pull(PAGES_CONSUMER, self.handle_page), name=f"pages-{i}")
            for i in range(self.settings.concurrency)
        ]

    async def stop(self) -> None:
        """Stop fetching and let the messages in hand finish (their effects and acks)."""
        self._stopping.set()
        if self._loops:
            await asyncio.gather(*self._loops, return_exceptions=True)
        _log.info("worker_stopped", pages_handled=self.pages_handled)

    async def _pull(self, durable: str, handle: Callable[[Msg], Awaitable[None]]) -> None:
        """Fetch one message at a time until stopped (see ``pull_until_stopped``); a handler
        that raises has its message NAKed with back-off."""
        await pull_until_stopped(
            self.js,
            stream=self.parse.stream,
            durable=durable,
            handle=handle,
            stopping=self._stopping,
            on_failure=lambda msg: msg.nak(delay=self.settings.backoff_for(1)),
        )

    # -- calls to jobs ---------------------------------------------------------------------
    async def _call(self, method: Callable[..., Awaitable[object]], request: object) -> object:
        """A jobs RPC; a terminal or unknown job raises JobGone."""
        try:
            return await method(request, timeout=self.settings.rpc_timeout_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                raise JobGone(error_code_of(exc) or exc.code().name) from exc
            raise

    async def _fail(self, job_id: str, code: str, message: str) -> None:
        with contextlib.suppress(JobGone):
            await self._call(
                self.jobs.FailJob,
                jobs_pb2.FailJobRequest(
                    job_id=job_id, error=jobs_pb2.JobError(code=code, message=message)
                ),
            )
        _log.warning("job_failed", error_code=code, reason=message)

    async def _retry_or_fail(self, msg: Msg, job_id: str, code: str, message: str) -> None:
        """NAK with back-off, or on the last allowed delivery fail the job and term."""
        attempt = msg.metadata.num_delivered
        if attempt >= self.settings.max_deliver:
            await self._fail(job_id, code, message)
            await msg.term()
            return
        delay = self.settings.backoff_for(attempt)
        _log.info("retry_later", attempt=attempt, delay_s=delay, reason=message)
        await msg.nak(delay=delay)

    def _options(self, task: parser_pb2.PageTask) -> ExtractOptions:
        """The task's own choices, else the deployment's."""
        return ExtractOptions(
            provider=task.provider or self.settings.default_provider,
            use_embedded_xml=(
                task.use_embedded_xml
                if task.HasField("use_embedded_xml")
                else self.settings.use_embedded_xml
            ),
        )

    # -- documents -------------------------------------------------------------------------
    async def handle_document(self, msg: Msg) -> None:
        task = parser_pb2.DocumentTask.FromString(msg.data)
        with bound_context(job_id=task.job_id):
            async with keep_alive(msg, self.settings.heartbeat_interval_s):
                await self._document(msg, task)

    async def _document(self, msg: Msg, task: parser_pb2.DocumentTask) -> None:
        try:
            source = await self.sources.get(task.user_id, task.file_id)
            pages_total = await self.extraction.run(lambda: source.page_count)
            await self._call(
                self.jobs.StartJob,
                jobs_pb2.StartJobRequest(job_id=task.job_id, pages_total=pages_total),
            )
            generation = msg.metadata.sequence.stream
            for index in range(pages_total):
                page = parser_pb2.PageTask(
                    job_id=task.job_id,
                    user_id=task.user_id,
                    document_id=task.document_id,
                    file_id=task.file_id,
                    page_index=index,
                    pages_total=pages_total,
                    document_type=task.document_type,
                    provider=task.provider,
                )
                if task.HasField("use_embedded_xml"):
                    page.use_embedded_xml = task.use_embedded_xml
                await self.js.publish(
                    self.parse.page_subject,
                    page.SerializeToString(),
                    stream=self.parse.stream,
                    # Per document message: its redelivery re-publishes nothing new, while
                    # a job queued again (jobs rebuilt Redis) gets fresh page tasks.
                    headers={"Nats-Msg-Id": f"page-{task.job_id}-{index}-{generation}"},
                )
        except JobGone:
            await msg.ack_sync()
            return
        except _FATAL as exc:
            await self._fail(task.job_id, exc.code, str(exc))
            await msg.term()
            return
        except FintractError as exc:
            if exc.code == "not_found":
                await self._fail(task.job_id, "not_found", exc.message)
                await msg.term()
                return
            await self._retry_or_fail(msg, task.job_id, "document_failed", exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - any other failure is retried
            await self._retry_or_fail(msg, task.job_id, "document_failed", repr(exc))
            return
        await msg.ack_sync()
        _log.info("document_fanned_out", pages=pages_total)

    # -- pages -----------------------------------------------------------------------------
    async def handle_page(self, msg: Msg) -> None:
        task = parser_pb2.PageTask.FromString(msg.data)
        number = task.page_index + 1
        with bound_context(job_id=task.job_id, page=number):
            async with keep_alive(msg, self.settings.heartbeat_interval_s):
                await self._page(msg, task)
            self.pages_handled += 1

    async def _page(self, msg: Msg, task: parser_pb2.PageTask) -> None:
        number = task.page_index + 1
        kind = KIND_BY_TYPE.get(task.document_type)
        if kind is None:
            await self._fail(task.job_id, "invalid_input", "unsupported document type")
            await msg.term()
            return
        extractor = extractor_for(kind)
        options = self._options(task)
        try:
            source = await self.sources.get(task.user_id, task.file_id)
            with PAGE_SECONDS.time():
                page_result = await self.extraction.run(
                    lambda: extractor.extract_page(source, task.page_index, options)
                )
        except _FATAL as exc:
            PAGES.labels("failed").inc()
            await self._fail(task.job_id, exc.code, str(exc))
            await msg.term()
            return
        except Exception as exc:  # noqa: BLE001 - retried, then the job fails
            PAGES.labels("error").inc()
            reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            await self._retry_or_fail(msg, task.job_id, "page_failed", f"page {number}: {reason}")
            return
        try:
            recorded = await self._call(
                self.jobs.RecordPage,
                jobs_pb2.RecordPageRequest(
                    job_id=task.job_id, page_index=task.page_index, page_result=page_result
                ),
            )
            assert isinstance(recorded, jobs_pb2.RecordPageResponse)
            PAGES.labels("recorded").inc()
            if recorded.last:
                await self._assemble(msg, task, source, recorded)
                return
        except JobGone:
            PAGES.labels("dropped").inc()  # the job ended meanwhile: nothing to add
        except grpc.aio.AioRpcError as exc:  # jobs unreachable: retry; at the limit, fail
            reason = f"page {number}: jobs unavailable ({exc.code().name})"
            await self._retry_or_fail(msg, task.job_id, "page_failed", reason)
            return
        await msg.ack_sync()

    async def _assemble(
        self,
        msg: Msg,
        task: parser_pb2.PageTask,
        source: SourceDocument,
        recorded: jobs_pb2.RecordPageResponse,
    ) -> None:
        kind = KIND_BY_TYPE[task.document_type]
        extractor = extractor_for(kind)
        options = self._options(task)
        pages = [page.page_result for page in recorded.pages]
        try:
            provider = self.escalation.resolve(options.provider)
            assembled = await self.extraction.run(
                lambda: extractor.assemble(source, pages, options)
            )
            assembled = await self.escalation.apply(source, pages, assembled, provider)
            result = to_parse_result(assembled)
        except _ROUTING_FATAL as exc:
            await self._fail(task.job_id, exc.code, exc.message)
            await msg.term()
            return
        except Exception as exc:  # noqa: BLE001 - retried, then the job fails
            reason = str(exc) or type(exc).__name__
            await self._retry_or_fail(msg, task.job_id, "assembly_failed", reason)
            return
        try:
            await self._call(
                self.jobs.CompleteJob,
                jobs_pb2.CompleteJobRequest(job_id=task.job_id, result=result),
            )
            JOBS_ASSEMBLED.inc()
            _log.info("job_assembled", pages=len(pages))
        except JobGone:
            pass
        except grpc.aio.AioRpcError as exc:  # the redelivered page is told "last" again
            reason = f"jobs unavailable ({exc.code().name})"
            await self._retry_or_fail(msg, task.job_id, "assembly_failed", reason)
            return
        await msg.ack_sync()


__all__ = ["DOCUMENTS_CONSUMER", "PAGES_CONSUMER", "JobGone", "Worker", "keep_alive"]

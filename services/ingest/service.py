"""The IngestService servicer: Upload (client stream), GetDocument and ReadDocument.

An upload is read up to the size limit and no further, sniffed, validated, classified, and
only then stored: blob first, then the ``documents`` row; a failure after the blob write
removes the blob, so nothing is ever half-written. The same bytes from the same user answer
with the existing document (``duplicate=true``). Documents are visible to their owner only:
another user's ids answer NOT_FOUND exactly like unknown ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.results.v1 import results_pb2
from services.common.errors import EmptyFile, FileTooLarge, InputError, NotFound
from services.common.logging import get_logger
from services.common.storage import BlobStore
from services.ingest import classify
from services.ingest.gemini_classify import GeminiClassifier
from services.ingest.models import DocumentRecord
from services.ingest.names import new_file_id, sanitise_filename, storage_key
from services.ingest.repository import DocumentRepository
from services.ingest.settings import IngestSettings
from services.ingest.sniff import sniff
from services.ingest.validate import Inspected, Limits, inspect

SERVICE_NAME: str = ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name
_MAX_USER_ID = 128
_DOC_TYPES = {
    classify.BANK_STATEMENT: results_pb2.DOCUMENT_TYPE_BANK_STATEMENT,
    classify.INVOICE: results_pb2.DOCUMENT_TYPE_INVOICE,
    classify.PAYMENT_SCREENSHOT: results_pb2.DOCUMENT_TYPE_PAYMENT_SCREENSHOT,
    classify.UNKNOWN: results_pb2.DOCUMENT_TYPE_UNKNOWN,
}

_log = get_logger("fintract.ingest")


def to_proto(record: DocumentRecord) -> ingest_pb2.Document:
    """The wire form of a stored document."""
    message = ingest_pb2.Document(
        doc_id=record.doc_id,
        file_id=record.file_id,
        user_id=record.user_id,
        filename=record.filename,
        content_type=record.content_type,
        size=record.size,
        pages=record.pages,
        sha256=record.sha256,
        classification=ingest_pb2.Classification(
            type=_DOC_TYPES.get(record.doc_type, results_pb2.DOCUMENT_TYPE_UNKNOWN),
            confidence=record.type_confidence,
        ),
        storage_key=record.storage_key,
    )
    message.created_at.FromDatetime(record.created_at)
    return message


def _user_id(value: str) -> str:
    user_id = value.strip()
    if not user_id or len(user_id) > _MAX_USER_ID:
        raise InputError(f"user_id is required (1..{_MAX_USER_ID} characters)")
    return user_id


async def read_upload(
    requests: AsyncIterator[ingest_pb2.UploadRequest], *, max_bytes: int, drain_bytes: int = 0
) -> tuple[ingest_pb2.UploadMetadata, bytes]:
    """Take the metadata message, then chunks until the stream ends.

    At most ``max_bytes`` are ever held. Once an upload passes them, the rest is read and
    discarded (up to ``drain_bytes`` more) before the refusal: a gRPC client still writing
    when the server answers early can see ``INTERNAL`` instead of the server's status
    (grpc/grpc#36066), so a client that finishes its stream within the budget always gets
    ``file_too_large``. Past the budget the refusal comes at once.

    Raises:
        InputError: the stream does not start with metadata, or repeats it.
        FileTooLarge: more than ``max_bytes`` arrive.
        EmptyFile: no bytes arrive.
    """
    first = await anext(aiter(requests), None)
    if first is None or first.WhichOneof("part") != "metadata":
        raise InputError("an upload starts with its metadata message")
    buffer = bytearray()
    too_large = FileTooLarge(f"the file is larger than {max_bytes} bytes", max_bytes=max_bytes)
    async for request in requests:
        if request.WhichOneof("part") != "chunk":
            raise InputError("metadata may only come first")
        if len(buffer) + len(request.chunk) > max_bytes:
            discarded = 0
            if drain_bytes > 0:
                async for rest in requests:
                    discarded += len(rest.chunk)
                    if discarded >= drain_bytes:
                        break
            raise too_large
        buffer += request.chunk
    if not buffer:
        raise EmptyFile("the file is empty")
    return first.metadata, bytes(buffer)


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    """Validates, classifies and stores uploads; serves them back to their owners."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        repository: DocumentRepository,
        store: BlobStore,
        classifier: GeminiClassifier | None = None,
    ) -> None:
        self._settings = settings
        self._repository = repository
        self._store = store
        # Gemini's second opinion on unsure guesses (None: keywords only, nothing leaves).
        self._classifier = classifier
        self._inflight: set[asyncio.Future[tuple[DocumentRecord, bool]]] = set()
        self._limits = Limits(
            max_pages=settings.max_pages,
            max_image_width=settings.max_image_width,
            max_image_height=settings.max_image_height,
            max_image_pixels=settings.max_image_pixels,
            min_image_width=settings.min_image_width,
            min_image_height=settings.min_image_height,
            text_pages=settings.classify_pages,
        )

    async def Upload(
        self,
        request_iterator: AsyncIterator[ingest_pb2.UploadRequest],
        context: grpc.aio.ServicerContext,
    ) -> ingest_pb2.UploadResponse:
        metadata, data = await read_upload(
            request_iterator,
            max_bytes=self._settings.max_upload_bytes,
            drain_bytes=self._settings.oversize_drain_bytes,
        )
        record, duplicate = await self.ingest(
            user_id=metadata.user_id,
            filename=metadata.filename,
            data=data,
            password=metadata.password if metadata.HasField("password") else None,
        )
        declared = metadata.declared_content_type.split(";")[0].strip().lower()
        if declared and declared != record.content_type:
            # Informational only: the bytes decide the type.
            _log.info("declared_type_differs", declared=declared[:64], sniffed=record.content_type)
        return ingest_pb2.UploadResponse(document=to_proto(record), duplicate=duplicate)

    async def ingest(
        self, *, user_id: str, filename: str, data: bytes, password: str | None = None
    ) -> tuple[DocumentRecord, bool]:
        """Validate and store one upload; returns its record and whether it already existed."""
        user_id = _user_id(user_id)
        if not data:
            raise EmptyFile("the file is empty")
        kind = sniff(data[:1024])
        inspected = await asyncio.to_thread(
            inspect, data, kind, limits=self._limits, password=password
        )
        sha256 = hashlib.sha256(data).hexdigest()
        existing = await self._repository.find_by_sha256(user_id=user_id, sha256=sha256)
        if existing is not None:
            _log.info("document_duplicate", doc_id=existing.doc_id, user_id=user_id)
            return existing, True
        guess = await asyncio.to_thread(_classify, inspected, kind.is_pdf)
        if self._classifier is not None:
            guess = await self._classifier.second_opinion(
                guess, inspected.content, is_pdf=kind.is_pdf
            )
        file_id = new_file_id(kind.extension)
        record = DocumentRecord(
            doc_id=str(uuid.uuid4()),
            file_id=file_id,
            user_id=user_id,
            filename=sanitise_filename(
                filename,
                fallback_extension=kind.extension,
                max_chars=self._settings.max_filename_chars,
            ),
            content_type=kind.content_type,
            size=len(data),
            pages=inspected.pages,
            sha256=sha256,
            doc_type=guess.doc_type,
            type_confidence=guess.confidence,
            storage_key=storage_key(self._settings.namespace, user_id, file_id),
            created_at=datetime.now(UTC),
        )
        # Shielded: a caller that goes away mid-write leaves either everything or nothing.
        task = asyncio.ensure_future(self._commit(record, inspected))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def drain(self) -> None:
        """Wait for writes whose callers went away (called at shutdown, before closing)."""
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _commit(
        self, record: DocumentRecord, inspected: Inspected
    ) -> tuple[DocumentRecord, bool]:
        """Write the blob, then the row; remove the blob again if the row is not written."""
        await self._store.put(
            record.storage_key, inspected.content, content_type=record.content_type
        )
        try:
            stored, created = await self._repository.insert(record)
        except BaseException:
            await self._discard(record.storage_key)
            raise
        if not created:  # the same bytes won a concurrent race
            await self._discard(record.storage_key)
            _log.info("document_duplicate", doc_id=stored.doc_id, user_id=stored.user_id)
            return stored, True
        _log.info(
            "document_stored",
            doc_id=stored.doc_id,
            user_id=stored.user_id,
            content_type=stored.content_type,
            size=stored.size,
            pages=stored.pages,
            doc_type=stored.doc_type,
            decrypted=inspected.decrypted,
        )
        return stored, False

    async def _discard(self, key: str) -> None:
        try:
            await self._store.delete(key)
        except Exception:  # noqa: BLE001 - the original failure matters more
            _log.exception("blob_cleanup_failed", storage_key=key)

    async def _owned(self, user_id: str, *, doc_id: str = "", file_id: str = "") -> DocumentRecord:
        user_id = _user_id(user_id)
        if not doc_id and not file_id:
            raise InputError("doc_id or file_id is required")
        record = await self._repository.get(user_id=user_id, doc_id=doc_id, file_id=file_id)
        if record is None:
            raise NotFound(f"document {doc_id or file_id} not found")
        return record

    async def GetDocument(
        self, request: ingest_pb2.GetDocumentRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.GetDocumentResponse:
        record = await self._owned(request.user_id, doc_id=request.doc_id, file_id=request.file_id)
        return ingest_pb2.GetDocumentResponse(document=to_proto(record))

    async def ReadDocument(
        self, request: ingest_pb2.ReadDocumentRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[ingest_pb2.ReadDocumentResponse]:
        record = await self._owned(request.user_id, file_id=request.file_id)
        data = await self._store.get(record.storage_key)
        yield ingest_pb2.ReadDocumentResponse(document=to_proto(record))
        step = self._settings.read_chunk_bytes
        for offset in range(0, len(data), step):
            yield ingest_pb2.ReadDocumentResponse(chunk=data[offset : offset + step])


def _classify(inspected: Inspected, is_pdf: bool) -> classify.Classification:
    if is_pdf:
        return classify.classify_text(inspected.text)
    return classify.classify_image(inspected.width, inspected.height)


__all__ = ["SERVICE_NAME", "IngestServicer", "read_upload", "to_proto"]

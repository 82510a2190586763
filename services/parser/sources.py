"""Opened documents for the workers: ingest says where the blob is, the blob store has the
bytes, PyMuPDF opens them once; a small LRU keeps the last few per process so the pages of
one file do not re-read and re-open the blob for every page."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import grpc

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.common.errors import NotFound, Unavailable
from services.common.storage import BlobStore
from services.parser.extract import SourceDocument

T = TypeVar("T")


class Extraction:
    """The one thread that touches PyMuPDF documents (PyMuPDF is not thread-safe): the event
    loop stays responsive while a page is being extracted."""

    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="extract"
        )

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class SourceCache:
    """LRU of opened SourceDocuments keyed by file id; concurrent loads of one file share."""

    def __init__(
        self,
        *,
        ingest: ingest_pb2_grpc.IngestServiceStub,
        blobs: BlobStore,
        extraction: Extraction,
        size: int,
        rpc_timeout_s: float = 30.0,
    ) -> None:
        self.ingest = ingest
        self.blobs = blobs
        self.extraction = extraction
        self.size = size
        self.rpc_timeout_s = rpc_timeout_s
        self._items: OrderedDict[str, asyncio.Future[SourceDocument]] = OrderedDict()
        self.loads = 0  # blob reads so far (observability and tests)

    async def get(self, user_id: str, file_id: str) -> SourceDocument:
        """The opened document; raises the engine's errors for corrupt/encrypted files."""
        future = self._items.get(file_id)
        if future is not None:
            self._items.move_to_end(file_id)
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._items[file_id] = future
        try:
            source = await self._load(user_id, file_id)
        except BaseException as exc:
            del self._items[file_id]
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        future.set_result(source)
        await self._evict()
        return source

    async def _load(self, user_id: str, file_id: str) -> SourceDocument:
        try:
            response = await self.ingest.GetDocument(
                ingest_pb2.GetDocumentRequest(user_id=user_id, file_id=file_id),
                timeout=self.rpc_timeout_s,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"file {file_id} not found") from exc
            raise Unavailable(f"ingest: {exc.code().name}") from exc
        document = response.document
        content = await self.blobs.get(document.storage_key)
        self.loads += 1
        source = SourceDocument(content=content, content_type=document.content_type)
        await self.extraction.run(lambda: source.page_count)  # open (and validate) once
        return source

    async def _evict(self) -> None:
        while len(self._items) > self.size:
            _, future = self._items.popitem(last=False)
            if future.done() and not future.exception():
                source = future.result()
                await self.extraction.run(source.close)

    async def clear(self) -> None:
        while self._items:
            _, future = self._items.popitem(last=False)
            if future.done() and not future.exception():
                await self.extraction.run(future.result().close)


__all__ = ["Extraction", "SourceCache"]

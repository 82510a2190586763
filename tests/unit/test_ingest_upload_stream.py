"""Reading an upload stream: metadata first, and the size limit enforced while reading."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fintract.api.ingest.v1 import ingest_pb2
from services.common.errors import EmptyFile, FileTooLarge, InputError
from services.ingest.service import read_upload


class Stream:
    """An upload stream that counts how many messages the reader pulled."""

    def __init__(self, *, chunks: int, chunk_size: int, metadata_first: bool = True) -> None:
        self.pulled = 0
        self.chunks = chunks
        self.chunk_size = chunk_size
        self.metadata_first = metadata_first

    async def __aiter__(self) -> AsyncIterator[ingest_pb2.UploadRequest]:
        if self.metadata_first:
            self.pulled += 1
            yield ingest_pb2.UploadRequest(
                metadata=ingest_pb2.UploadMetadata(user_id="u", filename="f.pdf")
            )
        for _ in range(self.chunks):
            self.pulled += 1
            yield ingest_pb2.UploadRequest(chunk=b"x" * self.chunk_size)


async def test_reads_everything_under_the_limit() -> None:
    stream = Stream(chunks=10, chunk_size=100)
    metadata, data = await read_upload(aiter(stream), max_bytes=1000)
    assert metadata.user_id == "u" and len(data) == 1000
    assert stream.pulled == 11


async def test_stops_reading_at_the_first_chunk_past_the_limit() -> None:
    stream = Stream(chunks=10_000, chunk_size=1000)
    with pytest.raises(FileTooLarge) as err:
        await read_upload(aiter(stream), max_bytes=5_500)
    assert err.value.code == "file_too_large"
    # metadata + 5 chunks that fit + the 6th that does not; the other 9,994 are never pulled.
    assert stream.pulled == 7


async def test_an_oversized_stream_is_drained_within_the_budget_then_refused() -> None:
    # 20 chunks of 1000 against a limit of 5,500: the client's whole stream is read (so it
    # finishes writing before the refusal), nothing past the limit is kept.
    short = Stream(chunks=20, chunk_size=1000)
    with pytest.raises(FileTooLarge):
        await read_upload(aiter(short), max_bytes=5_500, drain_bytes=50_000)
    assert short.pulled == 21
    # A stream longer than the budget is refused once the budget is spent.
    endless = Stream(chunks=10_000, chunk_size=1000)
    with pytest.raises(FileTooLarge):
        await read_upload(aiter(endless), max_bytes=5_500, drain_bytes=3_000)
    assert endless.pulled == 7 + 3  # the budget is spent by the 3rd chunk after the limit


async def test_one_byte_over_is_too_large() -> None:
    with pytest.raises(FileTooLarge):
        await read_upload(aiter(Stream(chunks=1, chunk_size=1001)), max_bytes=1000)


async def test_metadata_must_lead() -> None:
    with pytest.raises(InputError) as err:
        await read_upload(
            aiter(Stream(chunks=3, chunk_size=10, metadata_first=False)), max_bytes=99
        )
    assert err.value.status.name == "INVALID_ARGUMENT"


async def test_no_chunks_is_empty() -> None:
    with pytest.raises(EmptyFile) as err:
        await read_upload(aiter(Stream(chunks=0, chunk_size=10)), max_bytes=99)
    assert err.value.code == "empty_file"
    with pytest.raises(EmptyFile):
        await read_upload(aiter(Stream(chunks=3, chunk_size=0)), max_bytes=99)

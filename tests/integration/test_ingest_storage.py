"""Blob stores against real backends: a local folder and a real S3-protocol server (moto in
server mode on a free port, spoken to over HTTP by aioboto3; no mocking decorators)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from services.common.errors import NotFound, Unavailable
from services.common.storage import BlobStore, LocalBlobStore, S3BlobStore, blob_store
from tests.conftest import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, blob_root: Path, namespace: str
) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        made: BlobStore = blob_store(f"file://{blob_root}")
        assert isinstance(made, LocalBlobStore)
    else:
        request.getfixturevalue("aws_credentials")
        endpoint = request.getfixturevalue("s3_endpoint")
        made = blob_store(f"s3://{namespace}-blobs", endpoint_url=endpoint, region="us-east-1")
        assert isinstance(made, S3BlobStore)
    yield made
    await made.close()


async def test_round_trip_and_delete(store: BlobStore, namespace: str) -> None:
    key = f"{namespace}/alice/0001.pdf"
    data = b"%PDF-1.7 " + bytes(range(256)) * 1000
    assert not await store.exists(key)
    await store.put(key, data, content_type="application/pdf")
    assert await store.exists(key)
    assert await store.get(key) == data
    await store.put(key, b"replaced", content_type="application/pdf")
    assert await store.get(key) == b"replaced"
    await store.delete(key)
    assert not await store.exists(key)
    with pytest.raises(NotFound):
        await store.get(key)
    await store.delete(key)  # deleting what is gone is fine


@pytest.mark.parametrize("key", ["../escape", "/abs/path", "a/../b", "a//b", "sp ace", ""])
async def test_unsafe_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.put(key, b"x", content_type="text/plain")


async def test_s3_creates_bucket_in_another_region(
    aws_credentials: None, s3_endpoint: str, namespace: str
) -> None:
    store = S3BlobStore(f"{namespace}-eu", endpoint_url=s3_endpoint, region="eu-central-1")
    try:
        await store.put("k/1", b"data", content_type="application/octet-stream")
        assert await store.get("k/1") == b"data"
    finally:
        await store.close()
    # A second client finds the bucket that the first one made.
    again = S3BlobStore(f"{namespace}-eu", endpoint_url=s3_endpoint, region="eu-central-1")
    try:
        assert await again.exists("k/1")
    finally:
        await again.close()


async def test_s3_unreachable_endpoint_is_unavailable(aws_credentials: None) -> None:
    store = S3BlobStore(
        "nobucket", endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1"
    )
    try:
        with pytest.raises(Unavailable):
            await store.put("k/1", b"x", content_type="text/plain")
    finally:
        await store.close()

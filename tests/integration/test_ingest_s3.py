"""The ingest service storing its blobs in a real S3-protocol server (moto in server mode)."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest

from fintract.api.ingest.v1 import ingest_pb2_grpc
from services.common.grpc_server import insecure_channel
from services.common.storage import S3BlobStore
from services.ingest import IngestSettings, start
from tests.conftest import Database
from tests.integration.test_ingest_service import Client, error_code
from tests.integration.test_ingest_storage import aws_credentials, s3_endpoint
from tests.unit.test_ingest_validate import make_pdf

__all__ = ["aws_credentials", "s3_endpoint"]  # fixtures shared with the storage tests


async def test_upload_read_and_refusal_with_s3(
    aws_credentials: None,
    s3_endpoint: str,
    sqlite_database: Database,
    namespace: str,
    tmp_path: Path,
) -> None:
    bucket = f"{namespace}-ingest"
    settings = IngestSettings(
        DATABASE_URL=sqlite_database.url,
        STORAGE_URL=f"s3://{bucket}",
        S3_ENDPOINT_URL=s3_endpoint,
        FINTRACT_NAMESPACE=namespace,
        INGEST_MAX_PAGES=3,
    )
    user = f"s3-{uuid.uuid4().hex[:8]}"
    service = await start(settings, address="127.0.0.1:0")
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    store = S3BlobStore(bucket, endpoint_url=s3_endpoint, region="us-east-1")
    try:
        client = Client(
            ingest_pb2_grpc.IngestServiceStub(channel), channel, tmp_path, sqlite_database
        )
        data = make_pdf(2)
        doc = (await client.upload(data, user=user, filename="s.pdf")).document
        assert doc.storage_key == f"{namespace}/{user}/{doc.file_id}"
        assert await store.get(doc.storage_key) == data
        _, content = await client.read(user=user, file_id=doc.file_id)
        assert content == data

        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.upload(make_pdf(4), user=user)
        assert error_code(err.value) == "too_many_pages"
        assert await client.rows(user) == 1
        s3 = await store._s3()
        listed = await s3.list_objects_v2(Bucket=bucket, Prefix=f"{namespace}/{user}/")
        assert [o["Key"] for o in listed.get("Contents", [])] == [doc.storage_key]

        # A blob that vanished from the bucket is reported as not found, not as a crash.
        await store.delete(doc.storage_key)
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await client.read(user=user, file_id=doc.file_id)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await store.close()
        await channel.close()
        await service.stop(0)

"""IngestService in-process over a real gRPC channel, on SQLite and PostgreSQL, with a local
blob folder: every error code in the trailers, nothing stored after a refused upload."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pymupdf
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from PIL import Image
from sqlalchemy import func, select, text

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.results.v1 import results_pb2
from services.common.db import create_engine
from services.common.errors import ERROR_CODE_METADATA_KEY
from services.common.grpc_server import GrpcService, insecure_channel
from services.common.migrate import upgrade
from services.ingest import IngestSettings, start
from services.ingest.models import documents
from tests.conftest import Database
from tests.unit.test_ingest_validate import make_image, make_pdf, png_header

CHUNK = 64 * 1024


def settings_for(db: Database, blob_root: Path, namespace: str, **extra: object) -> IngestSettings:
    return IngestSettings(
        DATABASE_URL=db.url,
        DATABASE_SCHEMA=db.schema,
        STORAGE_URL=f"file://{blob_root}",
        FINTRACT_NAMESPACE=namespace,
        FINTRACT_ENV="test",
        **extra,
    )


@dataclass
class Client:
    stub: ingest_pb2_grpc.IngestServiceStub
    channel: grpc.aio.Channel
    blob_root: Path
    db: Database

    async def upload(
        self,
        data: bytes,
        *,
        user: str,
        filename: str = "upload.pdf",
        declared: str = "",
        password: str | None = None,
    ) -> ingest_pb2.UploadResponse:
        async def requests() -> AsyncIterator[ingest_pb2.UploadRequest]:
            meta = ingest_pb2.UploadMetadata(
                user_id=user, filename=filename, declared_content_type=declared
            )
            if password is not None:
                meta.password = password
            yield ingest_pb2.UploadRequest(metadata=meta)
            for offset in range(0, len(data), CHUNK):
                yield ingest_pb2.UploadRequest(chunk=data[offset : offset + CHUNK])

        response: ingest_pb2.UploadResponse = await self.stub.Upload(requests())
        return response

    async def read(self, *, user: str, file_id: str) -> tuple[ingest_pb2.Document, bytes]:
        parts = [
            part
            async for part in self.stub.ReadDocument(
                ingest_pb2.ReadDocumentRequest(user_id=user, file_id=file_id)
            )
        ]
        assert parts[0].WhichOneof("part") == "document"
        assert all(p.WhichOneof("part") == "chunk" for p in parts[1:])
        return parts[0].document, b"".join(p.chunk for p in parts[1:])

    def blobs(self) -> list[Path]:
        return [p for p in self.blob_root.rglob("*") if p.is_file()]

    async def rows(self, user: str) -> int:
        engine = create_engine(self.db.url, schema=self.db.schema)
        try:
            async with engine.connect() as conn:
                query = (
                    select(func.count()).select_from(documents).where(documents.c.user_id == user)
                )
                return int((await conn.execute(query)).scalar_one())
        finally:
            await engine.dispose()


async def _client(settings: IngestSettings, blob_root: Path, db: Database) -> AsyncIterator[Client]:
    service: GrpcService = await start(settings, address="127.0.0.1:0")
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    try:
        yield Client(ingest_pb2_grpc.IngestServiceStub(channel), channel, blob_root, db)
    finally:
        await channel.close()
        await service.stop(0)


@pytest.fixture
async def client(database: Database, blob_root: Path, namespace: str) -> AsyncIterator[Client]:
    settings = settings_for(
        database, blob_root, namespace, INGEST_MAX_UPLOAD_BYTES=2_000_000, INGEST_MAX_PAGES=5
    )
    async for made in _client(settings, blob_root, database):
        yield made


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def error_code(err: grpc.aio.AioRpcError) -> str | None:
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_CODE_METADATA_KEY:
            return str(value)
    return None


async def expect_refused(
    client: Client, data: bytes, *, user: str, code: str, status: grpc.StatusCode, **kw: object
) -> None:
    """The upload fails with ``code``/``status`` and leaves no blob and no row behind."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.upload(data, user=user, **kw)  # type: ignore[arg-type]
    assert err.value.code() == status, err.value.details()
    assert error_code(err.value) == code
    assert client.blobs() == []
    assert await client.rows(user) == 0


# --- the happy path ---------------------------------------------------------------------------


async def test_upload_pdf_get_and_read_back(client: Client, user: str) -> None:
    data = make_pdf(3)
    response = await client.upload(data, user=user, filename="March statement.pdf")
    doc = response.document
    assert not response.duplicate
    assert doc.user_id == user and doc.filename == "March statement.pdf"
    assert doc.content_type == "application/pdf" and doc.file_id.endswith(".pdf")
    assert doc.size == len(data) and doc.pages == 3
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.classification.type == results_pb2.DOCUMENT_TYPE_BANK_STATEMENT
    assert 0.5 < doc.classification.confidence <= 1
    assert doc.storage_key.endswith(f"/{user}/{doc.file_id}")
    assert doc.created_at.seconds > 0
    assert [p.name for p in client.blobs()] == [doc.file_id]
    assert await client.rows(user) == 1

    by_doc = await client.stub.GetDocument(
        ingest_pb2.GetDocumentRequest(user_id=user, doc_id=doc.doc_id)
    )
    by_file = await client.stub.GetDocument(
        ingest_pb2.GetDocumentRequest(user_id=user, file_id=doc.file_id)
    )
    assert by_doc.document == by_file.document == doc

    read_doc, content = await client.read(user=user, file_id=doc.file_id)
    assert read_doc == doc
    assert content == data


async def test_large_file_is_read_back_in_chunks(
    database: Database, blob_root: Path, namespace: str, user: str
) -> None:
    settings = settings_for(database, blob_root, namespace, INGEST_READ_CHUNK_BYTES=4096)
    async for client in _client(settings, blob_root, database):
        data = make_image("PNG", (300, 300))
        doc = (await client.upload(data, user=user, filename="big.png")).document
        parts = [
            p
            async for p in client.stub.ReadDocument(
                ingest_pb2.ReadDocumentRequest(user_id=user, file_id=doc.file_id)
            )
        ]
        assert len(parts) == 1 + -(-len(data) // 4096)
        assert b"".join(p.chunk for p in parts[1:]) == data


def plain_png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (240, 240, 250)).save(out, format="PNG")
    return out.getvalue()


async def test_png_named_pdf_is_a_png(client: Client, user: str) -> None:
    data = plain_png((1080, 2340))
    response = await client.upload(
        data, user=user, filename="receipt.pdf", declared="application/pdf"
    )
    doc = response.document
    assert doc.content_type == "image/png"
    assert doc.file_id.endswith(".png")
    assert doc.filename == "receipt.pdf"
    assert doc.pages == 1
    assert doc.classification.type == results_pb2.DOCUMENT_TYPE_PAYMENT_SCREENSHOT


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", ".jpg"), ("GIF", ".gif"), ("WEBP", ".webp")])
async def test_other_image_types(client: Client, user: str, fmt: str, ext: str) -> None:
    doc = (await client.upload(make_image(fmt, (800, 600)), user=user, filename="x")).document
    assert (
        doc.file_id.endswith(ext) and doc.content_type == f"image/{ext[1:].replace('jpg', 'jpeg')}"
    )
    assert doc.classification.type == results_pb2.DOCUMENT_TYPE_UNKNOWN


async def test_corpus_invoice_is_classified(client: Client, user: str, corpus: Path) -> None:
    data = (corpus / "invoice2data" / "AzureInterior.pdf").read_bytes()
    doc = (await client.upload(data, user=user, filename="AzureInterior.pdf")).document
    assert doc.classification.type == results_pb2.DOCUMENT_TYPE_INVOICE


async def test_filename_is_sanitised(client: Client, user: str) -> None:
    doc = (
        await client.upload(make_pdf(), user=user, filename="../../etc/\x00pass\nwd<1>.pdf")
    ).document
    assert doc.filename == "pass wd_1_.pdf"
    empty = (await client.upload(make_pdf(2), user=user, filename="")).document
    assert empty.filename == "document.pdf"


# --- dedupe and ownership ---------------------------------------------------------------------


async def test_same_bytes_same_user_is_the_same_document(client: Client, user: str) -> None:
    data = make_pdf(2, "Invoice  VAT  Subtotal")
    first = await client.upload(data, user=user, filename="a.pdf")
    again = await client.upload(data, user=user, filename="b.pdf")
    assert not first.duplicate and again.duplicate
    assert again.document == first.document
    assert len(client.blobs()) == 1 and await client.rows(user) == 1

    other_user = f"{user}-other"
    theirs = await client.upload(data, user=other_user, filename="a.pdf")
    assert not theirs.duplicate
    assert theirs.document.doc_id != first.document.doc_id
    assert theirs.document.file_id != first.document.file_id
    assert theirs.document.sha256 == first.document.sha256
    assert len(client.blobs()) == 2


async def test_concurrent_uploads_of_the_same_bytes_store_one_document(
    client: Client, user: str
) -> None:
    data = make_pdf(1, "Invoice  concurrent")
    responses = await asyncio.gather(*(client.upload(data, user=user) for _ in range(4)))
    assert len({r.document.doc_id for r in responses}) == 1
    assert sum(not r.duplicate for r in responses) == 1
    assert len(client.blobs()) == 1 and await client.rows(user) == 1


async def test_other_users_documents_are_not_found(client: Client, user: str) -> None:
    doc = (await client.upload(make_pdf(), user=user)).document
    stranger = f"{user}-stranger"
    requests = [
        ingest_pb2.GetDocumentRequest(user_id=stranger, doc_id=doc.doc_id),
        ingest_pb2.GetDocumentRequest(user_id=stranger, file_id=doc.file_id),
        ingest_pb2.GetDocumentRequest(user_id=user, doc_id=str(uuid.uuid4())),
        ingest_pb2.GetDocumentRequest(user_id=user, file_id="nope.pdf"),
    ]
    for request in requests:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.stub.GetDocument(request)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_code(err.value) == "not_found"
        # The same words whether the id exists for someone else or not at all.
        assert err.value.details() == f"document {request.doc_id or request.file_id} not found"
    for user_id, file_id in [(stranger, doc.file_id), (user, f"{uuid.uuid4()}.pdf")]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.read(user=user_id, file_id=file_id)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_code(err.value) == "not_found"


async def test_get_document_needs_user_and_an_id(client: Client, user: str) -> None:
    for request in [
        ingest_pb2.GetDocumentRequest(user_id=user),
        ingest_pb2.GetDocumentRequest(doc_id=str(uuid.uuid4())),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.stub.GetDocument(request)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- refused uploads: code, status, and nothing stored ---------------------------------------


async def test_unsupported_type(client: Client, user: str) -> None:
    await expect_refused(
        client,
        b"PK\x03\x04 a zip named .pdf",
        user=user,
        filename="statement.pdf",
        declared="application/pdf",
        code="unsupported_file_type",
        status=grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_empty_file(client: Client, user: str) -> None:
    await expect_refused(
        client, b"", user=user, code="empty_file", status=grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_too_large_while_streaming(client: Client, user: str) -> None:
    # The limit is 2 MB here; 6 MB of otherwise valid PNG bytes are refused mid-stream.
    data = make_image("PNG", (1200, 1700))
    assert len(data) > 2_000_000
    await expect_refused(
        client, data, user=user, code="file_too_large", status=grpc.StatusCode.RESOURCE_EXHAUSTED
    )


async def test_too_many_pages(client: Client, user: str) -> None:
    await expect_refused(
        client,
        make_pdf(6),
        user=user,
        code="too_many_pages",
        status=grpc.StatusCode.RESOURCE_EXHAUSTED,
    )


async def test_corrupt_pdf(client: Client, user: str) -> None:
    await expect_refused(
        client,
        b"%PDF-1.7\n" + b"\x00" * 5000,
        user=user,
        code="corrupt_file",
        status=grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_corrupt_image(client: Client, user: str) -> None:
    data = make_image("JPEG", (400, 400))
    await expect_refused(
        client,
        data[: len(data) // 2],
        user=user,
        code="corrupt_file",
        status=grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_image_limits(client: Client, user: str) -> None:
    await expect_refused(
        client,
        png_header(30_000, 30_000),
        user=user,
        code="image_too_large",
        status=grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    await expect_refused(
        client,
        make_image("PNG", (12, 40)),
        user=user,
        code="image_too_small",
        status=grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_encrypted_pdf_needs_its_password(client: Client, user: str) -> None:
    data = make_pdf(2, "Rechnung  MwSt  Zwischensumme", user_pw="pa55")
    await expect_refused(
        client, data, user=user, code="encrypted_pdf", status=grpc.StatusCode.INVALID_ARGUMENT
    )
    await expect_refused(
        client,
        data,
        user=user,
        password="wrong",
        code="wrong_password",
        status=grpc.StatusCode.INVALID_ARGUMENT,
    )
    doc = (await client.upload(data, user=user, password="pa55")).document
    assert doc.pages == 2 and doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.classification.type == results_pb2.DOCUMENT_TYPE_INVOICE
    _, stored = await client.read(user=user, file_id=doc.file_id)
    assert b"pa55" not in stored
    reopened = pymupdf.open(stream=stored, filetype="pdf")
    assert not reopened.needs_pass and reopened.page_count == 2


async def test_protected_corpus_statement(client: Client, user: str, corpus: Path) -> None:
    data = (corpus / "monopoly" / "protected.pdf").read_bytes()
    await expect_refused(
        client, data, user=user, code="encrypted_pdf", status=grpc.StatusCode.INVALID_ARGUMENT
    )
    doc = (await client.upload(data, user=user, password="foobar123")).document
    _, stored = await client.read(user=user, file_id=doc.file_id)
    assert not pymupdf.open(stream=stored, filetype="pdf").needs_pass
    again = await client.upload(data, user=user, password="foobar123")
    assert again.duplicate and again.document.doc_id == doc.doc_id


async def test_password_is_never_stored(client: Client, user: str) -> None:
    password = f"pw-{uuid.uuid4().hex[:20]}"
    data = make_pdf(1, user_pw=password)
    doc = (await client.upload(data, user=user, password=password)).document
    engine = create_engine(client.db.url, schema=client.db.schema)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(documents).where(documents.c.doc_id == doc.doc_id))
            ).one()
    finally:
        await engine.dispose()
    assert all(password not in str(value) for value in row)
    assert all(password.encode() not in p.read_bytes() for p in client.blobs())


# --- stream shape -------------------------------------------------------------------------


async def _raw_upload(
    client: Client, messages: list[ingest_pb2.UploadRequest]
) -> grpc.aio.AioRpcError:
    async def requests() -> AsyncIterator[ingest_pb2.UploadRequest]:
        for message in messages:
            yield message

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client.stub.Upload(requests())
    return err.value


async def test_metadata_must_come_first(client: Client, user: str) -> None:
    meta = ingest_pb2.UploadRequest(metadata=ingest_pb2.UploadMetadata(user_id=user))
    chunk = ingest_pb2.UploadRequest(chunk=make_pdf())
    for messages in ([chunk, meta], [], [chunk], [meta, chunk, meta]):
        err = await _raw_upload(client, messages)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_code(err) == "invalid_input"
    no_user = ingest_pb2.UploadRequest(metadata=ingest_pb2.UploadMetadata(filename="a.pdf"))
    err = await _raw_upload(client, [no_user, chunk])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert client.blobs() == []


# --- failure after the blob write ----------------------------------------------------------


@pytest.fixture
async def failing_database(tmp_path: Path) -> Database:
    """A real, migrated SQLite database whose documents table refuses every insert."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'failing.db'}"
    await asyncio.to_thread(upgrade, url, "")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TRIGGER refuse_documents BEFORE INSERT ON documents "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        )
    await engine.dispose()
    return Database(url=url, schema="", kind="sqlite")


async def test_failed_row_write_removes_the_blob(
    failing_database: Database, blob_root: Path, namespace: str, user: str
) -> None:
    settings = settings_for(failing_database, blob_root, namespace)
    async for client in _client(settings, blob_root, failing_database):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.upload(make_pdf(), user=user)
        assert err.value.code() == grpc.StatusCode.INTERNAL
        assert error_code(err.value) == "internal_error"
        assert client.blobs() == []
        assert await client.rows(user) == 0


# --- health and reflection -----------------------------------------------------------------


async def test_health_and_reflection(client: Client) -> None:
    health = health_pb2_grpc.HealthStub(client.channel)
    for name in ("", "fintract.api.ingest.v1.IngestService"):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(client.channel)

    async def ask() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names = set()
    async for answer in reflection.ServerReflectionInfo(ask()):
        names |= {s.name for s in answer.list_services_response.service}
    assert "fintract.api.ingest.v1.IngestService" in names
    assert "grpc.health.v1.Health" in names


def test_settings_defaults() -> None:
    settings = IngestSettings()
    assert settings.max_upload_bytes == 25 * 1024 * 1024
    assert settings.max_pages == 500


# --- a caller that goes away mid-write ------------------------------------------------------


async def test_caller_cancelled_during_the_write_leaves_a_whole_document(
    database: Database, blob_root: Path, namespace: str, user: str
) -> None:
    from services.common.storage import LocalBlobStore
    from services.ingest.repository import DocumentRepository
    from services.ingest.service import IngestServicer

    settings = settings_for(database, blob_root, namespace)
    engine = create_engine(database.url, schema=database.schema)
    servicer = IngestServicer(
        settings=settings, repository=DocumentRepository(engine), store=LocalBlobStore(blob_root)
    )
    client = Client(None, None, blob_root, database)  # type: ignore[arg-type]
    try:
        task = asyncio.create_task(servicer.ingest(user_id=user, filename="a.pdf", data=make_pdf()))
        while not servicer._inflight and not task.done():  # noqa: ASYNC110 - one loop turn each
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await servicer.drain()
        # The write went on without its caller: blob and row, both present.
        assert len(client.blobs()) == 1
        assert await client.rows(user) == 1
    finally:
        await engine.dispose()

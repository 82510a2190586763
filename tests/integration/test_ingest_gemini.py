"""Ingest asks Gemini which kind of document an upload is only when the keywords are unsure:
the real ingest service over gRPC (SQLite, a blob folder), the real google-genai SDK talking
to the local Gemini-protocol server. Sure documents, the local provider and Gemini failures
never change (or fail) an upload."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from fintract.api.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from fintract.api.results.v1 import results_pb2
from services.common.grpc_server import insecure_channel
from services.ingest import start
from services.ingest.gemini_classify import first_page
from tests.conftest import Database
from tests.gemini_server import GeminiServer, answer, server_error
from tests.integration.test_ingest_service import Client, settings_for

FLASH = "gemini-2.0-flash-exp"
# Few and weak keywords: the classifier says "unknown".
UNSURE_TEXT = ("Reference 2291-A", "Thank you for your business", "Amount 4,500.00")
SURE_TEXT = (
    "Statement of Account",
    "Opening balance 1,000.00   Closing balance 1,250.00",
    "Date  Description  Withdrawals  Deposits  Balance",
    "IFSC HDFC0000123",
)


def pdf(*lines: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    for number, line in enumerate(lines):
        page.insert_text((72, 72 + 18 * number), line)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def phone_screenshot() -> bytes:
    """A tall picture: only its shape hints at a payment screenshot (confidence 0.4)."""
    image = Image.new("RGB", (360, 800), (250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def gemini() -> AsyncIterator[GeminiServer]:
    server = GeminiServer()
    await server.start()
    yield server
    await server.stop()


@asynccontextmanager
async def ingest(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> AsyncIterator[Client]:
    for name in ("FINTRACT_PROVIDER", "INGEST_PROVIDER", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "GOOGLE_API_KEY": "test-key",
        "GEMINI_BASE_URL": gemini.base_url,
        "GEMINI_MODELS": FLASH,
        "GEMINI_ATTEMPTS_PER_MODEL": "1",
        "GEMINI_MASK_ACCOUNT_NUMBERS": "false",
        "GEMINI_MASK_UPI_IDS": "false",
        "FINTRACT_PROVIDER": "hybrid",
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    settings = settings_for(sqlite_database, blob_root, namespace)
    service = await start(settings, address="127.0.0.1:0")
    channel = insecure_channel(f"127.0.0.1:{service.port}")
    try:
        yield Client(
            ingest_pb2_grpc.IngestServiceStub(channel), channel, blob_root, sqlite_database
        )
    finally:
        await channel.close()
        await service.stop(0)


def kind(document: ingest_pb2.Document) -> tuple[str, float]:
    name = results_pb2.DocumentType.Name(document.classification.type)
    return name.removeprefix("DOCUMENT_TYPE_").lower(), document.classification.confidence


async def test_an_unsure_document_is_classified_by_gemini(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(answer({"document_type": "invoice", "confidence": 0.9}), model=FLASH)
    async with ingest(sqlite_database, blob_root, namespace, gemini, monkeypatch) as client:
        document = pdf(*UNSURE_TEXT)
        made = await client.upload(document, user="alice", filename="scan.pdf")
        again = await client.upload(document, user="alice", filename="scan.pdf")
    assert kind(made.document) == ("invoice", pytest.approx(0.9))
    assert again.duplicate and kind(again.document)[0] == "invoice"  # not asked twice
    (request,) = gemini.requests
    assert "task: classify" in request.text
    ((mime, sent),) = request.inline
    assert mime == "image/png" and Image.open(io.BytesIO(sent)).size[1] <= 1280


async def test_a_sure_document_never_calls_gemini(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(answer({"document_type": "invoice", "confidence": 0.9}), always=True)
    async with ingest(sqlite_database, blob_root, namespace, gemini, monkeypatch) as client:
        made = await client.upload(pdf(*SURE_TEXT), user="bob", filename="statement.pdf")
    doc_type, confidence = kind(made.document)
    assert doc_type == "bank_statement" and confidence >= 0.6
    assert gemini.requests == []


async def test_the_local_provider_never_calls_out(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(answer({"document_type": "invoice", "confidence": 0.9}), always=True)
    async with ingest(
        sqlite_database,
        blob_root,
        namespace,
        gemini,
        monkeypatch,
        FINTRACT_PROVIDER="hybrid",
        INGEST_PROVIDER="local",
    ) as client:
        made = await client.upload(pdf(*UNSURE_TEXT), user="carol", filename="scan.pdf")
    assert kind(made.document)[0] == "unknown"
    assert gemini.requests == []


async def test_gemini_down_keeps_the_keyword_answer(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(server_error(500), always=True)
    async with ingest(sqlite_database, blob_root, namespace, gemini, monkeypatch) as client:
        made = await client.upload(pdf(*UNSURE_TEXT), user="dave", filename="scan.pdf")
        shot = await client.upload(phone_screenshot(), user="dave", filename="shot.png")
        assert await client.rows("dave") == 2
    assert kind(made.document) == ("unknown", pytest.approx(0.1))
    assert kind(shot.document) == ("payment_screenshot", pytest.approx(0.4))
    assert len(gemini.requests) == 2  # asked once each, failed, upload stored anyway


async def test_an_image_gets_geminis_answer_and_unknown_keeps_the_guess(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(answer({"document_type": "payment_screenshot", "confidence": 0.97}))
    gemini.script(answer({"document_type": "unknown", "confidence": 0.5}))
    async with ingest(
        sqlite_database, blob_root, namespace, gemini, monkeypatch, FINTRACT_PROVIDER="gemini"
    ) as client:
        shot = await client.upload(phone_screenshot(), user="erin", filename="shot.png")
        other = await client.upload(pdf(*UNSURE_TEXT), user="erin", filename="scan.pdf")
    assert kind(shot.document) == ("payment_screenshot", pytest.approx(0.97))
    assert kind(other.document) == ("unknown", pytest.approx(0.1))
    assert len(gemini.requests) == 2


async def test_account_numbers_are_masked_before_the_page_leaves(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = pdf(*UNSURE_TEXT, "Account No 123456789012")
    gemini.script(answer({"document_type": "invoice", "confidence": 0.8}), always=True)
    async with ingest(
        sqlite_database,
        blob_root,
        namespace,
        gemini,
        monkeypatch,
        GEMINI_MASK_ACCOUNT_NUMBERS="true",
    ) as client:
        await client.upload(document, user="fay", filename="scan.pdf")
    ((_, sent),) = gemini.requests[0].inline
    rendered = first_page(document, is_pdf=True).png
    with Image.open(io.BytesIO(sent)) as masked, Image.open(io.BytesIO(rendered)) as plain:
        before = np.asarray(plain.convert("L"), dtype=np.int16)
        after = np.asarray(masked.convert("L"), dtype=np.int16)
    assert before.shape == after.shape
    rows = np.nonzero((before != after).any(axis=1))[0]
    assert rows.size, "nothing was blacked out"
    # Only the account line (the fourth, baseline 126 pt) changed, not the lines above it.
    zoom = before.shape[0] / 842
    assert rows.min() > (72 + 18 * 2) * zoom and rows.max() < (72 + 18 * 4) * zoom


async def test_a_slow_gemini_does_not_hold_the_upload(
    sqlite_database: Database,
    blob_root: Path,
    namespace: str,
    gemini: GeminiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gemini.script(answer({"document_type": "invoice", "confidence": 0.9}))
    gemini.script(answer({"document_type": "invoice", "confidence": 0.9}, delay_s=6.0))
    async with ingest(
        sqlite_database,
        blob_root,
        namespace,
        gemini,
        monkeypatch,
        INGEST_CLASSIFY_GEMINI_TIMEOUT_S="2",
    ) as client:
        # The first one loads the SDK (and answers at once); the second one is slow.
        first = await client.upload(pdf(*UNSURE_TEXT), user="gil", filename="a.pdf")
        started = time.monotonic()
        made = await client.upload(pdf(*UNSURE_TEXT, "page two"), user="gil", filename="b.pdf")
        waited = time.monotonic() - started
    assert kind(first.document)[0] == "invoice"
    assert kind(made.document) == ("unknown", pytest.approx(0.1))
    assert len(gemini.requests) == 2
    assert waited < 5.0  # the 2 s budget, not the 6 s answer

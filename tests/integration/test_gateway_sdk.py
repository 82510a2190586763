"""The REST SDK (sync and async) and ``fintract parse --wait`` against a gateway served by a
real uvicorn, over real gRPC to the stand-in backend."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest

from fintract.client import (
    AsyncFintractClient,
    FintractAPIError,
    FintractClient,
    FintractUploadError,
)
from gateway.app import create_app
from tests.integration.test_gateway_support import (  # noqa: F401 - fixtures
    PDF,
    StandInBackend,
    gateway_settings,
    progress_job,
    serve,
    stand_in_fixture,
)

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"


@pytest.fixture
def statement_result() -> dict:
    path = CONTRACT / "bank_statement.example.json"
    if not path.exists():
        pytest.skip("shared/contract not present")
    return json.loads(path.read_text())


@pytest.fixture
async def served(stand_in: StandInBackend, sqlite_database, redis_url: str, namespace: str):
    settings = gateway_settings(stand_in.address, sqlite_database, redis_url, namespace)
    async with serve(create_app(settings)) as url:
        from fintract.keys import KeyStore, create_engine

        engine = create_engine(sqlite_database.url)
        _, key = await KeyStore(engine).create("judy")
        await engine.dispose()
        yield url, key


async def test_sync_client_round_trip(
    served, stand_in: StandInBackend, tmp_path: Path, statement_result: dict
) -> None:
    url, key = served
    good = tmp_path / "march.pdf"
    good.write_bytes(PDF + b"judy-march")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")

    def scenario() -> dict:
        seen: list[tuple[str, int, int]] = []
        with FintractClient(url, key) as client:
            assert client.health()["status"] in ("ok", "degraded")
            [doc] = client.upload([good])
            assert doc["filename"] == "march.pdf" and doc["type"] == "bank_statement"
            assert client.download(doc["file_id"]) == good.read_bytes()
            with pytest.raises(FintractUploadError) as refused:
                client.upload([good, bad])
            assert [f["filename"] for f in refused.value.files] == ["march.pdf"]
            assert refused.value.errors[0]["code"] == "unsupported_file_type"
            job = client.parse_statement(doc["file_id"], doc["doc_id"])
            assert job["status"] == "pending"
            mover = asyncio.run_coroutine_threadsafe(
                progress_job(stand_in, job["job_id"], pages=3, result=statement_result), loop
            )
            final = client.wait(
                job["job_id"],
                timeout=30,
                on_progress=lambda j: seen.append((j["status"], j["pages_done"], j["pages_total"])),
                poll_interval=0.05,
            )
            mover.result()
            listed = client.list_jobs("bank_statement", page_size=5)
            assert listed["items"][0]["job_id"] == job["job_id"]
            batch = client.create_batch([doc, (doc["file_id"], doc["doc_id"])])
            assert batch["total"] == 2
            assert client.get_batch(batch["batch_id"])["pending"] == 2
            with pytest.raises(FintractAPIError) as missing:
                client.get_job("no-such-job")
            assert (missing.value.status, missing.value.code) == (404, "not_found")
        final["seen"] = seen
        return final

    loop = asyncio.get_running_loop()
    final = await asyncio.to_thread(scenario)
    assert final["status"] == "completed"
    assert final["results"] == statement_result
    assert final["provider"] == "local" and final["completed_at"].endswith("Z")
    progress = final["seen"]
    assert progress[0][0] == "pending" and progress[-1] == ("completed", 3, 3)
    assert ("processing", 1, 3) in progress and ("processing", 2, 3) in progress

    with pytest.raises(FintractAPIError) as unauthorized:
        await asyncio.to_thread(FintractClient(url, "ft_wrong").list_jobs)
    assert unauthorized.value.status == 401


async def test_async_client_over_asgi_transport(
    stand_in: StandInBackend, sqlite_database, redis_url: str, namespace: str, tmp_path: Path
) -> None:
    settings = gateway_settings(stand_in.address, sqlite_database, redis_url, namespace)
    app = create_app(settings)
    from fintract.keys import KeyStore, create_engine

    engine = create_engine(sqlite_database.url)
    _, key = await KeyStore(engine).create("kate")
    await engine.dispose()
    invoice = tmp_path / "inv.pdf"
    invoice.write_bytes(PDF + b"kate-invoice")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with AsyncFintractClient("http://gw", key, transport=transport) as client:
            [doc] = await client.upload([invoice])
            assert await client.download(doc["file_id"]) == invoice.read_bytes()
            assert (await client.health())["services"]["redis"] == "ok"
            job = await client.parse_invoice(doc["file_id"], doc["doc_id"], provider="local")
            assert stand_in.seen.create_jobs[-1].provider == "local"
            mover = asyncio.create_task(progress_job(stand_in, job["job_id"], pages=1, result=None))
            final = await client.wait(job["job_id"], timeout=30, poll_interval=0.05)
            await mover
            assert final["status"] == "failed" and final["results"] is None
            assert final["error"] == {
                "code": "extraction_failed",
                "message": "page 1 could not be read",
            }
            assert final["document_type"] == "invoice"
            # the SDK finds an invoice job without being told its type
            fresh = AsyncFintractClient("http://gw", key, transport=transport)
            assert (await fresh.get_job(job["job_id"]))["job_id"] == job["job_id"]
            await fresh.aclose()


async def test_cli_parse_wait_prints_the_result(
    served, stand_in: StandInBackend, tmp_path: Path, statement_result: dict
) -> None:
    url, key = served
    pdf = tmp_path / "april.pdf"
    pdf.write_bytes(PDF + b"judy-april")
    env = {**os.environ, "FINTRACT_URL": url, "FINTRACT_API_KEY": key, "COLUMNS": "120"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fintract.cli",
        "parse",
        str(pdf),
        "--type",
        "bank_statement",
        "--wait",
        "--timeout",
        "120",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    job_id = None
    for _ in range(1200):  # the CLI starts slowly on a loaded machine
        await asyncio.sleep(0.1)
        files = {f for f, (d, _) in stand_in.ingest.docs.items() if d.filename == "april.pdf"}
        jobs = [j.job_id for j in stand_in.jobs.jobs.values() if j.file_id in files]
        if jobs:
            job_id = jobs[-1]
            break
    assert job_id is not None, "the CLI never submitted a job"
    await progress_job(stand_in, job_id, pages=2, result=statement_result)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    job = json.loads(out)
    assert job["job_id"] == job_id and job["status"] == "completed"
    assert job["results"] == statement_result
    assert "april.pdf" in err.decode() and "2/2" in err.decode()

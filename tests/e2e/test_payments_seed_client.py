"""The payment-parser document's own Python client and pytest examples, unchanged, against
real processes started as ``make up`` starts them: ``python -m services.payments`` and the
gateway (``python -m gateway``) with ``PAYMENTS_ALLOW_ANONYMOUS=true``, over real HTTP."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from bench.payments.generate import render_payment
from services.common.migrate import upgrade
from tests.conftest import free_port
from tests.e2e import payments_seed_client as seed
from tests.e2e.payments_seed_client import PaymentParserClient, TestPaymentParser

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["TestPaymentParser"]  # the document's pytest examples, collected here


@pytest.fixture(scope="module", autouse=True)
def payment_parser(
    tmp_path_factory: pytest.TempPathFactory, namespace: str, redis_url: str
) -> Iterator[str]:
    """Payments service + anonymous gateway on ``seed.BASE_URL``, as real processes."""
    tmp = tmp_path_factory.mktemp("payments-e2e")
    database = f"sqlite+aiosqlite:///{tmp}/fintract.db"
    upgrade(database, "")
    env = {
        **os.environ,
        "FINTRACT_ENV": "test",
        "FINTRACT_NAMESPACE": f"{namespace}seed",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database,
        "PAYMENTS_ADDR": f"127.0.0.1:{free_port()}",
        "GATEWAY_PORT": str(urlparse(seed.BASE_URL).port),
        "PAYMENTS_ALLOW_ANONYMOUS": "true",
        "LOG_LEVEL": "WARNING",
    }
    procs = []
    logs = []
    for name, module in (("payments", "services.payments"), ("gateway", "gateway")):
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", module],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{seed.BASE_URL}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(
                    "payment parser did not start: " + (tmp / "payments.log").read_text()[-2000:]
                )
            time.sleep(0.3)
        yield seed.BASE_URL
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def test_the_documents_client_reads_a_screenshot(tmp_path: Path) -> None:
    img, truth = render_payment("phonepe", random.Random(42), theme="dark", size="1080p")
    path = tmp_path / "payment_screenshot.png"
    img.save(path)
    client = PaymentParserClient()
    result = client.parse_payment_image(str(path), truth["date"] + "T00:00:00Z")
    assert result["success"] is True, result
    assert result["data"] == truth
    assert result["metadata"]["provider"] == "local"
    again = client.parse_payment_image(str(path))
    assert again["error"] == "Image already processed"  # the client's own dedupe


def test_the_documents_usage_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    img, truth = render_payment("gpay", random.Random(43), theme="light", size="720p")
    img.save(tmp_path / "payment_screenshot.png")
    monkeypatch.chdir(tmp_path)
    result = seed.usage_example()
    out = capsys.readouterr().out
    assert result["success"] is True
    assert f"Payment of {truth['amount']} INR detected" in out
    assert f"Payee: {truth['payee_name']}" in out
    # match_date 2024-01-15 is far from the screenshot's date: answered, flagged for review.
    assert result["metadata"]["review_reason"] in ("date_mismatch", None)
    if truth["date"][:7] != "2024-01":
        assert result["metadata"]["review_reason"] == "date_mismatch"


def test_status_and_health_over_http(payment_parser: str) -> None:
    status = httpx.get(f"{payment_parser}/status", timeout=5).json()
    assert status["enabled"] is True and status["provider"] == "local"
    assert status["requests_today"] + status["requests_remaining"] == status["daily_limit"]
    root = httpx.get(f"{payment_parser}/", timeout=5).json()
    assert root["status"] == "healthy" and root["service"] == "ai-service"

"""Hybrid routing benchmark: what share of statement pages and payment screenshots ``hybrid``
escalates to Gemini, and the time that adds, beside ``local`` alone and ``gemini`` for all.

Gemini is the local wire-protocol server of tests/gemini_server.py, reached through the real
google-genai SDK; it answers each request with the sample's truth after ``--delay`` seconds
(real Gemini takes seconds per page). No accuracy is claimed for those answers. The local
readers are this benchmark's own simple ones (bench/hybrid/samples.py); the policy,
provider, verification and routing are fintract's (services/common/gemini).

``python -m bench.hybrid.run [--quick] [--delay 1.0] [--statements 40] [--payments 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.hybrid.samples import (
    payment_screens,
    read_payment_text,
    read_statement_page,
    statement_pages,
)
from services.common.gemini import (
    Assessment,
    GeminiProvider,
    GeminiSettings,
    KeyPool,
    escalate_payment,
    escalate_statement_page,
    should_escalate,
)
from services.common.gemini.verify import statement_page_checks
from tests.gemini_server import GeminiServer, Recorded, Reply, answer, server_error

MODEL = "gemini-2.0-flash-exp"


@dataclass
class Tally:
    local: list[float] = field(default_factory=list)
    hybrid: list[float] = field(default_factory=list)
    gemini: list[float] = field(default_factory=list)
    escalated: int = 0
    gemini_won: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class Truths:
    """The fake Gemini's answers: the truth of whichever sample's bytes it receives."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.by_hash: dict[str, Any] = {}

    def add(self, data: bytes, truth: Any) -> None:
        self.by_hash[hashlib.sha256(data).hexdigest()] = truth.model_dump()

    def __call__(self, request: Recorded) -> Reply:
        for _, data in request.inline:
            truth = self.by_hash.get(hashlib.sha256(data).hexdigest())
            if truth is not None:
                reply = answer(truth, prompt_tokens=1300, output_tokens=400)
                return Reply(reply.status, reply.body, self.delay_s)
        return server_error(500)


def _render(pdf: bytes) -> bytes:
    import pymupdf

    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return bytes(doc[0].get_pixmap(dpi=110).tobytes("png"))


def _page_text(pdf: bytes) -> str:
    import pymupdf

    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return str(doc[0].get_text())


async def bench_statements(
    provider: GeminiProvider, truths: Truths, count: int, threshold: float
) -> Tally:
    tally = Tally()
    for number, sample in enumerate(statement_pages(count), start=1):
        started = time.perf_counter()
        text = _page_text(sample.pdf)
        local, previous = read_statement_page(text, number)
        checks = statement_page_checks(local, previous_balance=previous)
        assessment = Assessment(checks=checks, confidence=1.0, usable=bool(local.transactions))
        decision = should_escalate(assessment, threshold=threshold)
        local_s = time.perf_counter() - started
        tally.local.append(local_s)

        async def escalate(text: str = text, sample: Any = sample, number: int = number) -> Any:
            image = _render(sample.pdf)
            truths.add(image, sample.truth)
            return await escalate_statement_page(
                provider,
                image,
                text,
                page_number=number,
                previous_balance=sample.previous_balance,
            )

        hybrid_s = local_s
        if decision.escalate:
            tally.escalated += 1
            for reason in decision.reasons:
                tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
            t0 = time.perf_counter()
            result = await escalate()
            hybrid_s += time.perf_counter() - t0
            if result.assessment.problems < assessment.problems:
                tally.gemini_won += 1
        tally.hybrid.append(hybrid_s)
        t0 = time.perf_counter()
        text = _page_text(sample.pdf)  # gemini mode still reads the text layer to verify
        await escalate(text)
        tally.gemini.append(time.perf_counter() - t0)
    return tally


async def bench_payments(
    provider: GeminiProvider, truths: Truths, count: int, threshold: float
) -> Tally:
    from services.common.ocr import ocr_engine

    engine = ocr_engine()
    tally = Tally()
    for sample in payment_screens(count):
        truths.add(sample.image, sample.truth)
        started = time.perf_counter()
        ocr = await asyncio.to_thread(engine.read, sample.image)
        text = "\n".join(w.text for w in ocr.words)
        amount, txn = read_payment_text(text)
        checks = {
            "amount_read": amount is not None,
            "transaction_id_read": txn is not None and len(txn) == 12,
        }
        assessment = Assessment(
            checks=checks, confidence=ocr.mean_confidence, usable=amount is not None
        )
        decision = should_escalate(assessment, threshold=threshold)
        local_s = time.perf_counter() - started
        tally.local.append(local_s)
        hybrid_s = local_s
        if decision.escalate:
            tally.escalated += 1
            for reason in decision.reasons:
                tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
            t0 = time.perf_counter()
            result = await escalate_payment(
                provider, sample.image, text, mime_type=sample.mime_type, words=ocr.words
            )
            hybrid_s += time.perf_counter() - t0
            if result.assessment.problems < assessment.problems:
                tally.gemini_won += 1
        tally.hybrid.append(hybrid_s)
        # gemini mode: the OCR pass is still needed to verify the answer
        t0 = time.perf_counter()
        await escalate_payment(
            provider, sample.image, text, mime_type=sample.mime_type, words=ocr.words
        )
        tally.gemini.append(local_s + time.perf_counter() - t0)
    return tally


def _row(name: str, mode: str, times: list[float], escalated: int, local: list[float]) -> str:
    n = len(times)
    ordered = sorted(times)
    p95 = ordered[min(n - 1, round(0.95 * (n - 1)))]
    added = statistics.fmean(times) - statistics.fmean(local)
    return (
        f"{name:<11} {mode:<7} {n:>5} {escalated:>4} ({escalated / n:>4.0%}) "
        f"{statistics.fmean(times):>9.3f} {statistics.median(times):>8.3f} {p95:>8.3f} "
        f"{added:>+10.3f} {sum(times):>9.1f}"
    )


def print_table(results: dict[str, Tally], delay_s: float) -> None:
    print(
        f"\nHybrid routing, fake Gemini answering after {delay_s:.2f} s "
        "(times in seconds; noisy on a shared 2-core machine)"
    )
    header = (
        f"{'set':<11} {'mode':<7} {'items':>5} {'escalated':>11} "
        f"{'mean/item':>9} {'p50':>8} {'p95':>8} {'vs local':>10} {'total':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, tally in results.items():
        n = len(tally.local)
        print(_row(name, "local", tally.local, 0, tally.local))
        print(_row(name, "hybrid", tally.hybrid, tally.escalated, tally.local))
        print(_row(name, "gemini", tally.gemini, n, tally.local))
    print()
    for name, tally in results.items():
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.reasons.items())) or "none"
        print(
            f"{name}: escalated because {reasons}; Gemini's answer better checked on "
            f"{tally.gemini_won}/{tally.escalated} (the fake answers the truth: no accuracy claim)"
        )


async def run(args: argparse.Namespace) -> dict[str, Tally]:
    truths = Truths(args.delay)
    server = GeminiServer(responder=truths)
    await server.start()
    settings = GeminiSettings(
        _env_file=None,
        GEMINI_BASE_URL=server.base_url,
        GEMINI_MODELS=MODEL,
        GEMINI_MASK_ACCOUNT_NUMBERS=False,  # the fake looks answers up by the bytes it gets
        GEMINI_MASK_UPI_IDS=False,
        GEMINI_ATTEMPT_TIMEOUT_S=max(10.0, args.delay * 4),
        GEMINI_RPM={},  # the fake server has no per-minute quota to respect
    )
    provider = GeminiProvider(settings, key_pool=KeyPool(["bench-key"]))
    try:
        # One call first so the SDK's HTTP session setup is not charged to the first item.
        warm = statement_pages(1, seed=999)[0]
        image = _render(warm.pdf)
        truths.add(image, warm.truth)
        await escalate_statement_page(provider, image, _page_text(warm.pdf), page_number=1)
        results = {
            "statements": await bench_statements(provider, truths, args.statements, args.threshold),
            "payments": await bench_payments(provider, truths, args.payments, args.threshold),
        }
    finally:
        await provider.aclose()
        await server.stop()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.hybrid.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few items, short delay")
    parser.add_argument("--delay", type=float, default=None, help="fake Gemini delay (s)")
    parser.add_argument("--statements", type=int, default=None)
    parser.add_argument("--payments", type=int, default=None)
    parser.add_argument("--threshold", type=float, default=0.85)
    args = parser.parse_args(argv)
    args.delay = args.delay if args.delay is not None else (0.3 if args.quick else 1.0)
    args.statements = args.statements or (8 if args.quick else 40)
    args.payments = args.payments or (6 if args.quick else 16)
    results = asyncio.run(run(args))
    print_table(results, args.delay)


if __name__ == "__main__":
    main()

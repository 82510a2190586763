"""Hybrid routing benchmark: what share of statement pages and payment screenshots ``hybrid``
escalates to Gemini, and the time that adds, beside ``local`` alone and ``gemini`` for all.

Gemini is the local wire-protocol server of tests/gemini_server.py, reached through the real
google-genai SDK; it answers each request with the sample's truth after ``--delay`` seconds
(real Gemini takes seconds per page). No accuracy is claimed for those answers.

Statements go through the parser's real path: the statement engine reads every page and
assembles the document (``local``), then the parser's escalation step
(``services/parser/escalation.py``: page assessments, page images, verification, recheck,
pick the better) runs with ``hybrid`` and with ``gemini``. The documents are the statement
evaluation set's generator (bench/statements/generate.py: every layout, text and scans).
Payments use this benchmark's own simple reader (bench/hybrid/samples.py) with fintract's
policy, provider, verification and routing (services/common/gemini).

``python -m bench.hybrid.run [--quick] [--delay 1.0] [--statements 24] [--payments 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench.hybrid.samples import payment_screens, read_payment_text
from bench.statements.generate import LAYOUTS, Case, Kind, make_case
from services.common.gemini import (
    Assessment,
    GeminiProvider,
    GeminiSettings,
    KeyPool,
    escalate_payment,
    should_escalate,
)
from services.parser.escalation import Escalation, statement_page_input
from services.parser.extract import Assembled, ExtractOptions, SourceDocument, extractor_for
from services.parser.extract.statement import PageOut
from services.parser.sources import Extraction
from tests.gemini_server import GeminiServer, Recorded, Reply, answer, server_error

MODEL = "gemini-2.0-flash-exp"


@dataclass
class Tally:
    local: list[float] = field(default_factory=list)
    hybrid: list[float] = field(default_factory=list)
    gemini: list[float] = field(default_factory=list)
    escalated: int = 0  # items (pages, for statements) sent to Gemini in hybrid
    items: int = 0  # items in all (pages, for statements)
    gemini_won: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class Truths:
    """The fake Gemini's answers: the truth of whichever sample's bytes it receives."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.by_hash: dict[str, Any] = {}

    def add(self, data: bytes, truth: Any) -> None:
        value = truth if isinstance(truth, dict) else truth.model_dump()
        self.by_hash[hashlib.sha256(data).hexdigest()] = value

    def __call__(self, request: Recorded) -> Reply:
        for _, data in request.inline:
            truth = self.by_hash.get(hashlib.sha256(data).hexdigest())
            if truth is not None:
                reply = answer(truth, prompt_tokens=1300, output_tokens=400)
                return Reply(reply.status, reply.body, self.delay_s)
        return server_error(500)


# the FRESH and BLIND layouts are kept for the statement evaluation alone
SEEN = tuple(layout for layout in LAYOUTS if layout.split not in ("fresh", "blind"))


def statement_cases(count: int) -> list[Case]:
    """The evaluation generator's documents: every layout in turn, one in four scanned."""
    cases = []
    for n in range(count):
        layout = SEEN[n % len(SEEN)]
        kind: Kind = "scan" if n % 4 == 3 else "text"
        cases.append(make_case(layout, 100 + n, kind, rows=24 if kind == "scan" else None))
    return cases


def page_truths(case: Case) -> dict[int, dict[str, Any]]:
    """What a perfect reader of each page answers: its rows, and the header on page 1."""
    empty = dict.fromkeys(case.truth["account"])
    out: dict[int, dict[str, Any]] = {}
    for page in range(1, case.pages + 1):
        rows = [t for t in case.truth["transactions"] if t["page"] == page]
        account = case.truth["account"] if page == 1 else empty
        out[page] = {"account": account, "transactions": rows}
    return out


def read_locally(source: SourceDocument) -> tuple[list[bytes], Assembled]:
    """What the parser's workers do before routing: every page read, then assembled."""
    engine = extractor_for("bank_statement")
    options = ExtractOptions()
    pages = [engine.extract_page(source, i, options) for i in range(source.page_count)]
    return pages, engine.assemble(source, pages, options)


def page_images(source: SourceDocument, pages: list[bytes]) -> list[bytes]:
    """The images the parser sends for each page (so the fake Gemini knows the page)."""
    outs = [PageOut.model_validate_json(p) for p in pages]
    return [statement_page_input(source, page).image for page in outs]


async def bench_statements(escalation: Escalation, truths: Truths, count: int) -> Tally:
    run = escalation.run
    tally = Tally()
    for case in statement_cases(count):
        source = SourceDocument(case.content, case.content_type)
        started = time.perf_counter()
        pages, assembled = await run(partial(read_locally, source))
        local_s = time.perf_counter() - started
        tally.local.append(local_s)
        tally.items += len(pages)

        images = await run(partial(page_images, source, pages))  # not timed
        for image, truth in zip(images, page_truths(case).values(), strict=False):
            truths.add(image, truth)

        t0 = time.perf_counter()
        hybrid = await escalation.apply(source, pages, assembled, "hybrid")
        tally.hybrid.append(local_s + time.perf_counter() - t0)
        sent = hybrid.provenance.escalated_pages
        tally.escalated += len(sent)
        if sent:
            for reason in assembled.result.review_reasons or ["low_confidence"]:
                if not reason.startswith("balance_continuity_row_"):
                    tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
        if "gemini" in hybrid.provenance.model:
            tally.gemini_won += len(sent)

        t0 = time.perf_counter()
        await escalation.apply(source, pages, assembled, "gemini")
        tally.gemini.append(local_s + time.perf_counter() - t0)
        await run(source.close)
    return tally


async def bench_payments(
    provider: GeminiProvider, truths: Truths, count: int, threshold: float
) -> Tally:
    from services.common.ocr import ocr_engine

    engine = ocr_engine()
    tally = Tally()
    for sample in payment_screens(count):
        tally.items += 1
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


def _row(
    name: str, mode: str, times: list[float], escalated: int, items: int, local: list[float]
) -> str:
    n = len(times)
    ordered = sorted(times)
    p95 = ordered[min(n - 1, round(0.95 * (n - 1)))]
    added = statistics.fmean(times) - statistics.fmean(local)
    share = escalated / items if items else 0.0
    return (
        f"{name:<11} {mode:<7} {n:>5} {items:>5} {escalated:>4} ({share:>4.0%}) "
        f"{statistics.fmean(times):>9.3f} {statistics.median(times):>8.3f} {p95:>8.3f} "
        f"{added:>+10.3f} {sum(times):>9.1f}"
    )


def print_table(results: dict[str, Tally], delay_s: float) -> None:
    print(
        f"\nHybrid routing, fake Gemini answering after {delay_s:.2f} s "
        "(times in seconds; noisy on a shared 2-core machine)"
    )
    header = (
        f"{'set':<11} {'mode':<7} {'docs':>5} {'items':>5} {'escalated':>11} "
        f"{'mean/doc':>9} {'p50':>8} {'p95':>8} {'vs local':>10} {'total':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, tally in results.items():
        n = tally.items
        print(_row(name, "local", tally.local, 0, n, tally.local))
        print(_row(name, "hybrid", tally.hybrid, tally.escalated, n, tally.local))
        print(_row(name, "gemini", tally.gemini, n, n, tally.local))
    print("(statements: items = pages, escalated = pages sent to Gemini; payments: screenshots)")
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
        HYBRID_CONFIDENCE_THRESHOLD=args.threshold,
    )
    provider = GeminiProvider(settings, key_pool=KeyPool(["bench-key"]))
    extraction = Extraction()
    escalation = Escalation(provider, settings, extraction.run)
    try:
        # One call first so the SDK's HTTP session setup is not charged to the first item.
        await bench_statements(escalation, truths, 1)
        results = {
            "statements": await bench_statements(escalation, truths, args.statements),
            "payments": await bench_payments(provider, truths, args.payments, args.threshold),
        }
    finally:
        await provider.aclose()
        await server.stop()
        extraction.shutdown()
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
    args.statements = args.statements or (6 if args.quick else 24)
    args.payments = args.payments or (6 if args.quick else 16)
    results = asyncio.run(run(args))
    print_table(results, args.delay)


if __name__ == "__main__":
    main()

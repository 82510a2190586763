"""Speed of the statement engine against bare PyMuPDF, scanned-page time, and memory.

``python -m bench.statements.speed [--quick] [--pages N]``

* text PDFs (the engine as installed: compiled by ``make setup``, or the sources with
  ``FINTRACT_PURE_PYTHON=1``): pages/s of the engine (``extract_page`` on every page +
  ``assemble``) against pages/s of bare ``page.get_text("words")`` on the same document in
  the same run; the ratio is the figure to watch (target ≥ 0.5). Both are CPU seconds of
  this process (wall time on a shared machine mostly measures the neighbours);
* a scanned page (image-only PDF page at 200 dpi): seconds for ``extract_page`` (OCR);
* memory: resident set size while a long statement is read page by page, sampled along the
  way — it must not grow with the page count. The engine memoises what it learns about word
  texts (amounts, dates, token kinds) in caches bounded at 8,192 texts each, so a fresh
  worker grows by a few MB until they fill and then stays flat: the bench reads four
  different long statements one after another and prints the RSS after each.

Timings on a shared machine are noisy; each figure is the best of a few repetitions.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Sequence

import psutil

from bench.statements.generate import LAYOUTS, make_case
from services.parser.extract import ExtractOptions, SourceDocument, native
from services.parser.extract.statement import StatementExtractor


def _bare(source: SourceDocument) -> float:
    start = time.process_time()
    for i in range(source.page_count):
        source.page(i).get_text("words")
    return time.process_time() - start


def _engine(source: SourceDocument) -> float:
    engine, options = StatementExtractor(), ExtractOptions()
    start = time.process_time()
    pages = [engine.extract_page(source, i, options) for i in range(source.page_count)]
    engine.assemble(source, pages, options)
    return time.process_time() - start


def text_speed(pages: int, repeats: int) -> tuple[float, float, int]:
    """(bare pages/s, engine pages/s, pages) on a long generated statement, interleaved runs."""
    layout = next(lay for lay in LAYOUTS if lay.name == "in_sbi")
    case = make_case(layout, 7, "text", rows=pages * 18)
    source = SourceDocument(case.content)
    n = source.page_count
    bare = engine = float("inf")
    for _ in range(repeats):
        bare = min(bare, _bare(source))
        engine = min(engine, _engine(source))
    source.close()
    return n / bare, n / engine, n


def scan_speed(repeats: int) -> tuple[float, float]:
    layout = next(lay for lay in LAYOUTS if lay.name == "us_signed")
    case = make_case(layout, 3, "scan", rows=20)
    source = SourceDocument(case.content)
    engine, options = StatementExtractor(), ExtractOptions()
    engine.extract_page(source, 0, options)  # load the OCR models once
    best = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        engine.extract_page(source, 0, options)
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    source.close()
    return best, cpu


def _long_statement(pages: int, *, seed: int) -> SourceDocument:
    """A text-layer statement of about ``pages`` pages (uk_moneyinout, 24 rows a page)."""
    layout = next(lay for lay in LAYOUTS if lay.name == "uk_moneyinout")
    return SourceDocument(make_case(layout, seed, "text", rows=pages * 24 + 60).content)


def memory(pages: int) -> list[tuple[int, float]]:
    """RSS (MB) after reading page k of a ``pages``-page statement, pages kept as bytes."""
    source = _long_statement(pages, seed=11)
    engine, options = StatementExtractor(), ExtractOptions()
    proc = psutil.Process()
    samples: list[tuple[int, float]] = []
    kept: list[bytes] = []
    marks = {1, 10, 25, 50, 75, source.page_count}
    for i in range(source.page_count):
        kept.append(engine.extract_page(source, i, options))
        if i + 1 in marks:
            gc.collect()
            samples.append((i + 1, proc.memory_info().rss / 2**20))
    engine.assemble(source, kept, options)
    gc.collect()
    samples.append((-1, proc.memory_info().rss / 2**20))
    kept_mb = sum(len(b) for b in kept) / 2**20
    samples.append((-2, kept_mb))
    source.close()
    return samples


def memory_across_documents(pages: int, documents: int) -> list[float]:
    """RSS (MB) after each of ``documents`` different ``pages``-page statements, read one
    after another in this process (page results dropped after each)."""
    engine, options = StatementExtractor(), ExtractOptions()
    proc = psutil.Process()
    rss: list[float] = []
    for seed in range(21, 21 + documents):
        source = _long_statement(pages, seed=seed)
        kept = [engine.extract_page(source, i, options) for i in range(source.page_count)]
        engine.assemble(source, kept, options)
        source.close()
        del kept
        gc.collect()
        rss.append(proc.memory_info().rss / 2**20)
    return rss


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.statements.speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pages", type=int, default=100)
    args, _ = parser.parse_known_args(argv)
    pages = 10 if args.quick else args.pages
    bare, ours, n = text_speed(pages=min(pages, 30), repeats=2 if args.quick else 5)
    print(f"text PDF ({n} pages): bare PyMuPDF get_text('words') {bare:8.1f} pages/CPU-s")
    build = (
        f"compiled: {len(native.compiled_modules())} modules"
        if native.compiled_modules()
        else "pure Python"
    )
    print(
        f"text PDF ({n} pages): statement engine                {ours:8.1f} pages/CPU-s ({build})"
    )
    print(f"ratio engine / bare: {ours / bare:.2f} (target >= 0.5)")
    wall, cpu = scan_speed(repeats=1 if args.quick else 2)
    print(
        f"scanned page (OCR): {wall:.2f} s wall, {cpu:.2f} s CPU "
        "(target <= 1.5 s on one core; wall time includes waiting for a shared CPU)"
    )
    samples = memory(pages)
    marks = [(k, mb) for k, mb in samples if k > 0]
    print(
        "memory, RSS MB after page k: "
        + ", ".join(f"{k}: {mb:.0f}" for k, mb in marks)
        + f"; after assemble: {dict(samples)[-1]:.0f} (page results kept: "
        f"{dict(samples)[-2]:.1f} MB)"
    )
    growth = marks[-1][1] - marks[1][1] if len(marks) > 1 else 0.0
    print(f"memory growth from page {marks[1][0]} to page {marks[-1][0]}: {growth:+.1f} MB")
    after = memory_across_documents(pages, documents=2 if args.quick else 4)
    print(
        f"RSS MB after each of {len(after)} more different {pages}-page statements: "
        + ", ".join(f"{mb:.1f}" for mb in after)
        + " (the engine's bounded text caches filling, then flat)"
    )


if __name__ == "__main__":
    main()

"""Invoice engine speed on text-layer pages: median ms per page, and the ratio to bare
PyMuPDF ``get_text("words")`` on the same pages in the same run.

    python -m bench.invoices.speed [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pymupdf

from bench.invoices.generate import make_invoice
from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.source import SourceDocument

OPTIONS = ExtractOptions(use_embedded_xml=False)
CORPUS = Path(
    os.environ.get("FINTRACT_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)
LAYOUTS = ["gst_intra", "gst_inter", "eu_vat", "us_sales", "service", "multipage"]


def _engine_ms_per_page(pdf: bytes) -> float:
    """Open, extract every page, assemble, as the pipeline does; per page."""
    started = time.perf_counter()
    source = SourceDocument(pdf)
    extractor = InvoiceExtractor()
    pages = [extractor.extract_page(source, i, OPTIONS) for i in range(source.page_count)]
    extractor.assemble(source, pages, OPTIONS)
    count = source.page_count
    source.close()
    return (time.perf_counter() - started) * 1000 / count


def _bare_ms_per_page(pdf: bytes) -> float:
    started = time.perf_counter()
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    for page in doc:
        page.get_text("words")
    count = doc.page_count
    doc.close()
    return (time.perf_counter() - started) * 1000 / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    per_layout = 2 if args.quick else 4
    docs = [make_invoice(i, layout).pdf for layout in LAYOUTS for i in range(per_layout)]
    for pdf in docs[:2]:  # warm up imports and caches
        _engine_ms_per_page(pdf)
    engine: list[float] = []
    bare: list[float] = []
    for _ in range(repeat):
        for pdf in docs:  # interleaved so both see the same machine load
            engine.append(_engine_ms_per_page(pdf))
            bare.append(_bare_ms_per_page(pdf))
    _report(f"generated invoices ({len(docs)} x {repeat} runs, {', '.join(LAYOUTS)})", engine, bare)
    real = sorted([*CORPUS.glob("invoice2data/*.pdf"), *CORPUS.glob("zugferd/**/*.pdf")])
    if not real:
        print("   corpus absent: real-document timing skipped")
        return
    pdfs = [p.read_bytes() for p in real]
    engine, bare = [], []
    for _ in range(max(1, repeat // 2)):
        for pdf in pdfs:
            engine.append(_engine_ms_per_page(pdf))
            bare.append(_bare_ms_per_page(pdf))
    _report(f"corpus PDFs ({len(pdfs)} invoice2data + ZUGFeRD)", engine, bare)


def _report(title: str, engine: list[float], bare: list[float]) -> None:
    e, b = statistics.median(engine), statistics.median(bare)
    print(f"invoice engine, text-layer pages: {title}")
    print(
        f"   engine            median {e:6.1f} ms/page   p90 "
        f"{statistics.quantiles(engine, n=10)[-1]:6.1f} ms/page"
    )
    print(f"   bare PyMuPDF words median {b:6.1f} ms/page")
    print(f"   ratio engine / bare      {e / b:6.1f}x   (target: <= 30 ms/page)")


if __name__ == "__main__":
    main()

"""Invoice engine speed on text-layer pages: median ms per page, and the ratio to bare
PyMuPDF ``get_text("words")`` on the same pages in the same run.

    python -m bench.invoices.speed [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import pymupdf

from bench.invoices.generate import make_invoice
from services.parser.extract.interface import ExtractOptions
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.source import SourceDocument

OPTIONS = ExtractOptions(use_embedded_xml=False)
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
    e, b = statistics.median(engine), statistics.median(bare)
    print(
        f"invoice engine, text-layer pages ({len(docs)} generated invoices x {repeat} runs, "
        f"{', '.join(LAYOUTS)})"
    )
    print(
        f"   engine            median {e:6.1f} ms/page   p90 "
        f"{statistics.quantiles(engine, n=10)[-1]:6.1f} ms/page"
    )
    print(f"   bare PyMuPDF words median {b:6.1f} ms/page")
    print(f"   ratio engine / bare      {e / b:6.1f}x   (target: <= 30 ms/page)")


if __name__ == "__main__":
    main()

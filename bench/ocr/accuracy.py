"""OCR-level accuracy of engine configurations against generated ground truth, compared.

``python -m bench.ocr.accuracy TAG:key=value,... [TAG:...]`` (values are Python literals,
e.g. ``pre:document_rec_model='/tmp/q/rec_qdq_pw_pre.onnx',det_max_side=1024``; an empty
``base:`` is the defaults). The first configuration is the reference.

Reads, per configuration, 16 generated A4 statement pages (``bench.ocr.samples``; 12 at
171 dpi, i.e. 2000 px long as the statement engine renders scans, every other one
scan-like, and 4 scan-like at 150 dpi; ~3,050 amounts, dates and references) with
``rotation="auto"`` as the statement engine calls it, and the 176 rendered single lines.
Prints exact strings (spaces ignored) and character accuracy, CPU seconds, and the strings
each configuration reads differently from the reference.

Why: the statement eval (``bench.statements.eval --kinds scan,photo``) has only 15
held-out documents, and its scores also move with the parser's sensitivity to word boxes
(a word moved by a few pixels changes a column), so a one-row change there can be noise;
this counts the OCR's own errors on ~20x as many strings, independent of the parser.
"""

from __future__ import annotations

import ast
import sys
import time
from collections.abc import Sequence

from bench.ocr.samples import line_samples, statement_page
from bench.ocr.scoring import Score, score
from services.common.ocr import OcrConfig, OcrEngine


def _config(spec: str) -> tuple[str, OcrConfig]:
    tag, _, pairs = spec.partition(":")
    options = {}
    for pair in filter(None, pairs.split(",")):
        key, _, value = pair.partition("=")
        options[key] = ast.literal_eval(value)
    return tag, OcrConfig(**options)


def main(argv: Sequence[str] | None = None) -> None:
    specs = list(argv if argv is not None else sys.argv[1:]) or ["defaults:"]
    pages = [statement_page(dpi=171, seed=s, scanned=bool(s % 2)) for s in range(1, 13)]
    pages += [statement_page(dpi=150, seed=s, scanned=True) for s in range(20, 24)]
    lines = line_samples()
    results: dict[str, tuple[Score, Score]] = {}
    for spec in specs:
        tag, config = _config(spec)
        engine = OcrEngine(config=config)
        on_pages, on_lines = Score(misses=[]), Score(misses=[])
        start = time.process_time()
        for page in pages:
            score(page, engine.read(page.image, rotation="auto"), on_pages)
        for line in lines:
            score(line, engine.read(line.image), on_lines)
        results[tag] = (on_pages, on_lines)
        print(
            f"{tag:14} pages exact {on_pages.exact}/{on_pages.items} "
            f"chr {on_pages.char_accuracy:.5f}  lines exact {on_lines.exact}/{on_lines.items} "
            f"chr {on_lines.char_accuracy:.5f}  cpu {time.process_time() - start:.1f} s",
            flush=True,
        )
    reference = next(iter(results))
    for tag, scores in results.items():
        if tag == reference:
            continue
        for name, mine, theirs in zip(("pages", "lines"), scores, results[reference], strict=True):
            worse = sorted(set(mine.misses or []) - set(theirs.misses or []))
            better = sorted(set(theirs.misses or []) - set(mine.misses or []))
            print(f"{tag} vs {reference}, {name}: {len(worse)} newly wrong, {len(better)} right")
            for truth, read in worse[:12]:
                print(f"    - {truth!r} read {read!r}")
            for truth, read in better[:12]:
                print(f"    + {truth!r} (was {read!r})")


if __name__ == "__main__":
    main()

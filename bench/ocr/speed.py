"""OCR speed and accuracy per engine configuration, on generated images with ground truth.

``python -m bench.ocr.speed`` (or ``make bench`` with ``--only ocr``; ``--quick`` for a
CI-sized run). Prints one table: wall and CPU time per 1080x2400 UPI screenshot and per
150-dpi A4 statement page (median seconds; with one thread CPU time is the wall time a quiet
machine would show, and it is far less disturbed by other processes), and character /
exact-string accuracy (spaces ignored) on single rendered lines, screenshots and statement
pages. The first row is rapidocr 3.10
with its own defaults, as the suite used it before. Timings on a shared machine are noisy:
the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.ocr.samples import Sample, line_samples, statement_page, upi_screenshot
from bench.ocr.scoring import Score, score
from services.common.ocr import OcrConfig, OcrEngine, OcrResult, OcrWord

Reader = Callable[[Sample], OcrResult]


@dataclass(frozen=True)
class Variant:
    name: str
    threads: int
    make: Callable[[], Reader]


def _engine(config: OcrConfig, **read_options: object) -> Callable[[], Reader]:
    def make() -> Reader:
        engine = OcrEngine(config=config)
        return lambda sample: engine.read(sample.image, **read_options)  # type: ignore[arg-type]

    return make


def _rapidocr_defaults() -> Reader:
    """rapidocr 3.10 as the suite called it before (defaults, angle classifier on)."""
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "Global.return_word_box": True,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )

    def read(sample: Sample) -> OcrResult:
        out = engine(sample.image[:, :, ::-1].copy())
        words: list[OcrWord] = []
        height, width = sample.image.shape[:2]
        if out.txts is None:
            return OcrResult(words=[], width=width, height=height)
        for line_no, (text, conf, box) in enumerate(
            zip(out.txts, out.scores, out.boxes, strict=True)
        ):
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            for token in str(text).split():
                words.append(
                    OcrWord(token, min(xs), min(ys), max(xs), max(ys), float(conf), line_no)
                )
        return OcrResult(words=words, width=width, height=height)

    return read


def variants(quick: bool) -> list[Variant]:
    chosen = OcrConfig()
    rows = [
        Variant("rapidocr 3.10 defaults (before)", 1, _rapidocr_defaults),
        Variant("chosen: rec 32px x1.5, det 1280, latin", 1, _engine(chosen)),
    ]
    if not quick:
        rows += [
            Variant(
                "rec 48px x1.0 (model's own height)",
                1,
                _engine(OcrConfig(rec_height=48, rec_width_scale=1.0)),
            ),
            Variant(
                "rec 48px x0.75 (squeezed)",
                1,
                _engine(OcrConfig(rec_height=48, rec_width_scale=0.75)),
            ),
            Variant(
                "rec 48px, batches padded to >=320",
                1,
                _engine(OcrConfig(rec_height=48, rec_width_scale=1.0, rec_pad_floor=320)),
            ),
            Variant("chosen, no crop margin", 1, _engine(OcrConfig(crop_margin=0.0))),
            # the statement engine's call: the rotation pass's boxes are the page's boxes
            Variant("rotation=auto, one 1280 pass", 1, _engine(chosen, rotation="auto")),
            Variant(
                "rotation=auto, 960 pass kept",
                1,
                _engine(OcrConfig(rotation_det_side=960), rotation="auto"),
            ),
            Variant("chosen, all 18,710 classes", 1, _engine(OcrConfig(charset="full"))),
            Variant("chosen, det 960", 1, _engine(OcrConfig(det_max_side=960))),
            Variant(
                "profile=screenshot (det 960, x1.25)", 1, _engine(OcrConfig(), profile="screenshot")
            ),
            Variant(
                "profile=screenshot, 2 threads",
                2,
                _engine(OcrConfig(threads=2), profile="screenshot"),
            ),
            Variant("chosen, 2 threads", 2, _engine(OcrConfig(threads=2))),
        ]
    return rows


def _run(read: Reader, samples: list[Sample]) -> tuple[float, float, Score]:
    """Median wall and CPU seconds per image, and the accuracy of the same readings."""
    wall, cpu = [], []
    total = Score()
    for sample in samples:
        start, start_cpu = time.perf_counter(), time.process_time()
        result = read(sample)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        score(sample, result, total)
    return statistics.median(wall), statistics.median(cpu), total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.ocr.speed")
    parser.add_argument("--quick", action="store_true", help="two variants, fewer images")
    parser.add_argument(
        "--variant", action="append", default=[], help="only variants whose name contains this"
    )
    parser.add_argument(
        "--rec-model",
        action="append",
        default=[],
        help="also run the chosen settings with this rec model file (e.g. an int8 one)",
    )
    args = parser.parse_args(argv)
    screenshots = [
        upi_screenshot(theme="light", seed=0),
        upi_screenshot(theme="dark", seed=1),
        upi_screenshot(theme="light", seed=2),
        upi_screenshot(theme="dark", seed=3),
    ]
    pages = [statement_page(seed=1), statement_page(seed=2, scanned=True)]
    lines = line_samples()[:: 8 if args.quick else 4]
    if args.quick:
        screenshots, pages = screenshots[:2], pages[1:]
    print(
        f"images: {len(screenshots)} UPI screenshots 1080x2400 (light/dark), {len(pages)} A4 "
        f"statement pages at 150 dpi (1240x1754, ~190 text boxes; clean/scanned), "
        f"{len(lines)} rendered lines; load average before: {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores (shared: timings are noisy)"
    )
    header = (
        f"{'variant':38s} {'thr':>3s} {'upi wall':>8s} {'upi cpu':>7s} "
        f"{'page wall':>9s} {'page cpu':>8s} "
        f"{'line chr':>8s} {'line ex':>7s} {'upi chr':>7s} {'upi ex':>6s} "
        f"{'page chr':>8s} {'page ex':>7s}"
    )
    print(header)
    print("-" * len(header))
    chosen = [
        v
        for v in variants(args.quick)
        if not args.variant or any(k in v.name for k in args.variant)
    ]
    chosen += [
        Variant(f"chosen, rec {Path(path).stem}", 1, _engine(OcrConfig(rec_model=path)))
        for path in args.rec_model
    ]
    for variant in chosen:
        read = variant.make()
        read(screenshots[0])  # warm-up: first-run allocations
        upi_wall, upi_cpu, upi_score = _run(read, screenshots)
        page_wall, page_cpu, page_score = _run(read, pages)
        _, _, line_score = _run(read, lines)
        print(
            f"{variant.name:38s} {variant.threads:3d} {upi_wall:8.2f} {upi_cpu:7.2f} "
            f"{page_wall:9.2f} {page_cpu:8.2f} {line_score.char_accuracy:8.4f} "
            f"{line_score.exact_rate:7.3f} {upi_score.char_accuracy:7.4f} "
            f"{upi_score.exact_rate:6.3f} {page_score.char_accuracy:8.4f} "
            f"{page_score.exact_rate:7.3f}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

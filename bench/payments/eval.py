"""Field accuracy of the offline payment extractor on generated screenshots.

Runs exactly what the service runs (image checks, downscale, the shared OCR engine, the field
extractor) on :mod:`bench.payments.generate`'s screenshots and prints per-field accuracy and
is_payment_screenshot accuracy, DEV styles and HELD-OUT styles separately.

    python -m bench.payments.eval            # 6 screenshots per style x 3 copies + negatives
    python -m bench.payments.eval --quick    # 2 per style
    python -m bench.payments.eval --cache var/payments-ocr   # reuse OCR output between runs
    python -m bench.payments.eval --degraded    # harsher copies of the originals
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import pickle
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from bench.payments.generate import DEV_STYLES, HELDOUT_STYLES, Sample, generate
from services.payments.extract import Page, extract_payment
from services.payments.image import check_image
from services.payments.providers.local import read_page

FIELDS = (
    "amount",
    "currency",
    "payer_name",
    "payee_name",
    "date",
    "time",
    "transaction_status",
    "transaction_id",
    "payment_method",
    "upi_id",
)


def _page(
    sample: Sample, *, max_width: int, det_max_side: int, cache: Path | None
) -> tuple[Page, float]:
    checked = check_image(sample.image)
    if cache is not None:
        suffix = f"-d{det_max_side}" if det_max_side else ""
        path = cache / f"{checked.sha256[:32]}-{max_width}{suffix}.pkl"
        if path.exists():
            page, seconds = pickle.loads(path.read_bytes())
            return page, seconds
    start = time.perf_counter()
    page = read_page(checked.image, max_width=max_width, det_max_side=det_max_side)
    seconds = time.perf_counter() - start
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((page, seconds)))
    return page, seconds


def degrade(sample: Sample, rng: random.Random) -> Sample:
    """A harsher copy than the generator's: shrunk to 45-55%, blurred, JPEG quality 30-45
    (a screenshot forwarded twice through a chat app)."""
    img = Image.open(io.BytesIO(sample.image)).convert("RGB")
    factor = rng.uniform(0.45, 0.55)
    img = img.resize((int(img.width * factor), int(img.height * factor)), Image.Resampling.BILINEAR)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.randint(30, 45))
    return dataclasses.replace(
        sample, image=buf.getvalue(), variant="degraded", name=sample.name + "-degraded"
    )


def _same(field: str, got: Any, want: Any) -> bool:
    if field == "amount":
        return abs(float(got) - float(want)) < 0.005
    return " ".join(str(got).split()) == " ".join(str(want).split())


def evaluate(
    samples: list[Sample],
    *,
    max_width: int,
    cache: Path | None,
    verbose: bool,
    det_max_side: int = 0,
) -> dict[str, Any]:
    per_split: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    detect: dict[str, list[bool]] = defaultdict(list)
    ocr_times: list[float] = []
    for sample in samples:
        page, seconds = _page(sample, max_width=max_width, det_max_side=det_max_side, cache=cache)
        ocr_times.append(seconds)
        result = extract_payment(page)
        group = sample.split
        detect[group].append(result.is_payment_screenshot == sample.is_payment)
        if not sample.is_payment:
            if verbose and result.is_payment_screenshot:
                print(f"  FALSE POSITIVE {sample.name} score={result.payment_score}")
            continue
        got = result.fields.as_dict()
        for name in FIELDS:
            ok = result.is_payment_screenshot and _same(name, got[name], sample.data[name])
            per_split[group][name].append(ok)
            if verbose and not ok:
                print(
                    f"  {sample.name:40s} {name:18s} got={got[name]!r} want={sample.data[name]!r}"
                )
        if verbose and not result.is_payment_screenshot:
            print(f"  MISSED {sample.name} score={result.payment_score}")
    return {"fields": per_split, "detect": detect, "ocr_times": ocr_times}


def _table(report: dict[str, Any]) -> str:
    fields = report["fields"]
    splits = [s for s in ("dev", "heldout") if s in fields]
    out = [f"{'field':20s}" + "".join(f"{s:>12s}" for s in splits)]
    for name in FIELDS:
        row = f"{name:20s}"
        for split in splits:
            vals = fields[split][name]
            row += f"{sum(vals) / len(vals):>12.3f}" if vals else f"{'-':>12s}"
        out.append(row)
    counts = "".join(f"{len(fields[s]['amount']):>12d}" for s in splits)
    out.append(f"{'(screenshots)':20s}{counts}")
    out.append("")
    det = report["detect"]
    out.append("is_payment_screenshot accuracy:")
    for split in ("dev", "heldout", "negative"):
        if det.get(split):
            vals = det[split]
            out.append(f"  {split:10s} {sum(vals) / len(vals):.3f}  ({sum(vals)}/{len(vals)})")
    allv = [v for vals in det.values() for v in vals]
    out.append(f"  {'all':10s} {sum(allv) / len(allv):.3f}  ({sum(allv)}/{len(allv)})")
    times = sorted(report["ocr_times"])
    if times:
        out.append(
            f"\nOCR seconds per image (measured, or cached from an earlier run): "
            f"p50 {times[len(times) // 2]:.2f}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="payment extractor accuracy")
    parser.add_argument("--quick", action="store_true", help="2 screenshots per style")
    parser.add_argument("--per-style", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--styles", default="", help="comma-separated subset of styles")
    parser.add_argument("--no-variants", action="store_true", help="originals only")
    parser.add_argument(
        "--max-width", type=int, default=int(os.environ.get("PAYMENTS_OCR_MAX_WIDTH", "720"))
    )
    parser.add_argument(
        "--det-max-side", type=int, default=int(os.environ.get("PAYMENTS_OCR_DET_MAX_SIDE", "960"))
    )
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep OCR output in")
    parser.add_argument(
        "--degraded", action="store_true", help="harsher copies only (see degrade())"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    per_style = args.per_style or (2 if args.quick else 6)
    styles = tuple(s for s in args.styles.split(",") if s) or (*DEV_STYLES, *HELDOUT_STYLES)
    samples = generate(
        seed=args.seed,
        per_style=per_style,
        variants=not args.no_variants,
        styles=styles,
        negatives_per_kind=max(1, per_style // 2) if not args.styles else 0,
    )
    if args.degraded:
        rng = random.Random(args.seed)
        samples = [degrade(s, rng) for s in samples if s.variant == "original"]
    start = time.perf_counter()
    report = evaluate(
        samples,
        max_width=args.max_width,
        det_max_side=args.det_max_side,
        cache=args.cache,
        verbose=args.verbose,
    )
    print(
        f"payments eval: {len(samples)} images, seed {args.seed}, {per_style}/style, "
        f"OCR max width {args.max_width}px, detector side {args.det_max_side or 'default'}, "
        f"{time.perf_counter() - start:.0f}s"
    )
    print(f"DEV styles: {', '.join(DEV_STYLES)}; HELD-OUT styles: {', '.join(HELDOUT_STYLES)}\n")
    print(_table(report))


if __name__ == "__main__":
    main()

"""``make bench``: every speed benchmark."""

from __future__ import annotations

import sys

from bench._runner import run_all

SPEED = [
    "bench.ocr.speed",
    "bench.statements.speed",
    "bench.invoices.speed",
    "bench.payments.speed",
    "bench.pipeline",
    "bench.hybrid.run",
]

if __name__ == "__main__":
    sys.exit(run_all("speed", SPEED, sys.argv[1:]))

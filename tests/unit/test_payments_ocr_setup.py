"""How the payments service sets up OCR: the screenshot profile, its own thread count, and
detector threads that sleep instead of spinning (same readings as the default engine)."""

from __future__ import annotations

import random

import numpy as np

from bench.payments.generate import render_payment
from services.common.ocr import OcrConfig, OcrEngine


def _words(engine: OcrEngine, image: np.ndarray) -> list[str]:
    return [w.text for w in engine.read(image, profile="screenshot").words]


def test_two_sleeping_threads_read_what_one_thread_reads() -> None:
    image, _ = render_payment("phonepe", random.Random(7), theme="dark", size="1080p")
    array = np.asarray(image.convert("RGB"))
    single = OcrEngine(threads=1)
    pair = OcrEngine(config=OcrConfig(threads=2, spin_wait=False))
    assert pair.config.threads == 2
    words = _words(single, array)
    assert any(any(ch.isdigit() for ch in w) for w in words)
    assert _words(pair, array) == words

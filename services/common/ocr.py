"""The suite's one offline OCR engine: RapidOCR with the PP-OCR models that ship inside its
PyPI wheel (nothing is downloaded at run time). Loaded once per process, pinned to one
inference thread per worker process unless ``OCR_THREADS`` says otherwise.

Callers hand in an image (RGB/gray numpy array or encoded bytes) and get words with boxes in
the image's pixel coordinates and a recognition confidence.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

MODEL_NAME = "rapidocr-ppocr"


@dataclass(frozen=True, slots=True)
class OcrWord:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    confidence: float
    line: int  # index of the text line (detector box) the word came from


@dataclass(frozen=True, slots=True)
class OcrResult:
    words: list[OcrWord]
    width: int
    height: int

    @property
    def mean_confidence(self) -> float:
        if not self.words:
            return 0.0
        return float(sum(w.confidence for w in self.words) / len(self.words))


class OcrEngine:
    """A loaded RapidOCR engine. Use :func:`ocr_engine` to share one per process."""

    def __init__(self, *, threads: int = 1) -> None:
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params={
                "Global.log_level": "warning",
                "Global.return_word_box": True,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self._lock = threading.Lock()  # onnxruntime sessions are used one call at a time here

    def read(self, image: np.ndarray | bytes) -> OcrResult:
        """Recognise text in an image. ``image`` is HxW(x3) uint8 RGB/gray, or encoded bytes."""
        array = _as_array(image)
        with self._lock:
            output: Any = self._engine(array)
        words: list[OcrWord] = []
        height, width = array.shape[:2]
        if output.txts is None:
            return OcrResult(words=[], width=width, height=height)
        word_results = output.word_results or ()
        for line_no, (text, score, box) in enumerate(
            zip(output.txts, output.scores, output.boxes, strict=True)
        ):
            parts = word_results[line_no] if line_no < len(word_results) else ()
            if parts and len(parts) > 0 and all(len(p) == 3 for p in parts):
                for part_text, part_score, part_box in parts:
                    xs = [p[0] for p in part_box]
                    ys = [p[1] for p in part_box]
                    words.append(
                        OcrWord(str(part_text), min(xs), min(ys), max(xs), max(ys),
                                float(part_score), line_no)
                    )
            else:
                xs = [float(p[0]) for p in box]
                ys = [float(p[1]) for p in box]
                for token in str(text).split():
                    words.append(
                        OcrWord(token, min(xs), min(ys), max(xs), max(ys), float(score), line_no)
                    )
        return OcrResult(words=words, width=width, height=height)


def _as_array(image: np.ndarray | bytes) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    import io

    from PIL import Image

    with Image.open(io.BytesIO(image)) as pil:
        return np.asarray(pil.convert("RGB"))


_engine: OcrEngine | None = None
_engine_lock = threading.Lock()


def ocr_engine() -> OcrEngine:
    """The process-wide engine, loaded on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = OcrEngine(threads=int(os.environ.get("OCR_THREADS", "1")))
        return _engine


__all__ = ["MODEL_NAME", "OcrEngine", "OcrResult", "OcrWord", "ocr_engine"]

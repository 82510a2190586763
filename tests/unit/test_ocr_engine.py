"""The shared OCR engine on text rendered in the test (DejaVu fonts bundled with matplotlib)."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from services.common import ocr
from services.common.ocr import OcrEngine, OcrResult, OcrWord, ocr_engine


def _font(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    import matplotlib

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf" / name), size)


def _render(
    lines: list[tuple[int, int, str]],
    *,
    size: tuple[int, int] = (900, 300),
    font_size: int = 34,
    dark: bool = False,
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Text at (x, y) positions; returns the RGB image and each text's ink box."""
    background, ink = ((18, 18, 24), (235, 235, 235)) if dark else ((255, 255, 255), (20, 20, 20))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    font = _font(font_size)
    boxes = []
    for x, y, text in lines:
        draw.text((x, y), text, font=font, fill=ink)
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
        boxes.append((int(x0), int(y0), int(x1), int(y1)))
    return np.asarray(image), boxes


def _text(result: OcrResult) -> str:
    return " ".join(w.text for w in result.words)


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return ocr_engine()


def test_the_process_wide_engine_is_loaded_once(engine: OcrEngine) -> None:
    assert ocr_engine() is engine
    assert engine.config.threads >= 1


def test_loads_and_reads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network use during OCR load")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = OcrEngine(threads=1)
    image, _ = _render([(40, 40, "Payment Successful")], size=(600, 140))
    assert _text(fresh.read(image)) == "Payment Successful"
    assert ocr.model_dir().is_dir()


@pytest.mark.parametrize(
    "text",
    ["₹1,000", "Rs. 2,50,000.00", "example@okaxis", "UPI transaction ID 567735198192"],
)
@pytest.mark.parametrize("dark", [False, True])
def test_reads_a_rendered_line_exactly(engine: OcrEngine, text: str, dark: bool) -> None:
    image, _ = _render([(40, 60, text)], dark=dark)
    assert _text(engine.read(image)) == text


def test_screenshot_profile_reads_a_receipt(engine: OcrEngine) -> None:
    rows = [
        (120, 60, "Payment Successful"),
        (120, 160, "₹1,000"),
        (120, 280, "Paid to SUDIPTO KUMAR"),
        (120, 360, "example@okaxis"),
        (120, 460, "UPI transaction ID"),
        (120, 530, "100005198192"),
        (120, 630, "8 Nov 2025, 1:24 pm"),
    ]
    image, _ = _render(rows, size=(1080, 2400), font_size=40, dark=True)
    text = _text(engine.read(image, profile="screenshot"))
    for _x, _y, expected in rows:
        assert expected in text


def test_words_sit_where_they_were_rendered(engine: OcrEngine) -> None:
    image, boxes = _render(
        [(60, 40, "paid to SUDIPTO KUMAR"), (520, 180, "567735198192")], size=(1000, 300)
    )
    result = engine.read(image)
    assert (result.width, result.height) == (1000, 300)
    by_text = {w.text: w for w in result.words}
    assert {"paid", "to", "SUDIPTO", "KUMAR", "567735198192"} <= set(by_text)
    x0, y0, x1, y1 = boxes[1]
    word = by_text["567735198192"]
    assert _iou((word.x0, word.y0, word.x1, word.y1), (x0, y0, x1, y1)) > 0.5
    # words of one line are left to right, inside the line's ink box, on the same line index
    first_line = [by_text[t] for t in ("paid", "to", "SUDIPTO", "KUMAR")]
    assert len({w.line for w in first_line}) == 1
    assert [w.x0 for w in first_line] == sorted(w.x0 for w in first_line)
    lx0, ly0, lx1, ly1 = boxes[0]
    for w in first_line:
        assert lx0 - 12 <= w.x0 < w.x1 <= lx1 + 12
        assert ly0 - 12 <= w.y0 < w.y1 <= ly1 + 12
    assert by_text["KUMAR"].line != word.line


def test_confidences_are_probabilities(engine: OcrEngine) -> None:
    image, _ = _render([(40, 40, "8 Nov 2025, 1:24 pm"), (40, 160, "Debited from HDFC Bank")])
    words = engine.read(image).words
    assert words
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    assert all(isinstance(w, OcrWord) for w in words)


def test_encoded_bytes_and_grey_input(engine: OcrEngine) -> None:
    image, _ = _render([(40, 60, "9876543210@paytm")])
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    assert _text(engine.read(buffer.getvalue())) == "9876543210@paytm"
    grey = np.asarray(Image.fromarray(image).convert("L"))
    assert _text(engine.read(grey)) == "9876543210@paytm"


def test_blank_image_gives_no_words(engine: OcrEngine) -> None:
    result = engine.read(np.full((400, 300, 3), 255, dtype=np.uint8))
    assert result.words == []
    assert result.mean_confidence == 0.0


def _page() -> np.ndarray:
    rows = [
        (60, 60, "STATEMENT OF ACCOUNT"),
        (60, 130, "01 Oct 2025  Opening Balance  1,23,456.78"),
        (60, 200, "03 Oct 2025  NEFT-HDFC0001234  25,000.00"),
        (60, 270, "05 Oct 2025  ATM WDL MUMBAI  2,000.00"),
        (60, 340, "09 Oct 2025  SALARY OCT 2025  85,000.00"),
        (60, 410, "12 Oct 2025  POS AMAZON PAY  1,349.00"),
    ]
    image, _ = _render(rows, size=(1000, 520), font_size=30)
    return image


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_detects_the_rotation_of_a_page(engine: OcrEngine, turned: int) -> None:
    page = _page()
    rotated = np.ascontiguousarray(np.rot90(page, k=-turned // 90))  # content turned clockwise
    assert engine.detect_rotation(rotated) == turned
    result = engine.read(rotated, rotation="auto")
    assert result.rotation == turned
    assert (result.width, result.height) == (1000, 520)
    assert "1,23,456.78" in _text(result)


def test_read_regions_reads_known_boxes(engine: OcrEngine) -> None:
    image, boxes = _render([(40, 40, "UTR 431298765012"), (40, 170, "ramesh.k92@ybl")])
    padded = [(x0 - 10, y0 - 8, x1 + 10, y1 + 8) for x0, y0, x1, y1 in boxes]
    first, second = engine.read_regions(image, padded)
    assert _text(first) == "UTR 431298765012"
    assert _text(second) == "ramesh.k92@ybl"
    assert all(w.line == 1 for w in second.words)
    x0, y0, x1, y1 = boxes[1]
    word = second.words[0]
    assert _iou((word.x0, word.y0, word.x1, word.y1), (x0, y0, x1, y1)) > 0.5


def test_lookalike_fixes_are_narrow() -> None:
    fix = ocr._fix_lookalikes
    assert "".join(fix(list("UPl/ramesh.k92@ybl"))) == "UPI/ramesh.k92@ybl"
    assert "".join(fix(list("SBlN0001234 0ct"))) == "SBIN0001234 Oct"
    assert "".join(fix(list("YESB/uber@ybI"))) == "YESB/uber@ybl"
    for kept in ("ybl", "Bill", "Ml", "2,000.00", "l0ct", "McIntosh", "eID", "Ibis", "aI"):
        assert "".join(fix(list(kept))) == kept
    assert ocr._normalise_char("：") == ":"
    assert ocr._normalise_char("₹") == "₹"


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_two_threads_read_the_same_as_one(engine: OcrEngine) -> None:
    image, _ = _render(
        [(40, 30, "UPI transaction ID"), (40, 110, "567735198192"), (40, 190, "₹2,50,000")],
        size=(700, 280),
    )
    parallel = OcrEngine(threads=2)
    assert parallel.config.threads == 2
    one, two = engine.read(image), parallel.read(image)
    assert [(w.text, round(w.x0), round(w.y0)) for w in two.words] == [
        (w.text, round(w.x0), round(w.y0)) for w in one.words
    ]


def _count_detector_passes(engine: OcrEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The longer-side limit of every detector pass the engine runs from now on."""
    sides: list[int] = []
    detect = engine._detect

    def counted(bgr: np.ndarray, max_side: int) -> list[np.ndarray]:
        sides.append(max_side)
        return detect(bgr, max_side)

    monkeypatch.setattr(engine, "_detect", counted)
    return sides


def test_an_upright_page_is_detected_once(
    engine: OcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page()
    sides = _count_detector_passes(engine, monkeypatch)
    result = engine.read(page, rotation="auto")
    assert result.rotation == 0
    assert sides == [1280]  # the rotation pass's boxes were kept
    assert "1,23,456.78" in _text(result)
    sides.clear()
    turned = engine.read(np.ascontiguousarray(np.rot90(page, k=-1)), rotation="auto")
    assert turned.rotation == 90
    assert sides == [1280, 1280]  # a turned page is detected again, upright


def test_a_smaller_rotation_pass_is_kept_only_for_tall_enough_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image, _ = _render(
        [(60, 40, "Closing balance 12,345.67"), (60, 90, "Opening balance 2,000.00")],
        size=(2400, 400),
        font_size=22,
    )
    for min_px, passes in ((8, [960]), (40, [960, 1280])):  # boxes are ~13 px at 960
        small = OcrEngine(config=ocr.OcrConfig(rotation_det_side=960, det_min_text_px=min_px))
        sides = _count_detector_passes(small, monkeypatch)
        result = small.read(image, rotation="auto")
        assert sides == passes
        assert "12,345.67" in _text(result)


def test_kept_boxes_are_made_as_tall_as_a_full_pass_makes_them() -> None:
    quad = np.array([[10, 100], [410, 100], [410, 140], [10, 140]], dtype=np.float32)
    (moved,) = ocr._as_if_detected_at([quad], (2000, 1414), 960, 1280)
    shrink = ocr._DET_PAD_HEIGHT * (2000 / 960 - 2000 / 1280)
    assert moved[3, 1] - moved[0, 1] == pytest.approx(40 - shrink, abs=0.01)
    assert (moved[0, 0], moved[1, 0]) == (10, 410)  # the length is kept
    assert ocr._as_if_detected_at([quad], (2000, 1414), 1280, 1280)[0] is quad


def test_batches_pad_little_and_keep_heights_apart() -> None:
    sizes = [(32, w) for w in (40, 48, 48, 56, 300, 320, 900)] + [(48, 64), (48, 72)]
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    groups = ocr._batches(order, sizes, 8, 0)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    for group in groups:
        assert len({sizes[i][0] for i in group}) == 1
        assert len(group) <= 8
    by_width = {tuple(sizes[i][1] for i in g) for g in groups}
    assert (900,) in by_width  # the one long line is not padded with the short ones
    assert (300, 320) in by_width
    assert all(len(g) <= 2 for g in ocr._batches(order, sizes, 2, 0))


def test_a_rec_model_already_sliced_to_latin_is_loaded_as_it_is(
    engine: OcrEngine, tmp_path: Path
) -> None:
    """How ``bench/ocr/quantise.py`` writes models (and ``OCR_REC_MODEL`` loads them): the
    Latin classes sliced once in the file, not sliced again at load."""
    import onnx

    data, classes = ocr._prepare_rec(
        ocr.model_dir() / ocr._REC_MODEL, free_height=True, charset="latin"
    )
    assert isinstance(data, bytes) and classes[-1] == " "
    model = onnx.load_from_string(data)
    for prop in model.metadata_props:
        if prop.key == "character":
            prop.value = "\n".join(classes[1:-1])
    path = tmp_path / "rec_latin.onnx"
    onnx.save(model, str(path))
    sliced = OcrEngine(config=ocr.OcrConfig(rec_model=str(path)))
    assert sliced._charset == classes
    image, _ = _render([(20, 40, "Closing balance 13,733.81"), (20, 140, "UPI/DR/4521/AMAZON")])
    assert _text(sliced.read(image)) == _text(engine.read(image))
    assert _text(sliced.read(image)) == "Closing balance 13,733.81 UPI/DR/4521/AMAZON"


def test_documents_read_with_the_int8_recogniser_and_screenshots_with_fp32(
    engine: OcrEngine,
) -> None:
    """The shipped int8 model is what profile="document" runs, it reads a statement's lines as
    the fp32 model does, and screenshots (and known regions) stay on fp32."""
    assert ocr.DOCUMENT_REC_MODEL.is_file()
    lines = [
        (20, 40, "Closing balance 13,733.81"),
        (20, 140, "UPI/DR/4521/AMAZON"),
        (20, 240, "01/10/2024 to 31/10/2024"),
    ]
    image, _ = _render(lines)
    int8 = engine.read(image)
    assert engine._rec_active is engine._document_recogniser()
    assert engine._document_recogniser() is not engine._rec  # a second, int8 session
    fp32 = OcrEngine(config=ocr.OcrConfig(document_rec_model=None)).read(image)
    assert _text(int8) == _text(fp32) == " ".join(text for _, _, text in lines)
    engine.read(image, profile="screenshot")
    assert engine._rec_active is engine._rec

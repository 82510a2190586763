"""Static int8 variants of the rec model: build, time per column, compare readings with fp32.

``python -m bench.ocr.quantise OUT_DIR [--variants qdq_all,qop_backbone,...]``

Calibration: the line images the engine itself feeds the recogniser (32 px high, batches
as in :meth:`OcrEngine._rec_lines`) on scanned pages and photos of the statement
generator's DEV layouts only (seeds 600+, never the eval's 100/101/200 or speed's 3), so
nothing held-out is seen. The fp32 model is the in-memory one the engine loads (free
height, Latin classes), written out first; each variant quantises it with
``quantize_static`` (activations u8, weights s8 per channel, ``reduce_range=False``).

Reported per variant: CPU us per 32-px input column on the calibration batches (one
thread, fp32 measured in the same run) and, on other DEV pages (seeds 700+), the share of
lines read exactly as the fp32 model reads them, with the first differences.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.statements.generate import LAYOUTS, make_case
from services.common.ocr import (
    _REC_MODEL,
    OcrConfig,
    OcrEngine,
    _fuse_gelu,
    _prepare_rec,
    model_dir,
)

BACKBONE_CONVS = [f"Conv.{i}" for i in range(54)]  # Conv.54-56 and the MatMuls: neck/head


class _Recorder:
    """Stands in for the engine's rec session and keeps every input batch."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.blobs: list[np.ndarray] = []

    def get_inputs(self) -> Any:
        return self._session.get_inputs()

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.blobs.extend(feeds.values())
        return self._session.run(names, feeds)


def dev_pages(seeds: Sequence[int]) -> Iterator[tuple[str, np.ndarray | bytes]]:
    """Page 1 of DEV-layout scans (150/200/300 dpi in turn, upright) and photos."""
    import pymupdf

    dev = [layout for layout in LAYOUTS if layout.split == "dev"]
    for n, seed in enumerate(seeds):
        for index, layout in enumerate(dev):
            dpi = (150, 200, 300)[(index + n) % 3]
            case = make_case(layout, seed, "scan", rows=18, dpi=dpi, turn=0)
            doc = pymupdf.open(stream=case.content, filetype="pdf")
            pix = doc[0].get_pixmap(dpi=dpi)
            image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, -1)
            doc.close()
            yield f"{layout.name}-{seed}-scan", np.ascontiguousarray(image[:, :, :3])
            photo = make_case(layout, seed, "photo", rows=16)
            yield f"{layout.name}-{seed}-photo", photo.content


def write_fp32(out: Path) -> Path:
    import onnx
    from onnx import version_converter

    data, classes = _prepare_rec(model_dir() / _REC_MODEL, free_height=True, charset="latin")
    assert isinstance(data, bytes) and classes[0] == "" and classes[-1] == " "
    # opset 11 has no per-channel (axis) DequantizeLinear: convert to 17 first
    model = version_converter.convert_version(onnx.load_from_string(data), 17)
    for prop in model.metadata_props:
        if prop.key == "character":
            prop.value = "\n".join(classes[1:-1])
    path = out / "rec_fp32_latin.onnx"
    onnx.save(model, str(path))
    return path


def preprocessed(fp32: Path) -> Path:
    """``fp32`` after onnxruntime's quantisation pre-processing (basic graph fusions: the
    exporter's separate bias Adds go into their Convs), its erf-GELUs then fused into
    ``com.microsoft`` Gelu nodes. Without that, onnxruntime gives every consumer of a
    dequantised tensor its own DequantizeLinear and no longer recognises the
    Div/Erf/Add/Mul/Mul pattern: five element-wise passes instead of one."""
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    path = fp32.with_name(fp32.stem + "_pre.onnx")
    quant_pre_process(str(fp32), str(path), skip_symbolic_shape=True)
    model = onnx.load(str(path))
    _fuse_gelu(model, "Gelu")  # exact erf GELU in the file; the engine may swap it at load
    onnx.save(model, str(path))
    return path


def calibration(blobs: list[np.ndarray], limit_crops: int) -> list[np.ndarray]:
    """Every k-th batch so that about ``limit_crops`` line images remain."""
    total = sum(b.shape[0] for b in blobs)
    step = max(1, round(total / limit_crops))
    return blobs[::step]


def pointwise_convs(fp32: Path) -> list[str]:
    """The backbone's 1x1, ungrouped Conv nodes."""
    return conv_groups(fp32)["pw"]


def conv_groups(fp32: Path) -> dict[str, list[str]]:
    """The backbone's Conv nodes by kind: ``pw`` (1x1, ungrouped), ``dw`` (depthwise),
    ``stem`` (the other dense convs after the first), ``conv0`` (the first, on the image)."""
    import onnx

    model = onnx.load(str(fp32))
    shapes = {t.name: list(t.dims) for t in model.graph.initializer}
    groups: dict[str, list[str]] = {"pw": [], "dw": [], "stem": [], "conv0": []}
    for node in model.graph.node:
        if node.op_type != "Conv" or node.name not in BACKBONE_CONVS:
            continue
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        if node.name == "Conv.0":
            groups["conv0"].append(node.name)
        elif group > 1:
            groups["dw"].append(node.name)
        elif shapes[node.input[1]][2:] == [1, 1]:
            groups["pw"].append(node.name)
        else:
            groups["stem"].append(node.name)
    return groups


def quantise(fp32: Path, out: Path, name: str, blobs: list[np.ndarray]) -> Path:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._it = iter(blobs)

        def get_next(self) -> dict[str, np.ndarray] | None:
            blob = next(self._it, None)
            return None if blob is None else {"x": blob}

    fmt, scope, *rest = name.split("_")
    options: dict[str, Any] = {}
    if "pct" in rest:  # clip activation ranges at the 99.999th percentile, not min/max
        options["calibrate_method"] = CalibrationMethod.Percentile
        options["extra_options"] = {"CalibPercentile": 99.999}
    if "rr" in rest:  # 7-bit weights: no int16 saturation in AVX2's VPMADDUBSW
        options["reduce_range"] = True
    if "pre" in rest:  # ORT's basic fusions first: the exporter's separate bias Adds go
        # into their Convs, so a quantised conv's bias is added in int32, not by an fp32 Add
        fp32 = preprocessed(fp32)
    if scope == "pw":  # the backbone's 1x1 convolutions (83% of the time), nothing else
        options["nodes_to_quantize"] = pointwise_convs(fp32)
    elif "+" in scope:  # e.g. pw+stem, pw+dw: the union of conv_groups' kinds
        kinds = conv_groups(fp32)
        options["nodes_to_quantize"] = [n for kind in scope.split("+") for n in kinds[kind]]
    elif scope == "backbone":
        options["nodes_to_quantize"] = BACKBONE_CONVS
    elif scope == "backbone1":  # not the first conv either
        options["nodes_to_quantize"] = BACKBONE_CONVS[1:]
    elif scope == "convs":  # every Conv, no MatMul
        options["op_types_to_quantize"] = ["Conv"]
    path = out / f"rec_{name}.onnx"
    quantize_static(
        str(fp32),
        str(path),
        Reader(),
        quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
        per_channel=True,
        reduce_range=options.pop("reduce_range", False),
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        **options,
    )
    return path


def column_cost(path: Path, blobs: list[np.ndarray], repeats: int = 3) -> float:
    """CPU us per 32-px input column (best of ``repeats`` passes over ``blobs``)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    columns = sum(b.shape[0] * b.shape[3] for b in blobs)
    session.run(None, {"x": blobs[0]})
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for blob in blobs:
            session.run(None, {"x": blob})
        best = min(best, time.process_time() - start)
    return float(best / columns * 1e6)


def readings(path: Path | None, pages: list[tuple[str, np.ndarray | bytes]]) -> list[str]:
    engine = OcrEngine(config=OcrConfig(rec_model=str(path) if path else None))
    lines: list[str] = []
    for name, image in pages:
        result = engine.read(image)
        by_line: dict[int, list[str]] = {}
        for word in result.words:
            by_line.setdefault(word.line, []).append(word.text)
        lines.extend(f"{name}: {' '.join(words)}" for words in by_line.values())
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--variants",
        default="qdq_all,qop_all,qdq_backbone,qdq_backbone1,qop_backbone,qop_backbone1",
    )
    parser.add_argument("--crops", type=int, default=400)
    parser.add_argument("--build-only", action="store_true", help="no timing, no comparison")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    fp32 = write_fp32(args.out)

    engine = OcrEngine(config=OcrConfig(document_rec_model=None))  # fp32 for every profile
    recorder = _Recorder(engine._rec)
    engine._rec = recorder
    for _name, image in dev_pages([600]):
        engine.read(image)
    blobs = calibration(recorder.blobs, args.crops)
    print(f"calibration: {sum(b.shape[0] for b in blobs)} line images, {len(blobs)} batches")
    if args.build_only:
        for name in args.variants.split(","):
            print(name, quantise(fp32, args.out, name, blobs), flush=True)
        return
    check_pages = list(dev_pages([700]))
    reference = readings(fp32, check_pages)
    base = column_cost(fp32, blobs)
    print(f"{'variant':16} {'us/col':>7} {'ratio':>6} {'same lines':>11}")
    print(f"{'fp32 latin':16} {base:7.1f} {1.0:6.2f} {1.0:11.3f}  ({len(reference)} lines)")
    for name in args.variants.split(","):
        path = quantise(fp32, args.out, name, blobs)
        cost = column_cost(path, blobs)
        got = readings(path, check_pages)
        same = sum(a == b for a, b in zip(reference, got, strict=False)) / max(1, len(reference))
        print(f"{name:16} {cost:7.1f} {cost / base:6.2f} {same:11.3f}  ({len(got)} lines)")
        diffs = [(a, b) for a, b in zip(reference, got, strict=False) if a != b][:4]
        for a, b in diffs:
            print(f"    fp32 {a!r}\n    int8 {b!r}")


if __name__ == "__main__":
    main()

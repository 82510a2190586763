"""The engine's mypyc build: used when it matches its sources, never when it does not, and
the compiled modules give exactly what the sources give."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.parser.extract import native

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


def _tree(tmp_path: Path, *, recorded: str) -> tuple[Path, Path]:
    """A package folder with one "compiled" module and the manifest of its build."""
    source = tmp_path / "text" / "lines.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    (tmp_path / "text" / f"lines{SUFFIX}").write_bytes(b"")
    (tmp_path / "native_build.json").write_text(json.dumps({"text/lines.py": recorded}))
    return source, tmp_path


def test_a_build_of_the_same_source_is_not_stale(tmp_path: Path) -> None:
    source, root = _tree(tmp_path, recorded=hashlib.sha256(b"VALUE = 1\n").hexdigest())
    assert native._builds(root) == [(source.with_name(f"lines{SUFFIX}"), source)]
    assert native._stale([source], root) == []


def test_an_edited_source_makes_its_build_stale(tmp_path: Path) -> None:
    source, root = _tree(tmp_path, recorded=hashlib.sha256(b"VALUE = 1\n").hexdigest())
    source.write_text("VALUE = 2\n")
    assert native._stale([source], root) == [source]


def test_a_build_without_manifest_is_stale(tmp_path: Path) -> None:
    source, root = _tree(tmp_path, recorded="")
    (root / "native_build.json").unlink()
    assert native._stale([source], root) == [source]


def test_the_source_first_finder_loads_the_python_source(tmp_path: Path) -> None:
    source, _ = _tree(tmp_path, recorded="")
    finder = native._SourceFirst({source.resolve()})
    name = f"{native._PACKAGE}.text.lines"
    spec = finder.find_spec(name, [str(source.parent)])
    assert spec is not None and spec.origin == str(source.resolve())
    assert finder.find_spec("elsewhere.lines", [str(source.parent)]) is None
    assert finder.find_spec(f"{native._PACKAGE}.text.other", [str(source.parent)]) is None


_PARSE = """
import json, sys
from bench.invoices.generate import make_invoice
from bench.statements.generate import LAYOUTS, make_case
from services.parser.extract import ExtractOptions, SourceDocument, native
from services.parser.extract.invoice import InvoiceExtractor
from services.parser.extract.statement import StatementExtractor
out = {"compiled": None, "results": []}
for layout in [lay for lay in LAYOUTS if lay.split in ("dev", "heldout")]:  # FRESH, BLIND unseen
    case = make_case(layout, 5, "text")
    source = SourceDocument(case.content)
    engine, options = StatementExtractor(), ExtractOptions()
    pages = [engine.extract_page(source, i, options) for i in range(source.page_count)]
    out["results"].append(engine.assemble(source, pages, options).result.model_dump(mode="json"))
for layout in ("gst_intra", "eu_vat", "us_sales", "multipage"):
    source = SourceDocument(make_invoice(3, layout).pdf)
    invoices, options = InvoiceExtractor(), ExtractOptions()
    pages = [invoices.extract_page(source, i, options) for i in range(source.page_count)]
    out["results"].append(invoices.assemble(source, pages, options).result.model_dump(mode="json"))
out["compiled"] = native.compiled_modules()
json.dump(out, sys.stdout)
"""


def _parse_all(*, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "FINTRACT_PURE_PYTHON"}
    if pure:
        env["FINTRACT_PURE_PYTHON"] = "1"
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", _PARSE],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not native._builds(), reason="no compiled build here (pure Python install)")
def test_compiled_and_pure_python_give_the_same_results() -> None:
    assert native.stale_builds() == [], "compiled modules are stale: run `make native`"
    compiled, pure = _parse_all(pure=False), _parse_all(pure=True)
    assert len(compiled["compiled"]) == len(native._builds())  # type: ignore[arg-type]
    assert pure["compiled"] == []
    assert compiled["results"] == pure["results"]
    assert len(compiled["results"]) >= 12  # type: ignore[arg-type]


@pytest.mark.skipif(os.environ.get("CI", "") == "", reason="CI checks that the build happened")
def test_ci_runs_the_compiled_engine() -> None:
    assert native._builds(), "make setup compiled nothing: is a C compiler installed?"

"""The committed generated code in fintract/api must match what protos/ generates now."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generated(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "fintract" / "api").rglob("*_pb2*.py*"))
    }


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    (tmp_path / "fintract" / "api").mkdir(parents=True)
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(
        [str(ROOT / "scripts" / "gen_protos.sh"), str(tmp_path)],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    fresh = _generated(tmp_path)
    committed = _generated(ROOT)
    assert fresh, "generator produced nothing"
    stale = sorted(k for k in fresh.keys() | committed.keys() if fresh.get(k) != committed.get(k))
    assert not stale, f"run `make protos`: stale generated files {stale}"

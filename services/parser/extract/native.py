"""The engine's compiled modules (mypyc, built by ``setup.py``) and a guard against stale ones.

A compiled module (``lines.cpython-311-x86_64-linux-gnu.so``) sits beside its source and
Python prefers it. After an edit the build no longer matches the source; importing it would
run yesterday's code. The build leaves ``native_build.json`` (each source's SHA-256 when it
was compiled); when a source differs from it, :func:`guard` (called by the package before
any engine module loads) makes every module of the engine load from its source instead, with
one warning, until ``make native`` rebuilds them. All or none: compiled modules call each
other directly, so one stale module cannot be swapped alone. ``FINTRACT_PURE_PYTHON=1``
asks for the sources without a warning (to compare the two, or to debug).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["compiled_modules", "guard", "stale_builds"]

_ROOT = Path(__file__).resolve().parent
_PACKAGE = __name__.rsplit(".", 1)[0]  # services.parser.extract
_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _builds(root: Path = _ROOT) -> list[tuple[Path, Path]]:
    """(compiled file, its source) for every compiled module under ``root``."""
    out: list[tuple[Path, Path]] = []
    for built in root.rglob("*.so"):
        for suffix in _SUFFIXES:
            if built.name.endswith(suffix):
                source = built.with_name(built.name[: -len(suffix)] + ".py")
                if source.exists():
                    out.append((built, source))
                break
    return out


def stale_builds() -> list[Path]:
    """Sources that differ from what their compiled module was built from."""
    return _stale([src for _, src in _builds()])


def _stale(sources: list[Path], root: Path = _ROOT) -> list[Path]:
    """The ``sources`` whose SHA-256 is not the one ``root/native_build.json`` recorded."""
    try:
        built_from = json.loads((root / "native_build.json").read_text())
    except (OSError, ValueError):
        built_from = {}
    return [
        src
        for src in sources
        if built_from.get(src.relative_to(root).as_posix())
        != hashlib.sha256(src.read_bytes()).hexdigest()
    ]


def compiled_modules() -> list[str]:
    """The engine's modules loaded from a compiled file in this process."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith(_PACKAGE + ".") and _is_compiled(module)
    )


def _is_compiled(module: ModuleType) -> bool:
    return str(getattr(module, "__file__", "") or "").endswith(_SUFFIXES)


class _SourceFirst:
    """Meta-path finder: the engine's modules that have a compiled file load from source."""

    def __init__(self, sources: set[Path]) -> None:
        self._sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PACKAGE + ".") or not path:
            return None
        leaf = fullname.rsplit(".", 1)[1]
        for folder in path:
            source = Path(folder).resolve() / f"{leaf}.py"
            if source in self._sources:
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def guard() -> None:
    """Load the sources instead of the compiled modules when asked to or when any is stale."""
    if any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        return
    builds = _builds()
    if not builds:
        return
    pure = os.environ.get("FINTRACT_PURE_PYTHON", "").lower() in ("1", "true", "yes")
    stale = _stale([src for _, src in builds])
    if not pure and not stale:
        return
    if stale and not pure:
        names = ", ".join(sorted(str(s.relative_to(_ROOT)) for s in stale))
        warnings.warn(
            f"fintract engine: compiled modules were built from other sources ({names}); "
            "running the sources (slower). Run `make native` to rebuild.",
            RuntimeWarning,
            stacklevel=2,
        )
    sys.meta_path.insert(0, _SourceFirst({src.resolve() for _, src in builds}))

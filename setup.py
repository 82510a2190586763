"""Build hook: the statement engine's text-PDF path compiled to C with mypyc.

The modules in ``NATIVE_MODULES`` are fintract's own strictly typed Python; mypyc turns them
into C extensions (the same source, no second implementation), which roughly halves their
time. ``make setup`` builds them in place (``make native`` rebuilds them after an edit; the
engine loads the plain sources instead while a build is older than them, see
``services/parser/extract/native.py``).

The build needs mypy (pinned in requirements.lock, so build with ``--no-build-isolation``)
and a C compiler. Without either, or with ``FINTRACT_PURE_PYTHON=1``, the package installs
as pure Python and runs the same code, slower; a failed compile never fails the install.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup

NATIVE_MODULES = [
    "services/parser/extract/text/amounts.py",
    "services/parser/extract/text/currency.py",
    "services/parser/extract/text/dates.py",
    "services/parser/extract/text/lines.py",
    "services/parser/extract/text/words.py",
    "services/parser/extract/statement/account.py",
    "services/parser/extract/statement/assemble.py",
    "services/parser/extract/statement/layout.py",
    "services/parser/extract/statement/synonyms.py",
]
GROUP = "fintract_native"  # the shared library: fintract_native__mypyc.<abi>.so
# what the build was made from: the engine compares it with its sources at import
MANIFEST = Path("services/parser/extract/native_build.json")


def write_manifest() -> None:
    digests = {
        str(Path(p).relative_to(MANIFEST.parent)): hashlib.sha256(Path(p).read_bytes()).hexdigest()
        for p in NATIVE_MODULES
    }
    MANIFEST.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")


def native_extensions() -> list[object]:
    if os.environ.get("FINTRACT_PURE_PYTHON", "").lower() in ("1", "true", "yes"):
        print("fintract: FINTRACT_PURE_PYTHON set, installing pure Python", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("fintract: mypyc not importable, installing pure Python", file=sys.stderr)
        return []
    write_manifest()
    extensions = mypycify(NATIVE_MODULES, opt_level="3", group_name=GROUP)
    for extension in extensions:
        extension.optional = True  # no C compiler: skip it, keep the pure Python module
    return list(extensions)


setup(ext_modules=native_extensions())

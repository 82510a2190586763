"""Runs the ``main()`` of each area module that is present, in order, and summarises."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback


def run_all(kind: str, modules: list[str], argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"bench {kind}")
    parser.add_argument("--only", action="append", default=[], help="run only these areas")
    parser.add_argument("--quick", action="store_true", help="small, CI-sized runs")
    args, rest = parser.parse_known_args(argv)
    failures = 0
    for name in modules:
        area = name.split(".")[1]
        if args.only and area not in args.only:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                print(f"\n== {name}: not present, skipped")
                continue
            raise
        print(f"\n== {name}", flush=True)
        started = time.perf_counter()
        try:
            module.main([*(["--quick"] if args.quick else []), *rest])
        except SystemExit as exc:
            if exc.code not in (0, None):
                failures += 1
        except Exception:  # noqa: BLE001 - report and go on with the other areas
            traceback.print_exc()
            failures += 1
        print(f"   ({time.perf_counter() - started:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(run_all("all", sys.argv[1:]))

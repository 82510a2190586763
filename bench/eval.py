"""``make eval``: every accuracy evaluation."""

from __future__ import annotations

import sys

from bench._runner import run_all

EVALS = ["bench.statements.eval", "bench.invoices.eval", "bench.payments.eval"]

if __name__ == "__main__":
    sys.exit(run_all("eval", EVALS, sys.argv[1:]))

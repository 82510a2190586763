"""Benchmarks and evaluations. They print tables (and write plots to bench/out/); targets
live here, not in timed tests. ``make bench`` runs every speed benchmark, ``make eval`` every
accuracy evaluation; each area also runs alone, e.g. ``python -m bench.statements.eval``."""

"""Prometheus counters of the Gemini provider, per model (never per key or per document)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "fintract_gemini_requests",
    "HTTP attempts to Gemini by model and outcome "
    "(ok, rate_limited, server_error, timeout, connection, bad_key, client_error, "
    "schema_invalid, no_answer)",
    ["model", "outcome"],
)
TOKENS = Counter(
    "fintract_gemini_tokens",
    "Tokens reported in usage_metadata, by model and kind (prompt, output)",
    ["model", "kind"],
)
COST = Counter(
    "fintract_gemini_estimated_cost_usd",
    "List-price cost of the tokens used (counted on the free tier too: what volume would cost)",
    ["model"],
)
LATENCY = Histogram(
    "fintract_gemini_attempt_seconds",
    "Duration of one HTTP attempt to Gemini",
    ["model"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)

__all__ = ["COST", "LATENCY", "REQUESTS", "TOKENS"]

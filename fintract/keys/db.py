"""The key store's engine: the suite's one factory (:mod:`fintract.sql`)."""

from __future__ import annotations

from fintract.sql import create_engine, normalise_url

__all__ = ["create_engine", "normalise_url"]

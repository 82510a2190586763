"""The gateway's routers. ``ROUTERS`` is what :func:`gateway.app.create_app` mounts: adding
an area is one line here."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.routes import files, health, payments
from gateway.routes.parse import make_parse_router

ROUTERS: list[APIRouter] = [
    health.router,
    files.router,
    make_parse_router("bank_statement", "/api/v1/parse/statements"),
    make_parse_router("invoice", "/api/v1/parse/invoices"),
    payments.router,
]

__all__ = ["ROUTERS", "make_parse_router"]

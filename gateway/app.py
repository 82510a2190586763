"""The FastAPI application: ``create_app(settings)``.

The gateway holds no business logic: it authenticates (``deps``), translates REST to gRPC
(``routes``) and maps errors (``errors``). gRPC channels, the key verifier, the api_logs
writer and Redis are opened once in the lifespan and closed at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from gateway.errors import install_error_handlers
from gateway.middleware import BodyLimitMiddleware, RequestContextMiddleware
from gateway.routes import ROUTERS
from gateway.settings import GatewaySettings
from gateway.state import GatewayState

DESCRIPTION = (
    "Bank statements and invoices in, structured data out. Every `/api/v1` answer is an "
    "envelope `{success, data, error}`; authenticate with `Authorization: Bearer <api key>` "
    "(all but `/api/v1/health`)."
)


def create_app(
    settings: GatewaySettings | None = None, *, routers: Sequence[APIRouter] | None = None
) -> FastAPI:
    """Build the app. ``routers`` defaults to :data:`gateway.routes.ROUTERS`."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await GatewayState.open(settings)
        app.state.gateway = state
        try:
            yield
        finally:
            await state.close()
            del app.state.gateway

    app = FastAPI(
        title="fintract",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Added last = outermost: the request id and the api_logs row cover refusals too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestContextMiddleware)
    for router in ROUTERS if routers is None else routers:
        app.include_router(router)
    return app


__all__ = ["create_app"]

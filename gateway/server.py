"""Run the gateway with uvicorn (``python -m gateway``)."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,  # the gateway logs each request itself (with its request id)
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


__all__ = ["main"]

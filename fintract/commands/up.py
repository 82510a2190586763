"""``fintract up``: every service and the gateway on this machine (see fintract.devstack)."""

from __future__ import annotations

from typing import Annotated

import typer


def up(
    workers: Annotated[int, typer.Option(help="parser worker processes")] = 1,
    port: Annotated[
        int | None, typer.Option(help="gateway port (default $GATEWAY_PORT or 8000)")
    ] = None,
    payments_port: Annotated[
        int | None, typer.Option(help="payment-parser port (default $PAYMENTS_PORT or 8010)")
    ] = None,
) -> None:
    """Start ingest, jobs, parser workers, payments and the gateway; Ctrl-C stops them."""
    from fintract.devstack import run

    run(workers=workers, gateway_port=port, payments_port=payments_port, say=typer.echo)


def register(root: typer.Typer) -> None:
    root.command("up")(up)


__all__ = ["register", "up"]

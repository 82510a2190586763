"""``fintract db upgrade``: run every Alembic branch's migrations (operator tool)."""

from __future__ import annotations

from typing import Annotated

import typer

from fintract.commands.config import CliSettings

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    database_url: Annotated[str | None, typer.Option(help="default: $DATABASE_URL")] = None,
    database_schema: Annotated[str | None, typer.Option(help="default: $DATABASE_SCHEMA")] = None,
) -> None:
    """Bring the database to the newest revision of every branch (alembic upgrade heads)."""
    # The operator tool may reach into the server code; imported here so the SDK and the
    # other commands do not need it.
    from services.common.migrate import upgrade as run_upgrade

    settings = CliSettings()
    url = database_url if database_url is not None else settings.database_url
    schema = database_schema if database_schema is not None else settings.database_schema
    if database_url is None:
        settings.ensure_sqlite_folder()
    run_upgrade(url, schema)
    typer.echo(f"database at {url.split('@')[-1]} is up to date")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


__all__ = ["app", "register"]

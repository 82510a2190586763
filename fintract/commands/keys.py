"""``fintract keys create|list|revoke|prune-logs``: API keys and their request logs in the
database (``DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from fintract.commands.config import CliSettings

if TYPE_CHECKING:  # imported inside the commands: `fintract --help` stays quick
    from fintract.keys import ApiKey, KeyStore

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="default: $DATABASE_URL", show_default=False)
]
DatabaseSchema = Annotated[
    str | None, typer.Option("--database-schema", help="default: $DATABASE_SCHEMA")
]


def _run(url: str | None, schema: str | None, action: Callable[[KeyStore], Awaitable[T]]) -> T:
    settings = CliSettings()
    if url is not None:
        settings.database_url = url
    if schema is not None:
        settings.database_schema = schema
    settings.ensure_sqlite_folder()
    from sqlalchemy.exc import DBAPIError

    from fintract.keys import KeyStore, create_engine

    async def go() -> T:
        engine = create_engine(settings.database_url, schema=settings.database_schema)
        try:
            return await action(KeyStore(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DBAPIError as exc:
        typer.echo(
            f"database error ({type(exc.orig).__name__}); is it migrated? "
            "run `fintract db upgrade`",
            err=True,
        )
        raise typer.Exit(2) from None


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def _as_json(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "user_id": key.user_id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at) or None,
        "revoked_at": _iso(key.revoked_at) or None,
    }


@app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", "-u", help="the user the key acts for")],
    name: Annotated[str, typer.Option("--name", "-n", help="a label, e.g. 'laptop'")] = "",
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scopes", "-s", help="repeat or comma-separate; default '*' (all)"),
    ] = None,
    database_url: DatabaseUrl = None,
    database_schema: DatabaseSchema = None,
) -> None:
    """Create a key. The key is printed once, alone on the last line; only its hash is kept."""
    wanted = [s.strip() for raw in scopes or [] for s in raw.split(",") if s.strip()]
    if not user.strip():
        raise typer.BadParameter("must not be empty", param_hint="--user")

    async def action(store: KeyStore) -> tuple[ApiKey, str]:
        return await store.create(user, name=name, scopes=wanted or ("*",))

    record, key = _run(database_url, database_schema, action)
    typer.echo(
        f"Created key {record.key_id} for user {record.user_id}"
        f" (name: {record.name or '-'}, scopes: {' '.join(record.scopes)})."
    )
    typer.echo("Store it now; it cannot be shown again:")
    typer.echo(key)


@app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option("--user", "-u", help="only this user's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    database_url: DatabaseUrl = None,
    database_schema: DatabaseSchema = None,
) -> None:
    """List keys (never the keys themselves: id, owner, label, prefix, scopes, times)."""

    async def action(store: KeyStore) -> list[ApiKey]:
        return await store.list(user_id=user)

    keys = _run(database_url, database_schema, action)
    if as_json:
        for key in keys:
            typer.echo(json.dumps(_as_json(key)))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("key_id", "user", "name", "prefix", "scopes", "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            key.key_id,
            key.user_id,
            key.name,
            key.prefix + "…",
            " ".join(key.scopes),
            _iso(key.created_at),
            _iso(key.last_used_at),
            _iso(key.revoked_at),
        )
    Console(width=200).print(table)


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key_id shown by create/list")],
    database_url: DatabaseUrl = None,
    database_schema: DatabaseSchema = None,
) -> None:
    """Revoke a key; gateways stop accepting it within their key-cache TTL (default 5 s)."""

    async def action(store: KeyStore) -> bool:
        return await store.revoke(key_id)

    if not _run(database_url, database_schema, action):
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@app.command("prune-logs")
def prune_logs(
    days: Annotated[
        int, typer.Option("--days", min=1, help="keep this many days of api_logs rows")
    ] = 90,
    database_url: DatabaseUrl = None,
    database_schema: DatabaseSchema = None,
) -> None:
    """Delete request-log rows (api_logs) older than --days (run daily, e.g. a CronJob)."""
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC) - timedelta(days=days)

    async def action(store: KeyStore) -> int:
        return await store.prune_logs(before=before)

    deleted = _run(database_url, database_schema, action)
    typer.echo(f"deleted {deleted} api_logs rows older than {_iso(before)}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")


__all__ = ["app", "register"]

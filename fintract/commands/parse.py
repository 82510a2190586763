"""``fintract parse FILE...``: upload files to a running gateway, submit jobs and (with
``--wait``) follow them with a progress bar of pages done; prints the jobs as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from fintract.commands.config import CliSettings

if TYPE_CHECKING:  # imported when the command runs: other commands start quicker
    from rich.console import Console

    from fintract.client import FintractClient

DocType = Literal["bank_statement", "invoice"]


def _submit(
    client: FintractClient,
    files: list[dict[str, Any]],
    kind: DocType | None,
    provider: str | None,
    err: Console,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    submitted = []
    for doc in files:
        doc_kind = kind or doc["type"]
        if doc_kind not in ("bank_statement", "invoice"):
            err.print(f"{doc['filename']}: classified as {doc_kind}; pass --type to parse it")
            continue
        job = client.parse(doc_kind, doc["file_id"], doc["doc_id"], provider=provider)
        submitted.append((doc, job))
    return submitted


def _follow(
    client: FintractClient,
    submitted: list[tuple[dict[str, Any], dict[str, Any]]],
    timeout: float,
    err: Console,
) -> list[dict[str, Any]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from fintract.client import FintractTimeout

    finished: list[dict[str, Any]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        tasks = {
            job["job_id"]: progress.add_task(doc["filename"], total=None, status="pending")
            for doc, job in submitted
        }
        for _, job in submitted:
            task = tasks[job["job_id"]]

            def update(state: dict[str, Any], task: Any = task) -> None:
                progress.update(
                    task,
                    total=state.get("pages_total") or None,
                    completed=state.get("pages_done") or 0,
                    status=state["status"],
                )

            try:
                finished.append(client.wait(job["job_id"], timeout, on_progress=update))
            except FintractTimeout as exc:
                finished.append(exc.job)
    return finished


def parse(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    doc_type: Annotated[
        DocType | None,
        typer.Option("--type", "-t", help="default: what the upload was classified as"),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="follow until done")] = False,
    url: Annotated[str | None, typer.Option(help="gateway URL; default $FINTRACT_URL")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="default: $FINTRACT_API_KEY", show_default=False)
    ] = None,
    password: Annotated[str | None, typer.Option(help="opens encrypted PDFs")] = None,
    provider: Annotated[str | None, typer.Option(help="local | gemini | hybrid")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait per job")] = 600.0,
) -> None:
    """Upload FILEs, submit a parse job for each, print the jobs (results with --wait)."""
    import httpx
    from rich.console import Console

    from fintract.client import FintractAPIError, FintractClient, FintractUploadError

    settings = CliSettings()
    key = api_key or settings.api_key
    if not key:
        raise typer.BadParameter("set FINTRACT_API_KEY or pass --api-key", param_hint="--api-key")
    err = Console(stderr=True)
    out: list[dict[str, Any]] = []
    try:
        with FintractClient(url or settings.gateway_url, key) as client:
            try:
                uploaded = client.upload(files, password=password)
            except FintractUploadError as exc:
                for problem in exc.errors:
                    err.print(f"{problem['filename']}: {problem['code']}: {problem['message']}")
                uploaded = exc.files
            submitted = _submit(client, uploaded, doc_type, provider, err)
            out = _follow(client, submitted, timeout, err) if wait else [j for _, j in submitted]
    except FintractAPIError as exc:
        err.print(f"error: {exc.status} {exc.code}: {exc.message}")
        raise typer.Exit(1) from None
    except httpx.HTTPError as exc:
        err.print(f"error: cannot reach the gateway ({exc})")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out if len(out) != 1 else out[0], indent=2))
    if wait and any(job.get("status") != "completed" for job in out):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command("parse")(parse)


__all__ = ["parse", "register"]

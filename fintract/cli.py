"""``fintract``: the operator and user CLI.

Command groups live in ``fintract.commands.<name>`` modules that expose ``register(app)``;
:data:`COMMANDS` lists them, so adding one (``fintract up``) is one line.
"""

from __future__ import annotations

from importlib import import_module

import typer

app = typer.Typer(
    name="fintract",
    help="fintract: financial documents into data. API keys, database, parsing.",
    no_args_is_help=True,
    add_completion=False,
)

# Modules under fintract.commands, each with register(app). `up` belongs to the lead.
COMMANDS: list[str] = ["keys", "db", "parse", "up"]

for _name in COMMANDS:
    import_module(f"fintract.commands.{_name}").register(app)


def main() -> None:
    """Entry point of the ``fintract`` script (and ``python -m fintract.cli``)."""
    app()


if __name__ == "__main__":
    main()

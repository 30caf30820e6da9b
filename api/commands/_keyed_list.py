"""One shape for the commands that edit the council's keyed lists (`themes`, `outcome-kinds`):
list, add (or rename and bring back) and retire, through `workflow.keyed_lists`, with the
change history recorded as made on the server."""

# No `from __future__ import annotations`: typer reads the commands' annotations, which
# name this factory's arguments, when it builds the command line.
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlmodel import Session

from api.commands._common import reported_errors, runtime
from workflow.keyed_lists import KeyedList, entries, save, set_offered


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the command's runtime, whose engine is disposed after: a command leaves
    no connection open."""
    with runtime() as rt, Session(rt.engine) as session:
        yield session


def keyed_list_app(lst: KeyedList, help_text: str, label_help: str) -> typer.Typer:
    """The `list`, `add` and `retire` commands for one keyed list."""
    app = typer.Typer(help=help_text, no_args_is_help=True)
    noun = lst.noun[0].upper() + lst.noun[1:]

    @app.command("list")
    def list_entries() -> None:
        """Every entry in the order offered, retired ones marked."""
        with _session() as session:
            for row in entries(session, lst):
                mark = "" if row.active else "  (retired)"
                typer.echo(f"{row.key:<36} {row.label}{mark}")

    @app.command()
    def add(
        key: Annotated[str, typer.Argument(help="A new key: lower case, digits and _")],
        label: Annotated[str, typer.Argument(help=label_help)],
    ) -> None:
        """Add an entry, or rename an existing one and bring it back if retired."""
        with reported_errors(), _session() as session:
            row = save(session, lst, key, label, None, datetime.now(UTC))
            session.commit()
            typer.echo(f"{noun} '{key}' is '{row.label}'")

    @app.command()
    def retire(key: Annotated[str, typer.Argument()]) -> None:
        """Stop offering an entry; records that already use it keep it."""
        with reported_errors(), _session() as session:
            set_offered(session, lst, key, False, None, datetime.now(UTC))
            session.commit()
        typer.echo(f"{noun} '{key}' retired")

    return app

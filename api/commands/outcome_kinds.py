"""`iro-disputes outcome-kinds`: the kinds of outcome an IRO picks from when accepting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlmodel import Session, select

from api.commands._common import runtime
from workflow.tables import OutcomeKind

app = typer.Typer(
    help="List, add, rename or retire the kinds of outcome offered when accepting a response.",
    no_args_is_help=True,
)
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


@contextmanager
def _session() -> Iterator[Session]:
    """A session on a fresh engine, disposed after: a command leaves no connection open."""
    with runtime() as rt, Session(rt.engine) as session:
        yield session


@app.command("list")
def list_kinds() -> None:
    """Every kind of outcome in the order offered, retired ones marked."""
    with _session() as session:
        for kind in session.exec(select(OutcomeKind).order_by(sa.text("position"))):
            mark = "" if kind.active else "  (retired)"
            typer.echo(f"{kind.key:<36} {kind.label}{mark}")


@app.command()
def add(
    key: Annotated[str, typer.Argument(help="A new key: lower case, digits and _")],
    label: Annotated[str, typer.Argument(help="The label IROs see")],
) -> None:
    """Add a kind of outcome, or rename an existing one and bring it back if retired."""
    if not _SLUG.match(key):
        typer.echo(f"Error: key '{key}' must be lower case letters, digits and _", err=True)
        raise typer.Exit(code=1)
    if not label.strip():
        typer.echo("Error: enter the label IROs see", err=True)
        raise typer.Exit(code=1)
    with _session() as session:
        kind = session.get(OutcomeKind, key)
        if kind is None:
            last = session.exec(select(sa.func.max(OutcomeKind.position))).one()
            kind = OutcomeKind(key=key, label=label, position=(last or 0) + 1)
        kind.label, kind.active = label.strip(), True
        session.add(kind)
        session.commit()
    typer.echo(f"Kind of outcome '{key}' is '{label.strip()}'")


@app.command()
def retire(key: Annotated[str, typer.Argument()]) -> None:
    """Stop offering a kind of outcome; resolutions already recorded keep it."""
    with _session() as session:
        kind = session.get(OutcomeKind, key)
        if kind is None:
            typer.echo(f"Error: there is no kind of outcome '{key}'", err=True)
            raise typer.Exit(code=1)
        kind.active = False
        session.commit()
    typer.echo(f"Kind of outcome '{key}' retired")

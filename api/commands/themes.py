"""`iro-disputes themes`: the council's taxonomy of challenge themes."""

from __future__ import annotations

import re
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlmodel import Session, select

from api.commands._common import runtime
from workflow.tables import Theme

app = typer.Typer(help="List, add, rename or retire challenge themes.", no_args_is_help=True)
_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


@app.command("list")
def list_themes() -> None:
    """Every theme, retired ones marked."""
    with runtime() as rt, Session(rt.engine) as session:
        for theme in session.exec(select(Theme).order_by(sa.text("position"))):
            mark = "" if theme.active else "  (retired)"
            typer.echo(f"{theme.key:<36} {theme.label}{mark}")


@app.command()
def add(
    key: Annotated[str, typer.Argument(help="A new key: lower case, digits and _")],
    label: Annotated[str, typer.Argument(help="The label people see")],
) -> None:
    """Add a theme, or rename an existing one and bring it back if retired."""
    if not _SLUG.match(key):
        typer.echo(f"Error: theme key '{key}' must be lower case letters, digits and _", err=True)
        raise typer.Exit(code=1)
    with runtime() as rt, Session(rt.engine) as session:
        theme = session.get(Theme, key)
        if theme is None:
            last = session.exec(select(sa.func.max(Theme.position))).one()
            theme = Theme(key=key, label=label, position=(last or 0) + 1)
        theme.label, theme.active = label, True
        session.add(theme)
        session.commit()
    typer.echo(f"Theme '{key}' is '{label}'")


@app.command()
def retire(key: Annotated[str, typer.Argument()]) -> None:
    """Stop offering a theme for new challenges; challenges already raised keep it."""
    with runtime() as rt, Session(rt.engine) as session:
        theme = session.get(Theme, key)
        if theme is None:
            typer.echo(f"Error: there is no theme '{key}'", err=True)
            raise typer.Exit(code=1)
        theme.active = False
        session.commit()
    typer.echo(f"Theme '{key}' retired")

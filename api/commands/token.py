"""`iro-disputes token create EMAIL`: issue a personal API token."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from api.auth import create_api_token, person_by_email
from api.commands._common import runtime

app = typer.Typer(help="Personal API tokens for the JSON API.", no_args_is_help=True)


@app.command()
def create(
    email: Annotated[str, typer.Argument(help="Email of the person the token is for")],
    label: Annotated[
        str, typer.Option(help="What the token is for")
    ] = "Issued on the command line",
) -> None:
    """Issue a token and print it once (only its digest is stored)."""
    rt = runtime()
    person = person_by_email(rt.engine, email)
    if person is None or person.id is None:
        typer.echo(f"Error: nobody has the email {email}", err=True)
        raise typer.Exit(code=1)
    with Session(rt.engine) as session:
        token = create_api_token(session, person.id, label)
        session.commit()
    typer.echo(token)

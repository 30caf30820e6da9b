"""`iro-disputes token create|list|revoke`: personal API tokens from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import person_by_email
from api.commands._common import reported_errors, runtime
from api.tokens import DEFAULT_DAYS, create_own_token, own_tokens, revoke

app = typer.Typer(help="Personal API tokens for the JSON API.", no_args_is_help=True)
Email = Annotated[str, typer.Argument(help="Email of the person the token is for")]


def _person_id(engine: Engine, email: str) -> int:
    person = person_by_email(engine, email)
    if person is None or person.id is None:
        typer.echo(f"Error: nobody has the email {email}", err=True)
        raise typer.Exit(code=1)
    return person.id


@app.command()
def create(
    email: Email,
    label: Annotated[
        str, typer.Option(help="What the token is for")
    ] = "Issued on the command line",
    days: Annotated[int, typer.Option(help="Days until it expires (1 to 365)")] = DEFAULT_DAYS,
) -> None:
    """Issue a token and print it once (only its digest is stored)."""
    with runtime() as rt:
        person_id = _person_id(rt.engine, email)
        with reported_errors(), Session(rt.engine) as session:
            token = create_own_token(session, person_id, label, datetime.now(UTC), days)
            session.commit()
    typer.echo(token)


@app.command("list")
def list_tokens(email: Email) -> None:
    """A person's tokens: id, label, expiry, last use, revoked."""
    with runtime() as rt:
        tokens = own_tokens(rt.engine, _person_id(rt.engine, email))
    for t in tokens:
        typer.echo(f"{t.id}\t{t.label}\texpires {t.expires_at or 'never'}\t"
                   f"last used {t.last_used_at or 'never'}\t{'revoked' if t.revoked_at else 'live'}")  # fmt: skip


@app.command("revoke")
def revoke_command(
    token_id: Annotated[int, typer.Argument(help="The token's id (see list)")],
) -> None:
    with reported_errors(), runtime() as rt:
        revoke(rt.engine, token_id, datetime.now(UTC))
    typer.echo(f"Token {token_id} revoked")

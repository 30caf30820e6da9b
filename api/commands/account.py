"""`iro-disputes account ...`: the admin's account actions from the command line
(invite, reset, unlock, deactivate, reactivate, sessions, end-sessions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlmodel import Session

from api import accounts
from api.auth import person_by_email
from api.commands._common import reported_errors, runtime
from api.sessions import end_sessions_of, live_sessions
from api.web_settings import get_web_settings
from notifications.settings import get_mail_settings
from workflow.runtime import Runtime

app = typer.Typer(help="Accounts: invitations, resets, lock-outs, leavers, sessions.",
                  no_args_is_help=True)  # fmt: skip
Email = Annotated[str, typer.Argument(help="The person's email address")]


@contextmanager
def _person(email: str) -> Iterator[tuple[Runtime, int]]:
    with runtime() as rt:
        person = person_by_email(rt.engine, email)
        if person is None or person.id is None:
            typer.echo(f"Error: nobody has the email {email}", err=True)
            raise typer.Exit(code=1)
        with reported_errors():
            yield rt, person.id


@app.command()
def invite(email: Email) -> None:
    """Email a single-use link (72 hours) to set a password."""
    with _person(email) as (rt, pid):
        accounts.issue_link(rt.engine, get_mail_settings(), pid, accounts.INVITE, datetime.now(UTC))
    typer.echo(f"Invitation queued for {email}")


@app.command()
def reset(email: Email) -> None:
    """Email a single-use password reset link (2 hours)."""
    with _person(email) as (rt, pid):
        accounts.issue_link(rt.engine, get_mail_settings(), pid, accounts.RESET, datetime.now(UTC))
    typer.echo(f"Reset link queued for {email}")


@app.command()
def unlock(email: Email) -> None:
    """Clear a lock-out after too many wrong passwords."""
    with _person(email) as (rt, pid):
        accounts.unlock(rt.engine, pid)
    typer.echo(f"{email} can sign in again")


@app.command()
def deactivate(email: Email) -> None:
    """A leaver: no sign-in; every session and API token ends at once."""
    with _person(email) as (rt, pid):
        ended = accounts.deactivate(rt.engine, pid, datetime.now(UTC))
    typer.echo(f"{email} deactivated; {ended} session(s) ended, tokens revoked")


@app.command()
def reactivate(email: Email) -> None:
    with _person(email) as (rt, pid):
        accounts.reactivate(rt.engine, pid)
    typer.echo(f"{email} is active again")


@app.command()
def sessions(email: Email) -> None:
    """The person's live sessions: when, from where, which browser."""
    with _person(email) as (rt, pid):
        rows = live_sessions(rt.engine, pid, get_web_settings(), datetime.now(UTC))
    for s in rows:
        typer.echo(f"{s.id}\tsigned in {s.created_at:%Y-%m-%d %H:%M}Z\tlast {s.last_seen_at:%H:%M}Z"
                   f"\t{s.ip}\t{s.user_agent[:60]}")  # fmt: skip
    typer.echo(f"{len(rows)} session(s)")


@app.command("end-sessions")
def end_sessions(email: Email) -> None:
    """End every session of the person now."""
    with _person(email) as (rt, pid), Session(rt.engine) as session:
        ended = end_sessions_of(session, pid, datetime.now(UTC), "ended by an admin")
        session.commit()
    typer.echo(f"{ended} session(s) ended")

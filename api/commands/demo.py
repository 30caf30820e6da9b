"""`iro-disputes demo`: a believable, fictional council to try the service with.

For local use: every demo person gets the same password, printed on screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer
from sqlmodel import Session

from api.commands._common import reported_errors, runtime
from council_data.demo import COUNCIL, FULL, SMALL, DemoReport, fill_demo, is_empty
from workflow.runtime import Runtime, prepare_database

DEFAULT_PASSWORD = "northmoor-demo-2026"  # noqa: S105 - published on purpose: local demo only
PASSWORD_ENV = "IRO_DISPUTES_DEMO_PASSWORD"  # noqa: S105 - a variable name
MIN_PASSWORD_LENGTH = 12  # what api.auth asks of every password

SetPassword = Callable[[Session, list[int], str], None]


def _password_setter() -> SetPassword | None:
    try:
        from api.auth import set_password
        from api.tables import PasswordCredential
    except ImportError:  # the web service is not installed in this build
        return None

    def set_passwords(session: Session, person_ids: list[int], password: str) -> None:
        # argon2 takes about half a second a hash here: hash once, share the hash
        # (same password, same salt: acceptable for demo people only).
        first, *rest = person_ids
        set_password(session, first, password)
        row = session.get(PasswordCredential, first)
        assert row is not None
        for person_id in rest:
            session.add(
                PasswordCredential(
                    person_id=person_id, password_hash=row.password_hash, changed_at=row.changed_at
                )
            )
        session.flush()

    return set_passwords


def register(cli: typer.Typer) -> None:
    @cli.command()
    def demo(
        if_empty: Annotated[
            bool, typer.Option("--if-empty", help="Do nothing (and say so) if there is data")
        ] = False,
        seed: Annotated[int, typer.Option(help="Same seed, same council")] = 2016,
        small: Annotated[bool, typer.Option("--small", hidden=True)] = False,
        open_at: Annotated[
            str,
            typer.Option(help="Then print where to open the service and how to sign in"),
        ] = "",
    ) -> None:
        """Fill an empty database with a fictional council, its people, children and challenges."""
        password = os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD
        if len(password) < MIN_PASSWORD_LENGTH:
            typer.echo(
                f"Error: {PASSWORD_ENV} must be {MIN_PASSWORD_LENGTH} characters or more", err=True
            )
            raise typer.Exit(code=1)
        with runtime() as rt:
            _demo(rt, if_empty, seed, small, password, table=not open_at)
            if open_at:
                _welcome(rt, open_at, password)


def _demo(
    rt: Runtime, if_empty: bool, seed: int, small: bool, password: str, table: bool = True
) -> None:
    prepare_database(rt.engine)
    with Session(rt.engine) as session:
        empty = is_empty(session)
    if not empty and if_empty:
        typer.echo("The database already has people or challenges: demo data not added.")
        return
    with reported_errors():
        report = fill_demo(rt, seed=seed, size=SMALL if small else FULL)
    signed_in = _set_passwords(rt, report, password)
    _print(report, password if signed_in else None, table)


def _welcome(rt: Runtime, url: str, password: str) -> None:
    from api.commands._welcome import print_welcome

    development = os.environ.get("IRO_DISPUTES_ENV", "development") == "development"
    with Session(rt.engine) as session:
        print_welcome(session, url, password, mail_sink=development)


def _set_passwords(rt: Runtime, report: DemoReport, password: str) -> bool:
    set_password = _password_setter()
    if set_password is None:
        return False
    with Session(rt.engine) as session:
        set_password(session, report.person_ids, password)
        session.commit()
    return True


def _print(report: DemoReport, password: str | None, table: bool = True) -> None:
    states = ", ".join(
        f"{n} {state.replace('_', ' ')}" for state, n in sorted(report.by_state.items())
    )
    typer.echo(
        f"{COUNCIL}: {report.people} people in {report.teams} teams, "
        f"{report.children} children, {report.challenges} challenges ({states})."
    )
    if password is None:
        typer.echo("Sign-in arrives with the web service: no passwords were set.")
        return
    if table:
        typer.echo("\nSign in as any of these (every demo person has the same password):\n")
        rows = [("Role", "Name", "Email", "Password", "")]
        rows += [(s.role, s.name, s.email, password, s.note) for s in report.sign_ins]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            typer.echo("  ".join([*cells, row[4]]).rstrip())
    if password == DEFAULT_PASSWORD:
        typer.echo(
            f"\nWarning: this is the published demo password. The demo is for local use "
            f"only; set {PASSWORD_ENV} to choose another.",
            err=True,
        )
    if os.environ.get("IRO_DISPUTES_ENV", "development") != "development":
        typer.echo(
            "Warning: IRO_DISPUTES_ENV is not 'development': demo people and their "
            "shared password are now in this database.",
            err=True,
        )

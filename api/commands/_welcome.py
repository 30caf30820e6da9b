"""What `make run` prints on every start in development: where to open the service, where
the mail sink is, and how to sign in as each role (one demo person per role)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import typer
from sqlmodel import Session

from api.tables import PasswordCredential
from escalation_rules.model import Role
from workflow.tables import Person

DEMO_DOMAIN = "@northmoor.example"
ROLE_NOTES = {
    Role.IRO: "Raises and decides challenges",
    Role.SOCIAL_WORKER: "Answers at the social worker stage",
    Role.TEAM_MANAGER: "Answers at the team manager stage",
    Role.SERVICE_MANAGER: "",
    Role.HEAD_OF_SERVICE: "Answers at the Head of Service stage",
    Role.SENIOR_MANAGER: "Assistant Director: the senior manager stage",
    Role.ADMIN: "People, children, ladders and themes",
    Role.SMT_READER: "Reads reports",
}


@dataclass(frozen=True)
class SignInRow:
    role: str
    name: str
    email: str
    note: str


def demo_sign_ins(session: Session) -> list[SignInRow]:
    """One active demo person per role who can sign in, plus the deputy and the absent
    team manager the demo is built around. Read from the database, so it is the same on
    every start, not only the first."""
    p = Person.__table__  # type: ignore[attr-defined]
    credential = PasswordCredential.__table__  # type: ignore[attr-defined]
    people = session.execute(
        sa.select(p.c.id, p.c.name, p.c.email, p.c.role, p.c.absent)
        .join(credential, credential.c.person_id == p.c.id)
        .where(p.c.active.is_(True), p.c.email.endswith(DEMO_DOMAIN))
        .order_by(p.c.id)
    ).all()
    deputies = {d for (d,) in session.execute(sa.select(p.c.deputy_id).distinct()) if d}
    rows: list[SignInRow] = []
    for role, note in ROLE_NOTES.items():
        holders = [p for p in people if p.role == role.value]
        plain = [p for p in holders if not p.absent and p.id not in deputies]
        special = [(p, "Deputy for every team manager") for p in holders if p.id in deputies]
        special += [(p, "Away: the duty team manager answers") for p in holders if p.absent]
        for person, text in [(p, note) for p in plain[:1]] + special[:2]:
            rows.append(SignInRow(role.label, person.name, person.email, text))
    return rows


def print_welcome(session: Session, url: str, password: str, mail_sink: bool) -> None:
    base = url.rstrip("/")
    typer.echo(f"\nOpen the service at {base}/")
    if mail_sink:
        typer.echo(f"Mail goes to the development sink: read it at {base}/dev/mail")
    rows = demo_sign_ins(session)
    if not rows:
        typer.echo("No demo people can sign in: run `iro-disputes demo` on an empty database.")
        return
    typer.echo("\nSign in as any of these (every demo person has the same password):\n")
    table = [("Role", "Name", "Email", "Password", "")]
    table += [(r.role, r.name, r.email, password, r.note) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[4]]).rstrip())

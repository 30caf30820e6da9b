"""Account actions for councils without single sign-on: invitations, password resets,
unlocking, deactivating and reactivating. Each is one transaction; pages and the CLI
call these and nothing else.

Invitation and reset links are single-use random tokens kept as SHA-256 digests
(itsdangerous could sign them but not make them single-use). An invitation lasts
72 hours, a reset 2 hours; using either ends the person's other unused links.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.account_tables import AccountLink
from api.auth import set_password
from api.sessions import digest, end_sessions_of
from api.tables import ApiToken, PasswordCredential
from notifications.messages import add_message
from notifications.settings import MailSettings
from workflow.errors import DomainError, NotFound
from workflow.people_records import set_active
from workflow.tables import Person

INVITE = "invite"
RESET = "reset"
LIFETIME = {INVITE: timedelta(hours=72), RESET: timedelta(hours=2)}


class AccountLinkProblem(DomainError):
    """A set-password link that is unknown, used or out of date."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class IssuedLink:
    person_id: int
    email: str
    url: str


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", str(person_id))
    return person


def issue_link(
    engine: Engine, mail: MailSettings, person_id: int, purpose: str, now: datetime
) -> IssuedLink:
    """Create a set-password link and queue the email carrying it, in one transaction."""
    token = secrets.token_urlsafe(32)
    url = f"{mail.base_url.rstrip('/')}/account/set-password/{token}"
    with Session(engine) as session:
        person = _person(session, person_id)
        session.add(
            AccountLink(
                person_id=person_id,
                purpose=purpose,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + LIFETIME[purpose],
            )
        )
        subject, text = _email(purpose, person.name, url)
        add_message(session, mail, kind=f"account_{purpose}", key=f"account:{purpose}:{digest(token)}",
                    to=person, subject=subject, text=text, html="", now=now,
                    secrets=[token])  # fmt: skip
        session.commit()
        return IssuedLink(person_id, person.email, url)


def _email(purpose: str, name: str, url: str) -> tuple[str, str]:
    if purpose == INVITE:
        return (
            "You have been invited to the challenges and escalations service",
            f"Dear {name},\n\nAn administrator has given you an account. Set your password "
            f"within 72 hours using this link (it works once):\n\n{url}\n\n"
            "If you were not expecting this, ignore this email.\n",
        )
    return (
        "Reset your password",
        f"Dear {name},\n\nSomeone asked to reset the password of your account. If it was you, "
        f"use this link within 2 hours (it works once):\n\n{url}\n\n"
        "If it was not you, ignore this email: your password has not changed.\n",
    )


def request_reset(engine: Engine, mail: MailSettings, email: str, now: datetime) -> None:
    """Send a reset link if an active person has this email. Says nothing either way, so
    the page cannot be used to find out who has an account."""
    with Session(engine) as session:
        person = session.exec(
            select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
        ).first()
    if person is not None and person.active and person.id is not None:
        issue_link(engine, mail, person.id, RESET, now)


def _live_link(session: Session, token: str, now: datetime) -> AccountLink:
    row = session.exec(select(AccountLink).where(AccountLink.token_hash == digest(token))).first()
    if row is None:
        raise AccountLinkProblem("This link is not recognised")
    if row.used_at is not None:
        raise AccountLinkProblem("This link has already been used")
    if row.expires_at <= now:
        raise AccountLinkProblem("This link has expired")
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        raise AccountLinkProblem("This account is not active")
    return row


def check_link(engine: Engine, token: str, now: datetime) -> Person:
    """The person a live link is for (AccountLinkProblem otherwise). Changes nothing."""
    with Session(engine, expire_on_commit=False) as session:
        row = _live_link(session, token, now)
        return _person(session, row.person_id)


def use_link(engine: Engine, token: str, password: str, now: datetime) -> Person:
    """Set the password through a link (WeakPassword if the rules refuse it), use up the
    person's links and end their sessions, in one transaction."""
    with Session(engine, expire_on_commit=False) as session:
        row = _live_link(session, token, now)
        set_password(session, row.person_id, password)
        session.execute(
            sa.update(AccountLink)
            .where(col(AccountLink.person_id) == row.person_id, col(AccountLink.used_at).is_(None))
            .values(used_at=now)
        )
        person = _person(session, row.person_id)
        session.commit()
        return person


def unlock(engine: Engine, person_id: int) -> None:
    with Session(engine) as session:
        _person(session, person_id)
        cred = session.get(PasswordCredential, person_id)
        if cred is not None:
            cred.failed_attempts, cred.locked_until = 0, None
            session.add(cred)
        session.commit()


def deactivate(engine: Engine, person_id: int, now: datetime, by_id: int | None = None) -> int:
    """A leaver: no sign-in, every session and token ends at once. Returns sessions ended.
    Recorded in the person's change history (`by_id` None: done on the server)."""
    with Session(engine) as session:
        set_active(session, person_id, False, by_id, now)
        ended = end_sessions_of(session, person_id, now, "deactivated")
        session.execute(
            sa.update(ApiToken)
            .where(col(ApiToken.person_id) == person_id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        session.execute(
            sa.update(AccountLink)
            .where(col(AccountLink.person_id) == person_id, col(AccountLink.used_at).is_(None))
            .values(used_at=now)
        )
        session.commit()
        return ended


def reactivate(
    engine: Engine, person_id: int, now: datetime | None = None, by_id: int | None = None
) -> None:
    """Let a person sign in again. Their old tokens stay revoked; they set up new ones."""
    with Session(engine) as session:
        set_active(session, person_id, True, by_id, now or datetime.now(UTC))
        session.commit()

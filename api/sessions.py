"""Server-side sessions: the cookie carries a random id, the `user_session` row decides.

Signing out, deactivation and a password change end rows, so a copied or replayed
cookie is refused at once. A session ends after `idle_minutes` without a request and
after `session_hours` whatever happens. `last_seen_at` is written at most once a
minute per session, so reading pages does not turn every request into a write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.account_tables import UserSession
from api.web_settings import WebSettings
from workflow.db import read_only_engine
from workflow.read_scope import end_reads, reading
from workflow.tables import Person

TOUCH_EVERY = timedelta(seconds=60)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Client:
    """Where a request came from, as recorded on sessions and the access log."""

    ip: str = ""
    user_agent: str = ""


def start_session(
    engine: Engine, person_id: int, settings: WebSettings, now: datetime, client: Client
) -> str:
    """A new session row; returns the id for the cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(
            UserSession(
                token_hash=digest(token),
                person_id=person_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=settings.session_hours),
                ip=client.ip[:64],
                user_agent=client.user_agent[:200],
            )
        )
        session.commit()
    return token


def _ending_reason(row: UserSession, settings: WebSettings, now: datetime) -> str | None:
    if row.expires_at <= now:
        return "expired"
    if row.last_seen_at + timedelta(minutes=settings.idle_minutes) <= now:
        return "idle timeout"
    return None


# The session and its person in one statement (a person is never deleted while their
# sessions remain: the foreign key; an outer join all the same). Built once: building it
# and working out its cache key on every request cost two-fifths of the read's CPU.
_SESSION_AND_PERSON = (
    select(UserSession, Person)
    .outerjoin(Person, col(Person.id) == col(UserSession.person_id))
    .where(col(UserSession.token_hash) == sa.bindparam("token_hash"))
)


def person_for_session(
    engine: Engine, token: str, settings: WebSettings, now: datetime, shared: bool = False
) -> Person | None:
    """The active person behind a live session, or None (ending it if it has run out).

    Read without the write lock (on SQLite the main engine's transactions begin
    IMMEDIATE, which would make every page queue behind every write, in every web
    process); the row is written only to end it or, at most once a minute, to note use.

    `shared`: read through the request's shared read session (`workflow.read_scope`), whose
    connection the route then reads through too: one checkout a page instead of two (on
    PostgreSQL a ping, a BEGIN and a ROLLBACK fewer)."""
    with reading(engine) if shared else _own_reads(engine) as session:
        found = session.exec(_SESSION_AND_PERSON, params={"token_hash": digest(token)}).first()
    if found is None or found[0].ended_at is not None:
        return None
    row, person = found
    reason = "deactivated" if person is None or not person.active else None
    reason = reason or _ending_reason(row, settings, now)
    if reason is not None:
        values: dict[str, object] = {"ended_at": now, "ended_reason": reason}
    elif now - row.last_seen_at >= TOUCH_EVERY:
        values = {"last_seen_at": now}
    else:
        return person
    end_reads()  # a write takes its own connection: the reads give theirs back first
    with engine.begin() as conn:
        # Only while the session is live: a sign-out in between is not undone.
        ended = conn.execute(
            sa.update(UserSession)
            .where(col(UserSession.id) == row.id, col(UserSession.ended_at).is_(None))
            .values(**values)
        )
    if reason is not None or not ended.rowcount:
        return None
    return person


def _own_reads(engine: Engine) -> Session:
    return Session(read_only_engine(engine), expire_on_commit=False)


def end_session(engine: Engine, token: str, now: datetime, reason: str = "signed out") -> None:
    with Session(engine) as session:
        _end(session, col(UserSession.token_hash) == digest(token), now, reason)
        session.commit()


def end_sessions_of(session: Session, person_id: int, now: datetime, reason: str) -> int:
    """End every live session of a person inside the caller's transaction."""
    return _end(session, col(UserSession.person_id) == person_id, now, reason)


def end_session_by_id(
    engine: Engine, session_id: int, now: datetime, reason: str, person_id: int
) -> None:
    """End one session of `person_id` (an id that is not theirs ends nothing)."""
    with Session(engine) as session:
        where = sa.and_(col(UserSession.id) == session_id, col(UserSession.person_id) == person_id)
        _end(session, where, now, reason)
        session.commit()


def _end(session: Session, where: sa.ColumnElement[bool], now: datetime, reason: str) -> int:
    result = session.execute(
        sa.update(UserSession)
        .where(where, col(UserSession.ended_at).is_(None))
        .values(ended_at=now, ended_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def live_sessions(
    engine: Engine, person_id: int, settings: WebSettings, now: datetime
) -> list[UserSession]:
    """A person's sessions that have not ended or run out, newest first."""
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(
            select(UserSession)
            .where(UserSession.person_id == person_id, col(UserSession.ended_at).is_(None))
            .order_by(col(UserSession.created_at).desc())
        ).all()
    return [r for r in rows if _ending_reason(r, settings, now) is None]


def session_expiry(engine: Engine, token: str, settings: WebSettings) -> datetime | None:
    """When this session will end if nothing more happens (for the timeout warning)."""
    with Session(engine) as session:
        row = session.exec(
            select(UserSession).where(UserSession.token_hash == digest(token))
        ).first()
    if row is None:
        return None
    return min(row.expires_at, row.last_seen_at + timedelta(minutes=settings.idle_minutes))

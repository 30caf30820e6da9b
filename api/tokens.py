"""API tokens: each person's own (label, expiry, last used, revoke), and admin-made service
tokens that act as no named person, only within a stated scope.

A token is a long random value; only its SHA-256 digest is stored. `last_used_at` is
written at most once a minute per token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.tables import ApiToken
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.errors import NotFound, RuleViolation
from workflow.read_scope import end_reads, reading
from workflow.tables import Person

DEFAULT_DAYS, MAX_DAYS = 90, 365
TOUCH_EVERY = timedelta(seconds=60)
# What a service token may do: scope -> (the role it reads as, the GET paths it may call).
SCOPES: dict[str, tuple[Role, frozenset[str]]] = {
    "reports:read": (Role.SMT_READER, frozenset({"/api/v1/reports/smt"})),
}


class BadToken(RuleViolation):
    def __init__(self, problem: str, field: str) -> None:
        super().__init__("token", "create a token", problem, field=field)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new(session: Session, row: ApiToken) -> str:
    token = "iro_" + secrets.token_urlsafe(32)
    row.token_hash = digest(token)
    session.add(row)
    session.flush()
    return token


def _expiry(days: int, now: datetime) -> datetime:
    if not 1 <= days <= MAX_DAYS:
        raise BadToken(f"a token lasts between 1 and {MAX_DAYS} days", "days")
    return now + timedelta(days=days)


def create_own_token(
    session: Session, person_id: int, label: str, now: datetime, days: int = DEFAULT_DAYS
) -> str:
    """A personal token acting as its owner. The caller commits."""
    label = label.strip()
    if not label:
        raise BadToken("enter what the token is for", "label")
    return _new(session, ApiToken(person_id=person_id, label=label[:200], token_hash="",
                                  created_at=now, expires_at=_expiry(days, now)))  # fmt: skip


def create_service_token(
    session: Session, admin_id: int, service: str, scope: str, now: datetime, days: int
) -> str:
    """A token for a system, not a person, limited to `scope`. The caller commits."""
    service = service.strip()
    if not service:
        raise BadToken("enter the name of the service the token is for", "service_name")
    if scope not in SCOPES:
        raise BadToken(f"choose a scope: {', '.join(SCOPES)}", "scope")
    return _new(session, ApiToken(person_id=None, service_name=service[:100], scope=scope,
                                  label=f"Service: {service}"[:200], token_hash="",
                                  created_by_id=admin_id, created_at=now,
                                  expires_at=_expiry(days, now)))  # fmt: skip


def own_tokens(engine: Engine, person_id: int) -> list[ApiToken]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(ApiToken).where(ApiToken.person_id == person_id)
                                 .order_by(col(ApiToken.created_at).desc())).all())  # fmt: skip


def revoke(engine: Engine, token_id: int, now: datetime, owner_id: int | None = None) -> None:
    """Revoke a token; with `owner_id`, only that person's own (NotFound otherwise)."""
    with Session(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None or (owner_id is not None and row.person_id != owner_id):
            raise NotFound("token", token_id)
        if row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            session.commit()


@dataclass(frozen=True)
class Holder:
    """Who a presented token acts as: a person, or a scoped service."""

    person: Person
    scope: str = ""


# Built once, as `api.sessions`' read of a session: every API request asks it.
_TOKEN = select(ApiToken).where(col(ApiToken.token_hash) == sa.bindparam("token_hash"))


def holder_of(engine: Engine, token: str, now: datetime, shared: bool = False) -> Holder | None:
    """The live token's holder, noting its use; None if unknown, revoked, expired or its
    person is deactivated. Reads without the write lock (`shared`: through the request's
    shared read session, as `api.sessions.person_for_session`); writes only to note a use."""
    with reading(engine) if shared else _own_reads(engine) as session:
        row = session.exec(_TOKEN, params={"token_hash": digest(token)}).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        holder = _holder(session, row)
    if holder is not None and (row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY):
        end_reads()  # a write takes its own connection: the reads give theirs back first
        with engine.begin() as conn:
            conn.execute(sa.update(ApiToken).where(col(ApiToken.id) == row.id)
                         .values(last_used_at=now))  # fmt: skip
    return holder


def _own_reads(engine: Engine) -> Session:
    return Session(read_only_engine(engine), expire_on_commit=False)


def _holder(session: Session, row: ApiToken) -> Holder | None:
    if row.person_id is None:
        role, _ = SCOPES[row.scope]
        stand_in = Person(id=None, email=f"service:{row.service_name}",
                          name=f"Service: {row.service_name}", role=role.value)  # fmt: skip
        return Holder(stand_in, row.scope)
    person = session.get(Person, row.person_id)
    return Holder(person) if person is not None and person.active else None


def in_scope(scope: str, method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and path in SCOPES[scope][1]

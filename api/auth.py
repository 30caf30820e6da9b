"""Who is asking: local passwords, API tokens, the signed session, roles and the access log.

Pages know the person from the signed session cookie; the JSON API only from
`Authorization: Bearer <token>`. The functions that write (sign-in attempts,
tokens, the access log) each own their short transaction; `set_password` and
`create_api_token` work inside the caller's session so a command can commit
them with other rows.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.tables import AccessLogEntry, ApiToken, PasswordCredential
from api.web_settings import WebSettings
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.errors import NotPermitted
from workflow.runtime import Runtime
from workflow.tables import Person

_hasher = PasswordHash((Argon2Hasher(),))  # argon2id with the library's current parameters
# A fixed hash to verify against when the email is unknown, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not a real password")
MIN_PASSWORD_LENGTH = 12
SESSION_KEY = "person_id"
# Roles that see every challenge (the log, every page); SMT readers see reports only.
OVERSIGHT_ROLES = frozenset({Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN})


class SignInRequired(Exception):
    """No signed-in person: pages redirect to /sign-in, the API answers 401."""


class WeakPassword(ValueError):
    pass


# -- passwords ---------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be {MIN_PASSWORD_LENGTH} characters or more")
    return _hasher.hash(password)


def set_password(session: Session, person_id: int, password: str) -> None:
    """Give a person a password (argon2id), clearing any lock-out. The caller commits."""
    hashed = hash_password(password)
    row = session.get(PasswordCredential, person_id)
    now = datetime.now(UTC)
    if row is None:
        row = PasswordCredential(person_id=person_id, password_hash=hashed, changed_at=now)
    else:
        row.password_hash, row.changed_at = hashed, now
        row.failed_attempts, row.locked_until = 0, None
    session.add(row)
    session.flush()


@dataclass(frozen=True)
class SignInResult:
    person: Person | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.person is not None


def authenticate(
    engine: Engine, settings: WebSettings, email: str, password: str, now: datetime
) -> SignInResult:
    """Check an email and password, counting failures and locking the account after too many."""
    with Session(engine, expire_on_commit=False) as session:
        person = session.exec(
            select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
        ).first()
        cred = session.get(PasswordCredential, person.id) if person and person.id else None
        if person is None or cred is None or not person.active:
            _hasher.verify(password, _DUMMY_HASH)
            return SignInResult(None)
        if cred.locked_until is not None and cred.locked_until > now:
            return SignInResult(None, cred.locked_until)
        valid, new_hash = _hasher.verify_and_update(password, cred.password_hash)
        if not valid:
            cred.failed_attempts += 1
            if cred.failed_attempts >= settings.max_failed_sign_ins:
                cred.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                cred.failed_attempts = 0
            session.add(cred)
            session.commit()
            return SignInResult(
                None, cred.locked_until if cred.locked_until and cred.locked_until > now else None
            )
        cred.failed_attempts, cred.locked_until = 0, None
        if new_hash:
            cred.password_hash = new_hash
        session.add(cred)
        session.commit()
        return SignInResult(person)


def person_by_email(engine: Engine, email: str) -> Person | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(
            select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
        ).first()


# -- API tokens --------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(session: Session, person_id: int, label: str) -> str:
    """Issue a personal API token; only its digest is stored. The caller commits."""
    token = "iro_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            person_id=person_id,
            label=label.strip() or "API token",
            token_hash=_digest(token),
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return token


def revoke_api_token(engine: Engine, token_id: int, now: datetime) -> None:
    with Session(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            session.commit()


def person_for_token(engine: Engine, token: str) -> Person | None:
    with Session(reader_engine(engine), expire_on_commit=False) as session:
        row = session.exec(
            select(Person)
            .join(ApiToken, ApiToken.person_id == Person.id)  # type: ignore[arg-type]
            .where(ApiToken.token_hash == _digest(token))
            .where(ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
            .where(Person.active == True)  # noqa: E712
        ).first()
        return row


# -- the access log ----------------------------------------------------------------


def record_access(
    engine: Engine,
    person_id: int,
    via: str,
    challenge_id: int | None = None,
    child_id: int | None = None,
    what: str = "",
) -> None:
    """Write one line of who viewed what (its own short transaction)."""
    with Session(engine) as session:
        session.add(
            AccessLogEntry(
                person_id=person_id,
                challenge_id=challenge_id,
                child_id=child_id,
                viewed_at=datetime.now(UTC),
                via=via,
                what=what[:200],
            )
        )
        session.commit()


# -- FastAPI dependencies ----------------------------------------------------------


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def current_person(request: Request) -> Person:
    """The signed-in person (session cookie for pages, Bearer token for the API)."""
    cached = getattr(request.state, "person", None)
    if isinstance(cached, Person):
        return cached
    engine = _runtime(request).engine
    person: Person | None = None
    if is_api_request(request):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            person = person_for_token(engine, token.strip())
    else:
        person_id = request.session.get(SESSION_KEY)
        if isinstance(person_id, int):
            with Session(reader_engine(engine), expire_on_commit=False) as session:
                found = session.get(Person, person_id)
            person = found if found is not None and found.active else None
            if person is None:
                request.session.clear()
    if person is None:
        raise SignInRequired()
    request.state.person = person
    return person


def optional_person(request: Request) -> Person | None:
    try:
        return current_person(request)
    except SignInRequired:
        return None


CurrentPerson = Annotated[Person, Depends(current_person)]


def role_of(person: Person) -> Role:
    return Role(person.role)


def require_roles(*roles: Role) -> Any:
    """A dependency that lets through only people holding one of `roles` (403 otherwise)."""
    allowed = frozenset(roles)

    def check(person: CurrentPerson) -> Person:
        if role_of(person) not in allowed:
            raise NotPermitted(person.name, "open", "this page")
        return person

    return Depends(check)


def sign_in_session(request: Request, person: Person) -> None:
    """Start a fresh session for `person` (a new cookie value: no session fixation)."""
    request.session.clear()
    request.session[SESSION_KEY] = person.id
    request.session["signed_in_at"] = datetime.now(UTC).isoformat()


def sign_out_session(request: Request) -> None:
    request.session.clear()


def runtime_dependency(request: Request) -> Runtime:
    return _runtime(request)


reader_engine = read_only_engine  # the name the pages use


def read_session(request: Request) -> Iterator[Session]:
    """A session for reading only: routes never commit; use cases own their writes."""
    with Session(reader_engine(_runtime(request).engine), expire_on_commit=False) as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(runtime_dependency)]
ReadSession = Annotated[Session, Depends(read_session)]

"""Who is asking: local passwords, API tokens, the signed session, roles and the access log.

Pages know the person from the signed session cookie; the JSON API only from
`Authorization: Bearer <token>`. The functions that write (sign-in attempts,
tokens, the access log) each own their short transaction; `set_password` and
`create_api_token` work inside the caller's session so a command can commit
them with other rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.one_connection import give_back
from api.password_policy import check_password
from api.sessions import (
    Client,
    end_session,
    end_sessions_of,
    person_for_session,
    start_session,
)
from api.tables import AccessLogEntry, ApiToken, PasswordCredential
from api.tokens import create_own_token, holder_of, in_scope
from api.web_settings import WebSettings
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.errors import NotPermitted
from workflow.read_scope import current_scope, end_reads
from workflow.runtime import Runtime
from workflow.tables import Person

_hasher = PasswordHash((Argon2Hasher(),))  # argon2id with the library's current parameters


@cache
def _dummy_hash() -> str:
    """A fixed hash to verify against when the email is unknown, so timing does not tell.
    Made at the first sign-in, not at import: hashing costs a second of start-up."""
    return _hasher.hash("not a real password")


SESSION_KEY = "sid"  # the server-side session's id (see api.sessions)
# Roles that see every challenge (the log, every page); SMT readers see reports only.
OVERSIGHT_ROLES = frozenset({Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN})


class SignInRequired(Exception):
    """No signed-in person: pages redirect to /sign-in, the API answers 401."""


# -- passwords ---------------------------------------------------------------------


def hash_password(password: str, personal: tuple[str, ...] = ()) -> str:
    """The argon2id hash of a password the rules accept (`WeakPassword` otherwise)."""
    check_password(password, personal)
    return _hasher.hash(password)


def set_password(session: Session, person_id: int, password: str) -> None:
    """Give a person a password (argon2id), clearing any lock-out and ending every session
    they have (whoever knew the old password is signed out). The caller commits."""
    person = session.get(Person, person_id)
    personal = (person.email, person.name) if person is not None else ()
    hashed = hash_password(password, personal)
    row = session.get(PasswordCredential, person_id)
    now = datetime.now(UTC)
    end_sessions_of(session, person_id, now, "password changed")
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
            _hasher.verify(password, _dummy_hash())
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
    """Issue a personal API token (90 days); only its digest is stored. The caller commits."""
    return create_own_token(session, person_id, label or "API token", datetime.now(UTC))


def revoke_api_token(engine: Engine, token_id: int, now: datetime) -> None:
    with Session(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            session.commit()


def person_for_token(engine: Engine, token: str) -> Person | None:
    """The person a personal token acts as (service tokens act as nobody: None)."""
    holder = holder_of(engine, token, datetime.now(UTC))
    return holder.person if holder is not None and not holder.scope else None


# -- the access log ----------------------------------------------------------------


# Where the current request came from, set once per request by `ClientAddressMiddleware`
# so every access-log line records it without each route passing the request down.
CLIENT_IP: ContextVar[str] = ContextVar("client_ip", default="")


def record_access(
    engine: Engine,
    person_id: int | None,
    via: str,
    challenge_id: int | None = None,
    child_id: int | None = None,
    what: str = "",
    actor: str = "",
) -> None:
    """Write one line of who viewed what, when and from where (its own short transaction)."""
    end_reads()  # the request's reads give their connection back first
    with Session(engine) as session:
        session.add(
            AccessLogEntry(
                person_id=person_id,
                challenge_id=challenge_id,
                child_id=child_id,
                viewed_at=datetime.now(UTC),
                via=via,
                what=what[:200],
                ip=CLIENT_IP.get()[:64],
                actor=actor[:120],
            )
        )
        session.commit()


# -- FastAPI dependencies ----------------------------------------------------------


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _reads_shared(request: Request) -> bool:
    """Whether the route reads through the request's shared session (`ReadSession`): then
    the sign-in check reads through it too, and the page has one checkout, not two. Other
    routes may open sessions of their own, so for them it keeps to a short one: a request
    holds one connection at a time (`api.one_connection`)."""
    route = request.scope.get("route")
    if route is None:
        return False
    shared = getattr(route, "iro_reads_shared", None)
    if shared is None:  # worked out once a route (routes are not hashable: kept on it)
        shared = _calls(getattr(route, "dependant", None), read_session)
        route.iro_reads_shared = shared
    return bool(shared)


def _calls(dependant: Any, call: Any) -> bool:
    return dependant is not None and (
        dependant.call is call or any(_calls(d, call) for d in dependant.dependencies)
    )


def current_person(request: Request) -> Person:
    """The signed-in person (session cookie for pages, Bearer token for the API)."""
    cached = getattr(request.state, "person", None)
    if isinstance(cached, Person):
        return cached
    engine = _runtime(request).engine
    shared = _reads_shared(request)
    person: Person | None = None
    if is_api_request(request):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            holder = holder_of(engine, token.strip(), datetime.now(UTC), shared)
            out_of_scope = (
                holder is not None
                and holder.scope
                and not in_scope(holder.scope, request.method, request.url.path)
            )
            if holder is not None and out_of_scope:
                raise NotPermitted(holder.person.name, f"use scope {holder.scope} for", "this")
            person = holder.person if holder is not None else None
    else:
        sid = request.session.get(SESSION_KEY)
        if isinstance(sid, str):
            settings: WebSettings = request.app.state.web_settings
            person = person_for_session(engine, sid, settings, datetime.now(UTC), shared)
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

    # Async: it only compares, so it runs on the event loop instead of taking a trip to
    # the thread pool (as each plain `def` dependency does) on every request.
    async def check(person: CurrentPerson) -> Person:
        if role_of(person) not in allowed:
            raise NotPermitted(person.name, "open", "this page")
        return person

    return Depends(check)


def client_of(request: Request) -> Client:
    host = request.client.host if request.client else ""
    return Client(host, request.headers.get("user-agent", ""))


def sign_in_session(request: Request, person: Person) -> None:
    """Start a fresh server-side session for `person` (a new id: no session fixation)."""
    assert person.id is not None
    settings: WebSettings = request.app.state.web_settings
    now = datetime.now(UTC)
    token = start_session(_runtime(request).engine, person.id, settings, now, client_of(request))
    request.session.clear()
    request.session[SESSION_KEY] = token
    request.session["signed_in_at"] = now.isoformat()


def sign_out_session(request: Request) -> None:
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        end_session(_runtime(request).engine, sid, datetime.now(UTC))
    request.session.clear()


async def runtime_dependency(request: Request) -> Runtime:
    """Async for the same reason as `require_roles`' check: no I/O, no thread."""
    return _runtime(request)


reader_engine = read_only_engine  # the name the pages use


async def read_session(request: Request) -> AsyncIterator[Session]:
    """A session for reading only: routes never commit; use cases own their writes.

    It is the request's shared read session (`workflow.read_scope`, opened by
    `api.one_connection`), so the page's reads and its helpers' use one connection,
    given back as soon as the route returns. Async on purpose: opening is lazy (no I/O),
    and giving back never waits for a thread from the pool a busy route may hold."""
    reads = current_scope()
    if reads is None:
        raise RuntimeError("ReadSession needs the OneConnection middleware")
    try:
        yield reads.session()
    finally:
        await give_back(reads)


RuntimeDep = Annotated[Runtime, Depends(runtime_dependency)]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]

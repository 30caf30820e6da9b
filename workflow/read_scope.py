"""One database connection at a time for a request (or any caller that opens a scope).

The web pool holds one connection per request being handled. A request that read
through one connection and then took a second (to write, or to read through
another helper) could wait on itself once the pool is busy, so inside a scope:

- every read shares one session on the read engine, so one connection;
- a unit of work that writes first ends those reads, giving their connection back
  before it takes one of its own (on SQLite the write needs BEGIN IMMEDIATE on the
  main engine, which a read-only connection cannot upgrade to).

Reads may go on after a write: the shared session simply checks a connection out
again. Outside a scope (the worker, the CLI, tests) nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.db import read_only_engine


class ReadScope:
    """The reads of one request: a session opened when first needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    def session(self) -> Session:
        if self._session is None:
            self._session = Session(read_only_engine(self.engine), expire_on_commit=False)
        return self._session

    @property
    def holds_connection(self) -> bool:
        return self._session is not None and self._session.in_transaction()

    def end_reads(self) -> None:
        """Give the connection back; rows already read stay readable (detached)."""
        if self._session is not None:
            self._session.close()


_SCOPE: ContextVar[ReadScope | None] = ContextVar("read_scope", default=None)


@contextmanager
def read_scope(engine: Engine) -> Iterator[ReadScope]:
    """Share one read connection until the block ends (see the module's docstring)."""
    scope = ReadScope(engine)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
        scope.end_reads()


def current_scope() -> ReadScope | None:
    return _SCOPE.get()


def end_reads() -> None:
    """Before taking a connection to write: give back the one the reads hold."""
    scope = _SCOPE.get()
    if scope is not None:
        scope.end_reads()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads only: the scope's shared one, or a short one of its own."""
    scope = _SCOPE.get()
    if scope is not None and scope.engine is engine:
        yield scope.session()
        return
    with Session(read_only_engine(engine), expire_on_commit=False) as session:
        yield session

"""A database restart fails no user's action, though pooled connections are not pinged
on every use (`workflow.db.check_before_use`)."""

from __future__ import annotations

import select
import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.wiring import build
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import build_council, new_challenge
from workflow import db
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import State


def _pooled_backends(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()}


def _as_a_restart_would(engine: Engine, pids: set[int]) -> None:
    """End the server side of each connection, as a restart does to every one, and wait
    until the client could know (the farewell has reached its socket)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for pid in pids:
            assert conn.execute(sa.text(f"SELECT pg_terminate_backend({pid}, 5000)")).scalar()
    admin.dispose()
    sockets = [r.dbapi_connection for r in list(engine.pool._pool.queue)]  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(select.select([s.fileno()], [], [], 0.05)[0] for s in sockets):
            return
    pytest.fail("the terminated connections never heard from the server")


def test_an_action_after_the_database_closed_its_connections_succeeds(
    postgres_engine: Engine, now: datetime
) -> None:
    council = build_council(postgres_engine)
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=postgres_engine)
    with runtime.uow() as uow:
        raised = raise_challenge(uow, new_challenge(now), council.iro, now)
    before = _pooled_backends(postgres_engine)
    _as_a_restart_would(postgres_engine, before)
    with runtime.uow() as uow:
        take_action(uow, raised.reference, "respond", council.social_worker,
                    {"response": "Booked", "actions": "Assessment", "target_date": "2026-12-09"},
                    now)  # fmt: skip
    with runtime.uow() as uow:
        assert uow.challenges.get(raised.reference).state is State.RESPONSE_RECEIVED
    assert _pooled_backends(postgres_engine).isdisjoint(before)  # a fresh connection


def test_a_recently_used_connection_is_not_pinged_and_a_long_idle_one_is(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = postgres_engine.dialect.do_ping
    monkeypatch.setattr(postgres_engine.dialect, "do_ping",
                        lambda c: pings.append(c) or real_ping(c))  # fmt: skip
    first = _pooled_backends(postgres_engine)
    assert _pooled_backends(postgres_engine) == first and pings == []  # no round trip
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
    assert _pooled_backends(postgres_engine) == first and len(pings) == 1

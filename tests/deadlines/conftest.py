"""Fixtures for the deadline tests: the planner installed, a clock you move by hand."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.wiring import build
from tests.factories import Council, new_challenge
from workflow.deadline_planner import DEADLINE, ladder_for, planned
from workflow.deadline_settings import DeadlineSettings
from workflow.domain import Challenge
from workflow.runtime import Runtime
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings
from workflow.sweep import Fired, sweep

WED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # the shared `now`: Wednesday 2 December 2026


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# Raised at WED at the social worker stage of the handbook ladder: day 1 is Thu 3 Dec, due
# at 17:00 on Wed 9 Dec; reminders 2 working days before (Mon 7 Dec 09:00) and on the
# morning of the due day; the 20-day cap is Mon 4 Jan 2027 (25 and 28 December and
# 1 January are bank holidays).
DUE = utc(2026, 12, 9, 17, 0)
CAP = utc(2027, 1, 4, 17, 0)


@pytest.fixture(autouse=True)
def fast_path_holds(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Any:
    """Every sweep in these tests fires its batches on the fast path, unless the test plants
    a fault (`sweep_falls_back`): the one-savepoint-each redo would hide a broken fast path."""
    caplog.set_level(logging.WARNING, logger="workflow.sweep")
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    redone = [r for r in records if r.name == "workflow.sweep" and "redone" in r.getMessage()]
    if request.node.get_closest_marker("sweep_falls_back") is None:
        assert redone == [], [r.message for r in redone]


SETTINGS = DeadlineSettings(
    IRO_DISPUTES_SWEEP_SECONDS=30,
    IRO_DISPUTES_DEADLINE_LEASE_SECONDS=300,
    IRO_DISPUTES_SWEEP_BATCH=7,  # small, so tests cross batch boundaries
    IRO_DISPUTES_DEADLINE_MAX_ATTEMPTS=3,
    IRO_DISPUTES_DEADLINE_RETRY_SECONDS=60,
)


@pytest.fixture
def settings() -> DeadlineSettings:
    return SETTINGS


@pytest.fixture
def notts(engine: Engine) -> Runtime:
    """A runtime whose ladder asks the IRO on every timeout (Nottinghamshire)."""
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="nottinghamshire"), engine=engine)


def raise_formal(
    runtime: Runtime,
    council: Council,
    at: datetime,
    stage: str | None = None,
    child: str = "LL1001",
) -> Challenge:
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(at, stage=stage, child=child), council.iro, at)


def run_sweep(runtime: Runtime, at: datetime, worker: str = "test-worker") -> list[Fired]:
    return sweep(runtime, at, worker=worker, settings=SETTINGS)


def rows(runtime: Runtime, challenge: Challenge, status: str | None = None) -> list[Any]:
    query = sa.select(DEADLINE).where(DEADLINE.c.challenge_id == challenge.id)
    if status:
        query = query.where(DEADLINE.c.status == status)
    with runtime.engine.connect() as conn:
        return list(conn.execute(query.order_by(DEADLINE.c.due_at, DEADLINE.c.id)))


def pending(runtime: Runtime, challenge: Challenge) -> list[tuple[str, datetime]]:
    return [(r.kind, r.due_at) for r in rows(runtime, challenge, "pending")]


def stage_clock(runtime: Runtime, challenge: Challenge, at: datetime) -> list[tuple[str, datetime]]:
    """Every deadline of the challenge's stage clock as planned at `at` (pure: its rows
    are written one at a time, each when the one before it fires)."""
    c = current(runtime, challenge)
    with runtime.uow() as uow:
        plans = planned(c, ladder_for(uow.session, c.ladder_hash), at)
    return sorted((p.kind.value, p.due_at) for p in plans if p.kind.value != "cap")


def events(runtime: Runtime, challenge: Challenge) -> list[Any]:
    with runtime.uow() as uow:
        return uow.challenges.events(challenge.id or 0)


def current(runtime: Runtime, challenge: Challenge) -> Challenge:
    with runtime.uow() as uow:
        return uow.challenges.get(challenge.reference)


SECOND = timedelta(seconds=1)

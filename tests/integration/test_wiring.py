"""The unit of work gets its listeners when it is built: nothing global to forget."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from api.wiring import build
from tests.factories import build_council, new_challenge
from workflow.runtime import Runtime, build_runtime
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings

SETTINGS = WorkflowSettings(IRO_DISPUTES_LADDER="handbook")


def _rows(engine: Engine, table: str, challenge_id: int | None) -> int:
    t = SQLModel.metadata.tables[table]
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(t.c.challenge_id == challenge_id)
        return int(conn.execute(query).scalar_one())


def _raise(runtime: Runtime, iro: int, now: datetime) -> int | None:
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(now, stage="social_worker"), iro, now).id


def test_the_built_runtime_plans_and_queues_and_the_bare_one_does_neither(
    engine: Engine, now: datetime
) -> None:
    council = build_council(engine)
    bare = build_runtime(SETTINGS, engine)
    full = build(SETTINGS, engine)  # built second: must not change the bare one
    assert bare.listeners == () and len(full.listeners) == 2

    quiet = _raise(bare, council.iro, now)
    assert _rows(engine, "deadline", quiet) == 0
    assert _rows(engine, "mail_outbox", quiet) == 0

    wired = _raise(full, council.iro, now)
    assert _rows(engine, "deadline", wired) >= 2  # the stage's timeout and the cap, at least
    assert _rows(engine, "mail_outbox", wired) == 1  # the social worker's email

    again = _raise(bare, council.iro, now)  # still bare after a wired one ran
    assert _rows(engine, "deadline", again) == 0

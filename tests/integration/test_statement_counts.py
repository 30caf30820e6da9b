"""How many statements each action costs: a guard against per-object loading creeping back.

Counted on the real wiring (deadlines and the outbox listening), after warm-up, so the
ladder and statement caches are filled as in a running service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import Council, new_challenge
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.states import Action

# Measured on SQLite, BEGIN included (the first release took 13 to 28 per action).
# raise: 14 since the IRO-cover check (workflow.child_access) reads whether the IRO may
# raise for this child.
MOST = {"raise": 14, "escalate": 13, "respond": 10, "accept": 11}


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _lifecycle(runtime: Runtime, council: Council, at: datetime) -> dict[str, list[str]]:
    counts: dict[str, list[str]] = {}
    with counted(runtime.engine) as seen, runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(at, stage="social_worker"), council.iro, at)
    counts["raise"] = list(seen)
    steps = [
        ("escalate", Action.ESCALATE, council.iro, {"reason": "No answer."}),
        ("respond", Action.RESPOND, council.team_manager,
         {"response": "Booked.", "actions": "Plan", "target_date": "2026-12-20"}),
        ("accept", Action.ACCEPT, council.iro, {"outcome": "Agreed", "impact": "Settled"}),
    ]  # fmt: skip
    for name, action, actor, params in steps:
        with counted(runtime.engine) as seen, runtime.uow() as uow:
            take_action(uow, ref.reference, action, actor, params, at)
        counts[name] = list(seen)
    return counts


def test_each_action_costs_a_bounded_number_of_statements(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _lifecycle(runtime, council, now)  # warm-up: ladder versions, caches
    counts = _lifecycle(runtime, council, now + timedelta(minutes=1))
    for name, statements in counts.items():
        assert len(statements) <= MOST[name], (name, statements)
        assert statements.count("INSERT") <= 6, (name, statements)

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

# Measured on SQLite, BEGIN included (the first release took 13 to 28 per action; then
# raise 8, escalate 9, respond 9, accept 10, withdraw 9). Each action now reads once, then
# writes: the challenge with its child, the child's team, the social worker with their
# manager and the IRO (`workflow.directory.PeopleAlongside`) in one query, so routing to
# the first stages and the outbox's recipients need no more; accept and withdraw read
# who has responded on the challenge (to tell them all) in the same query, and accept
# whether the kind of outcome picked is on the list (the council's to edit, so it is read
# every time, never cached: it was a read of its own, one more round trip); a raise reads
# the IRO, the child, the theme and the social worker's line in one. The writes are those
# `bench/actions.py`'s plain-SQL floor makes.
MOST = {
    "raise": 7,
    "escalate": 8,
    "respond": 7,
    "accept": 7,
    "extend": 6,
    "pause": 6,
    "resume": 7,
    "withdraw": 7,
    "close": 6,
}


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
        ("accept", Action.ACCEPT, council.iro, {"outcome_kind": "plan_updated", "outcome": "Agreed", "impact": "Settled"}),
    ]  # fmt: skip
    for name, action, actor, params in steps:
        with counted(runtime.engine) as seen, runtime.uow() as uow:
            take_action(uow, ref.reference, action, actor, params, at)
        counts[name] = list(seen)
    return counts


def _the_other_path(runtime: Runtime, council: Council, at: datetime) -> dict[str, list[str]]:
    """Raise, extend, pause, resume, withdraw and close."""
    with runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(at, stage="social_worker"), council.iro, at)
    counts: dict[str, list[str]] = {}
    steps = [
        ("extend", {"working_days": 5, "reason": "The manager is on leave."}),
        ("pause", {"reason": "Court proceedings."}),
        ("resume", {"reason": "Proceedings ended."}),
        ("withdraw", {"reason": "The child moved away."}),
        ("close", {"note": "Done."}),
    ]
    for name, params in steps:
        with counted(runtime.engine) as seen, runtime.uow() as uow:
            take_action(uow, ref.reference, Action(name), council.iro, params, at)
        counts[name] = list(seen)
    return counts


def test_each_action_costs_a_bounded_number_of_statements(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    _lifecycle(runtime, council, now)  # warm-up: ladder versions, caches
    counts = _the_other_path(runtime, council, now + timedelta(minutes=1))
    # A process looks for the ladder version once, at its first raise after warm-up.
    counts.update(_lifecycle(runtime, council, now + timedelta(minutes=2)))
    assert counts.keys() == MOST.keys()
    for name, statements in counts.items():
        assert len(statements) <= MOST[name], (name, len(statements), " ".join(statements))
        assert statements.count("INSERT") <= 6, (name, statements)

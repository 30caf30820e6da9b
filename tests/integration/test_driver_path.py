"""Statements sent on the driver's cursor behave as SQLAlchemy's own execution would:
the same values read back, the engine's listeners called, the driver's errors wrapped,
and nothing written outside the unit of work's transaction."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import Council, new_challenge
from workflow.prepared import Prepared, PreparedRead
from workflow.runtime import Runtime
from workflow.services import (
    _CHALLENGE_AND_CHILD,
    _READ_FOR_ACTION,
    raise_challenge,
    take_action,
)
from workflow.states import Action
from workflow.tables import ChallengeEvent

_EVENT: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]


def _raised(runtime: Runtime, council: Council, now: datetime) -> str:
    with runtime.uow() as uow:
        return raise_challenge(
            uow, new_challenge(now, stage="social_worker"), council.iro, now
        ).reference


def test_the_prepared_read_gives_what_core_gives(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    reference = _raised(runtime, council, now)
    with runtime.engine.connect() as conn, conn.begin():
        core = conn.execute(_CHALLENGE_AND_CHILD, {"reference": reference}).one()._mapping
        ours = _READ_FOR_ACTION.first(conn, {"reference": reference})
        assert ours is not None
        assert ours._mapping == dict(core)  # aware UTC times, booleans, ids alike
        assert ours.raised_at == core["raised_at"] and ours.raised_at.tzinfo is not None
        assert _READ_FOR_ACTION.first(conn, {"reference": "IRO-1999-0001"}) is None
        with pytest.raises(AttributeError):
            _ = ours.no_such_column


def test_the_engine_listeners_see_every_statement_and_may_rewrite_it(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    """Tracing and statement counts keep working on the driver's path."""
    reference = _raised(runtime, council, now)
    seen: list[tuple[str, bool]] = []
    after: list[str] = []

    def before(conn: object, cursor: object, sql: str, params: object, ctx: object,
               many: bool) -> tuple[str, object]:  # fmt: skip
        seen.append((sql.split(None, 1)[0].upper(), many))
        return "/* traced */ " + sql, params

    def done(conn: object, cursor: object, sql: str, *args: object) -> None:
        after.append(sql)

    sa.event.listen(runtime.engine, "before_cursor_execute", before, retval=True)
    sa.event.listen(runtime.engine, "after_cursor_execute", done)
    try:
        with runtime.uow() as uow:
            take_action(uow, reference, Action.PAUSE, council.iro, {"reason": "Court."}, now)
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", before)
        sa.event.remove(runtime.engine, "after_cursor_execute", done)
    kinds = [kind for kind, _ in seen]
    assert kinds.count("SELECT") == 1 and "UPDATE" in kinds and "INSERT" in kinds
    assert len(after) == len(seen) and all(sql.startswith("/* traced */") for sql in after)


def test_a_driver_error_is_sqlalchemys_and_the_transaction_is_left_to_roll_back(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    reference = _raised(runtime, council, now)
    insert = Prepared(sa.insert(_EVENT), ["challenge_id", "seq", "kind", "occurred_at",
                                          "recorded_at", "changes", "details"])  # fmt: skip
    with runtime.engine.connect() as conn:
        challenge_id = conn.execute(sa.text("SELECT id FROM challenge WHERE reference = :r"),
                                    {"r": reference}).scalar_one()  # fmt: skip
        conn.rollback()
        row = {"challenge_id": challenge_id, "seq": 1, "kind": "raise_formal",
               "occurred_at": now, "recorded_at": now, "changes": {}, "details": {}}  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError), conn.begin():  # event 1 already exists
            insert.run(conn, row)
        with pytest.raises(sa.exc.IntegrityError), conn.begin():  # and in a batch
            insert.run(conn, [{**row, "seq": 50}, row])
    with runtime.engine.connect() as conn:  # the batch's first row went with its transaction
        seqs = conn.execute(sa.select(_EVENT.c.seq).where(_EVENT.c.challenge_id == challenge_id))
        assert sorted(seqs.scalars()) == [1]


def test_without_a_transaction_it_goes_through_sqlalchemy(engine: Engine) -> None:
    """A connection not yet in a transaction begins one as Core would (autobegin)."""
    read = PreparedRead(sa.select(sa.literal(1).label("one")))
    with engine.connect() as conn:
        assert not conn.in_transaction()
        row = read.first(conn, {})
        assert row is not None and row.one == 1 and conn.in_transaction()


def test_a_connection_keeps_one_cursor_and_a_failed_statement_gives_it_up(
    runtime: Runtime, council: Council, now: datetime
) -> None:
    reference = _raised(runtime, council, now)
    cursors: list[object] = []

    def note(conn: object, cursor: object, *args: object) -> None:
        cursors.append(cursor)

    duplicate = Prepared(sa.insert(_EVENT), ["challenge_id", "seq", "kind", "occurred_at",
                                             "recorded_at", "changes", "details"])  # fmt: skip
    sa.event.listen(runtime.engine, "before_cursor_execute", note)
    try:
        with runtime.engine.connect() as conn:
            for _ in range(2):
                with conn.begin():
                    _READ_FOR_ACTION.first(conn, {"reference": reference})
            assert len(cursors) >= 2 and all(c is cursors[0] for c in cursors)
            challenge_id = _READ_FOR_ACTION.first(conn, {"reference": reference}).id  # type: ignore[union-attr]
            conn.rollback()
            row = {"challenge_id": challenge_id, "seq": 1, "kind": "raise_formal",
                   "occurred_at": now, "recorded_at": now, "changes": {}, "details": {}}  # fmt: skip
            with pytest.raises(sa.exc.IntegrityError), conn.begin():
                duplicate.run(conn, row)
            failed = cursors[-1]
            with conn.begin():  # SQLAlchemy closed the failed statement's cursor: a new one
                found = _READ_FOR_ACTION.first(conn, {"reference": reference})
            assert found is not None and found.reference == reference
            assert cursors[-1] is not failed
            # A connection the pool replaced never gets its predecessor's cursor.
            kept = cursors[-1]
            conn.invalidate()
            conn.rollback()
            with conn.begin():
                again = _READ_FOR_ACTION.first(conn, {"reference": reference})
            assert again is not None and cursors[-1] is not kept
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", note)

"""The audit chain seals an event's recorded facts (team, service area, working-day
numbers) on links sealed since migration 0017 (digest version 2), on both databases:
an altered team is caught; links sealed before (version 1) still verify; a renumbering
of working days after a calendar change is not taken for tampering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.factories import new_challenge
from tests.integration.test_audit_chain import _tamper
from workflow.audit_chain import seal, verify
from workflow.event_facts import renumber_working_days
from workflow.services import raise_challenge, take_action


def _two_events(runtime, council) -> tuple[int, int]:
    now = datetime.now(UTC) - timedelta(days=3)
    with runtime.uow() as uow:
        ref = raise_challenge(
            uow, new_challenge(now, stage="social_worker"), council.iro, now
        ).reference
    with runtime.uow() as uow:
        take_action(uow, ref, "pause", council.iro, {"reason": "waiting for the review"}, now)
    with runtime.engine.connect() as conn:
        first, second = conn.execute(
            sa.text("SELECT id FROM challenge_event ORDER BY id")
        ).scalars()
    return first, second


def _versions(engine) -> list[int]:
    with engine.connect() as conn:
        query = "SELECT digest_version FROM audit_link WHERE log = 'challenge_event' ORDER BY id"
        return list(conn.execute(sa.text(query)).scalars())


def test_an_altered_team_on_a_row_sealed_now_is_caught(runtime, council):
    _, second = _two_events(runtime, council)
    seal(runtime.engine, datetime.now(UTC))
    assert _versions(runtime.engine) == [2, 2]
    assert verify(runtime.engine).ok
    _tamper(runtime.engine, f"UPDATE challenge_event SET team_id = NULL, service_area = 'Other' "
            f"WHERE id = {second}", "challenge_event")  # fmt: skip
    events = verify(runtime.engine).logs[0]
    assert (events.broken_at, events.why) == (second, "the row was changed after it was sealed")


def test_an_altered_working_day_on_a_row_sealed_now_is_caught(runtime, council):
    first, _ = _two_events(runtime, council)
    seal(runtime.engine, datetime.now(UTC))
    _tamper(runtime.engine, f"UPDATE challenge_event SET working_day = working_day - 3 "
            f"WHERE id = {first}", "challenge_event")  # fmt: skip
    assert verify(runtime.engine).logs[0].broken_at == first


def test_rows_sealed_before_version_2_still_verify_without_their_facts(runtime, council):
    first, second = _two_events(runtime, council)
    seal(runtime.engine, datetime.now(UTC), version=1)
    with runtime.uow() as uow:  # a later event, sealed as every event is now
        ref = uow.session.execute(sa.text("SELECT reference FROM challenge")).scalar_one()
    with runtime.uow() as uow:
        take_action(uow, ref, "resume", council.iro, {}, datetime.now(UTC) - timedelta(days=1))
    seal(runtime.engine, datetime.now(UTC))
    assert _versions(runtime.engine) == [1, 1, 2]
    assert verify(runtime.engine).ok
    # Version 1 never covered the facts (0015 backfilled them after sealing) ...
    _tamper(runtime.engine, f"UPDATE challenge_event SET team_id = NULL WHERE id = {first}",
            "challenge_event")  # fmt: skip
    assert verify(runtime.engine).ok
    # ... but still covers the event itself.
    _tamper(runtime.engine, f"UPDATE challenge_event SET actor_id = NULL WHERE id = {second}",
            "challenge_event")  # fmt: skip
    assert verify(runtime.engine).logs[0].broken_at == second


def test_renumbered_working_days_verify_and_a_later_change_is_still_caught(runtime, council):
    first, second = _two_events(runtime, council)
    seal(runtime.engine, datetime.now(UTC))
    with runtime.engine.connect() as conn:
        at = conn.execute(sa.text(f"SELECT occurred_at FROM challenge_event WHERE id = {first}"))
        raised = at.scalar_one()
    raised = raised if isinstance(raised, datetime) else datetime.fromisoformat(raised)
    ladder = runtime.ladders.current
    # Closure days added afterwards, twice: each renumbering keeps the numbers before.
    for days_before in (10, 20):
        closed_day = (raised - timedelta(days=days_before)).date()
        while closed_day.weekday() >= 5:  # a working day, so closing it moves the numbers
            closed_day -= timedelta(days=1)
        ladder = replace(ladder, closure_days=ladder.closure_days | {closed_day})
        with runtime.engine.begin() as conn:
            assert renumber_working_days(conn, ladder) >= 1
    with runtime.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM working_day_renumbering")).scalar_one()
    assert kept >= 2
    assert verify(runtime.engine).ok
    _tamper(runtime.engine, f"UPDATE challenge_event SET team_id = NULL WHERE id = {second}",
            "challenge_event")  # fmt: skip
    assert verify(runtime.engine).logs[0].broken_at == second

"""Signed links: GET-safe, bound to person, challenge, stage and action, used once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from notifications.links import (
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    answer_via_link,
    open_link,
)
from notifications.tables import LinkToken
from tests.factories import new_challenge
from tests.notifications.conftest import outbox
from workflow.errors import DomainError, RuleViolation
from workflow.services import raise_challenge, take_action
from workflow.states import Action, State
from workflow.tables import ChallengeEvent, Person

FORM = {
    "response": "Booked for 9 December.",
    "actions": "SW to attend",
    "target_date": "2026-12-09",
}


def _token(runtime, to="sw@council.test", n=0):
    rows = [r for r in outbox(runtime) if r.to_address == to and r.secrets]
    return rows[n].secrets[0]


def _snapshot(engine):
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM challenge_event")).scalar(),
            conn.execute(sa.text("SELECT version, state FROM challenge")).all(),
            conn.execute(sa.text("SELECT id, used_at, expires_at FROM mail_link_token")).all(),
            conn.execute(sa.text("SELECT count(*) FROM mail_outbox")).scalar(),
        )


def test_opening_a_link_changes_nothing(runtime, raised, now):
    token = _token(runtime)
    before = _snapshot(runtime.engine)
    for _ in range(3):  # a mail scanner, a preview, the person
        with runtime.uow() as uow:
            view = open_link(uow, token, now + timedelta(minutes=5))
    assert _snapshot(runtime.engine) == before
    assert view.reference == raised.reference
    assert view.person_name == "Sam Worker"
    assert view.case_reference == "LL1001"
    assert view.action == "respond"


def test_answering_records_the_response_as_the_bound_person_and_uses_the_token(
    runtime, raised, council, now
):
    token = _token(runtime)
    with runtime.uow() as uow:
        challenge = answer_via_link(uow, token, FORM, now + timedelta(hours=1))
    assert challenge.state is State.RESPONSE_RECEIVED
    with Session(runtime.engine) as s:
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")).one()
        used = s.exec(select(LinkToken).where(LinkToken.purpose == "link")).one()
    assert event.actor_id == council.social_worker
    assert event.details["response"] == FORM["response"]
    assert used.used_at is not None
    with runtime.uow() as uow, pytest.raises(LinkUsed):
        open_link(uow, token, now + timedelta(hours=2))
    with runtime.uow() as uow, pytest.raises(LinkUsed):
        answer_via_link(uow, token, FORM, now + timedelta(hours=2))


def test_a_refused_answer_leaves_the_token_unused(runtime, raised, now):
    token = _token(runtime)
    with runtime.uow() as uow, pytest.raises(RuleViolation):
        answer_via_link(uow, token, {**FORM, "target_date": ""}, now)
    with runtime.uow() as uow:
        assert open_link(uow, token, now).reference == raised.reference


def test_a_link_for_a_stage_that_ended_is_refused(runtime, raised, council, now):
    token = _token(runtime)
    with runtime.uow() as uow:
        take_action(uow, raised.reference, Action.ESCALATE, council.iro, {}, now)
    with runtime.uow() as uow, pytest.raises(LinkExpired, match=r"ended|another stage"):
        open_link(uow, token, now)
    with runtime.uow() as uow, pytest.raises(LinkExpired):
        answer_via_link(uow, token, FORM, now)
    # The new stage's responder got a working link of their own.
    with runtime.uow() as uow:
        assert open_link(uow, _token(runtime, "tm@council.test"), now).stage_key == "team_manager"


def test_a_link_after_the_challenge_was_withdrawn_is_refused(runtime, raised, council, now):
    token = _token(runtime)
    with runtime.uow() as uow:
        take_action(uow, raised.reference, Action.WITHDRAW, council.iro, {"reason": "moved"}, now)
    with runtime.uow() as uow, pytest.raises(LinkExpired, match=r"ended|Withdrawn"):
        open_link(uow, token, now)


def test_a_link_past_its_hard_expiry_is_refused(runtime, raised, now):
    token = _token(runtime)
    with runtime.uow() as uow, pytest.raises(LinkExpired):
        open_link(uow, token, now + timedelta(days=91))


def test_a_token_for_another_challenge_is_refused(runtime, raised, council, now):
    with runtime.uow() as uow:
        other = raise_challenge(uow, new_challenge(now, child="LL1002"), council.iro, now)
    token = _token(runtime)  # the first challenge's
    with runtime.uow() as uow, pytest.raises(LinkInvalid):
        answer_via_link(uow, token, {**FORM, "reference": other.reference}, now)
    with runtime.uow() as uow:
        assert uow.challenges.get(other.reference).state is State.AWAITING_RESPONSE


def test_a_token_for_another_person_is_refused_once_they_no_longer_answer(
    runtime, raised, council, now
):
    token = _token(runtime)
    with Session(runtime.engine) as s:  # the allocated social worker changes
        link = s.exec(select(LinkToken).where(LinkToken.purpose == "link")).one()
        link.person_id = council.other_iro  # bound to someone who is not the responder
        s.add(link)
        s.commit()
    with runtime.uow() as uow, pytest.raises(LinkExpired, match="someone else"):
        open_link(uow, token, now)


def test_the_deputy_of_an_absent_responder_is_not_let_in_by_someone_else_s_link(
    runtime, council, now, mail_settings
):
    with Session(runtime.engine) as s:
        tm = s.get(Person, council.team_manager)
        tm.absent = True
        s.add(tm)
        s.commit()
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now, stage="team_manager"), council.iro, now)
    token = _token(runtime, "dtm@council.test")
    with runtime.uow() as uow:
        challenge = answer_via_link(uow, token, FORM, now)
    assert challenge.state is State.RESPONSE_RECEIVED


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 500, "' OR 1=1 --"])
def test_unknown_tokens_are_invalid(runtime, raised, now, token):
    with runtime.uow() as uow, pytest.raises(LinkInvalid):
        open_link(uow, token, now)


def test_link_errors_are_domain_errors():
    assert issubclass(LinkExpired, DomainError)
    assert issubclass(LinkUsed, DomainError)
    assert issubclass(LinkInvalid, DomainError)

"""The bundled `qa_led` ladder through the use cases, on SQLite and PostgreSQL: posts,
"any of", the IRO's line, raisers, notices and copies, the informal rules, the high-risk
route, the report-to level and no overall cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.wiring import build
from escalation_rules.model import Role
from notifications.tables import OutboxMessage
from tests.factories import Council, build_council, informal, new_challenge
from workflow import queries
from workflow.errors import NoResponder, NotPermitted, RuleViolation
from workflow.runtime import Runtime
from workflow.services import allowed_actions, raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import State
from workflow.sweep import sweep
from workflow.tables import ChallengeEvent, Person, PersonPost

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # Wednesday, GMT


@pytest.fixture
def qa(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="qa_led"), engine=engine)


class People(dict[str, int]):
    pass


@pytest.fixture
def people(qa: Runtime) -> tuple[Council, People]:
    council = build_council(qa.engine)
    found = People()
    with Session(qa.engine) as s:

        def add(key: str, role: str, post: str | None, manager: int | None = None) -> None:
            person = Person(email=f"{key}@council.test", name=key.replace("_", " ").title(),
                            role=role, manager_id=manager)  # fmt: skip
            s.add(person)
            s.flush()
            assert person.id is not None
            if post:
                s.add(PersonPost(person_id=person.id, post=post))
            found[key] = person.id

        add("atm", "team_manager", "assistant_team_manager", council.team_manager)
        add("service_manager", "service_manager", None, council.head_of_service)
        add("iro_manager", "service_manager", "iro_manager")
        add("head_of_qa", "service_manager", "head_of_qa")
        add("qa_sm", "service_manager", "qa_service_manager")
        add("director", "senior_manager", "director")
        add("chief_executive", "senior_manager", "chief_executive")
        add("strategic_director", "senior_manager", "strategic_director")
        sw = s.get(Person, council.social_worker)
        iro = s.get(Person, council.iro)
        tm = s.get(Person, council.team_manager)
        assert sw is not None and iro is not None and tm is not None
        sw.manager_id, iro.manager_id = found["atm"], found["iro_manager"]
        tm.manager_id = found["service_manager"]
        s.commit()
    return council, found


def _raise(qa: Runtime, council: Council, **changes: object):  # type: ignore[no-untyped-def]
    new = replace(new_challenge(NOW, stage="team_alert"), **changes)  # type: ignore[arg-type]
    with qa.uow() as uow:
        return raise_challenge(uow, new, council.iro, NOW)


def _act(qa: Runtime, ref: str, action: str, actor: int | None, params: dict, at=NOW):  # type: ignore[no-untyped-def]
    with qa.uow() as uow:
        return take_action(uow, ref, action, actor, params, at)


def _mail(qa: Runtime, kind: str) -> list[str]:
    with Session(qa.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        return sorted(r.to_address for r in rows)


def test_any_of_goes_to_the_nearest_post_holder_and_copies_the_social_worker(qa, people):
    council, found = people
    c = _raise(qa, council)
    assert c.responder_id == found["atm"]  # the assistant team manager sits below the TM
    assert c.cap_due_at is None  # this ladder sets no overall cap
    assert _mail(qa, "stage_opened") == ["atm@council.test", "sw@council.test"]


def test_the_iro_manager_stage_goes_up_the_iros_line_and_tells_the_head_of_qa(qa, people):
    council, found = people
    c = _raise(qa, council, stage="iro_manager")
    assert c.responder_id == found["iro_manager"]
    assert _mail(qa, "stage_opened") == ["head_of_qa@council.test", "iro_manager@council.test"]


def test_a_qa_service_manager_raises_the_service_stage_but_not_the_head_of_service_stage(
    qa, people
):
    council, found = people
    ref = _raise(qa, council, stage="iro_manager").reference
    with pytest.raises(NotPermitted):  # a social worker holds no raising post
        _act(qa, ref, "escalate", council.social_worker, {"stage": "service_alert"})
    c = _act(qa, ref, "escalate", found["qa_sm"], {"stage": "service_alert"})
    assert (c.stage_key, c.responder_id) == ("service_alert", found["service_manager"])
    assert "head_of_qa@council.test" in _mail(qa, "stage_opened")  # copied on the stage
    with pytest.raises(RuleViolation, match="only the Head of Quality Assurance may move"):
        _act(qa, ref, "escalate", council.iro, {"stage": "head_of_service"})
    with pytest.raises(NotPermitted):  # nothing above this stage is theirs to raise
        _act(qa, ref, "escalate", found["qa_sm"], {"stage": "head_of_service"})
    c = _act(qa, ref, "escalate", found["head_of_qa"], {"stage": "director"})
    assert (c.stage_key, c.responder_id) == ("director", found["director"])
    c = _act(qa, ref, "escalate", found["head_of_qa"], {"stage": "chief_executive"})
    assert c.responder_id == found["chief_executive"]  # two senior levels, two people


def test_the_report_to_level_has_no_deadline_but_can_be_answered(qa, people):
    council, found = people
    ref = _raise(qa, council, stage="iro_manager").reference
    c = _act(qa, ref, "escalate", found["head_of_qa"], {"stage": "strategic_director"})
    assert (c.state, c.responder_id, c.due_at) == (
        State.AWAITING_RESPONSE,
        found["strategic_director"],
        None,
    )
    with qa.uow() as uow:
        assert "extend" not in allowed_actions(uow, uow.challenges.get(ref))
    with pytest.raises(RuleViolation, match="no timescale"):
        _act(qa, ref, "extend", council.iro, {"working_days": 5, "reason": "More time"})
    assert sweep(qa, NOW + timedelta(days=90), worker="t") == []  # no timeout, no reminder
    answer = {"response": "Noted", "actions": "Funding agreed", "target_date": "2027-03-01"}
    c = _act(qa, ref, "respond", found["strategic_director"], answer)
    assert c.state is State.RESPONSE_RECEIVED


def test_informal_runs_5_working_days_from_the_review_then_goes_formal_by_itself(qa, people):
    council, found = people
    review = date(2026, 11, 30)  # Monday: 5 working days end on Monday 7 December
    agreed = informal(date(2026, 12, 1), date(2026, 12, 20))  # later than the ladder allows
    c = _raise(qa, council, formal=False, stage=None, review_date=review, informal=agreed)
    assert c.state is State.INFORMAL
    assert c.due_at == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    fired = sweep(qa, datetime(2026, 12, 7, 17, 0, 5, tzinfo=UTC), worker="t")
    assert [f.status for f in fired if f.kind == "timeout"] == ["done"]
    with qa.uow() as uow:
        c = uow.challenges.get(c.reference)
    assert (c.state, c.stage_key, c.responder_id) == (
        State.AWAITING_RESPONSE,
        "team_alert",
        found["atm"],
    )
    # No working day lost: day 1 is Tuesday 8 December, day 5 Monday 14 December.
    assert c.due_at == datetime(2026, 12, 14, 17, 0, tzinfo=UTC)


def test_informal_counted_from_the_review_needs_the_review_date(qa, people):
    council, _ = people
    with pytest.raises(RuleViolation, match="date of the review"):
        _raise(qa, council, formal=False, stage=None, review_date=None)


def test_the_high_risk_route_skips_informal_resolution_with_the_reason_on_record(qa, people):
    council, _ = people
    with pytest.raises(RuleViolation, match="why the risk is too high"):
        _raise(qa, council, informal=None)
    c = _raise(qa, council, informal=None, high_risk_reason="Risk of significant harm")
    assert c.state is State.AWAITING_RESPONSE
    with Session(qa.engine) as s:
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.challenge_id == c.id)).one()
    assert event.details["high_risk_reason"] == "Risk of significant harm"


def test_the_handbook_does_not_allow_the_high_risk_route(runtime, council):
    new = replace(new_challenge(NOW), informal=None, high_risk_reason="Risk of harm")
    with runtime.uow() as uow, pytest.raises(RuleViolation, match="does not allow skipping"):
        raise_challenge(uow, new, council.iro, NOW)


def test_a_vacant_post_with_no_fallback_names_the_stage_and_the_post(qa, people):
    council, found = people
    with Session(qa.engine) as s:
        s.execute(sa.update(Person).where(Person.id == found["director"]).values(active=False))
        s.commit()
    ref = _raise(qa, council, stage="iro_manager").reference
    with pytest.raises(NoResponder, match="no director of children's services in the council"):
        _act(qa, ref, "escalate", found["head_of_qa"], {"stage": "director"})


def test_raisers_see_the_challenges_they_may_raise_and_no_others(qa, people):
    council, found = people
    ref = _raise(qa, council, stage="iro_manager").reference
    with Session(qa.engine) as s:
        assert queries.may_view(s, found["qa_sm"], Role.SERVICE_MANAGER, ref)
        assert queries.may_view(s, found["head_of_qa"], Role.SERVICE_MANAGER, ref)
        assert not queries.may_view(s, found["service_manager"], Role.SERVICE_MANAGER, ref)
    _act(qa, ref, "escalate", found["head_of_qa"], {"stage": "director"})
    with Session(qa.engine) as s:  # nothing above the Director stage is the QA SM's to raise
        assert not queries.may_view(s, found["qa_sm"], Role.SERVICE_MANAGER, ref)
        assert queries.may_view(s, found["head_of_qa"], Role.SERVICE_MANAGER, ref)

"""Two more councils' procedures, written from escalation_rules/LADDERS.md alone
(tests/ladders/councils/), checked with `rules check` and run through the use cases on
SQLite and PostgreSQL: routes, fallbacks, copies, notices, raisers, timeouts, the cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.commands.rules import app as rules_app
from api.wiring import build
from notifications.tables import OutboxMessage
from tests.factories import Council, build_council, informal, new_challenge
from tests.notifications.conftest import outbox
from workflow.errors import RuleViolation
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import State
from workflow.sweep import sweep
from workflow.tables import Child, Person, PersonPost, Team

COUNCILS = Path(__file__).parent / "councils"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # Wednesday, GMT


@pytest.mark.parametrize("council_file", ["riverside.toml", "hillside.toml"])
def test_rules_check_accepts_them_and_explain_says_everything_in_words(council_file: str):
    path = str(COUNCILS / council_file)
    checked = CliRunner().invoke(rules_app, ["check", path])
    assert checked.exit_code == 0 and checked.stdout.startswith("OK: "), checked.output
    assert checked.stderr == ""  # no warnings either
    explained = CliRunner().invoke(rules_app, ["explain", path, "--start", "2026-12-23T10:00"])
    assert explained.exit_code == 0 and "None" not in explained.stdout


class People(dict[str, int]):
    pass


def _setup(engine: Engine, ladder: str) -> tuple[Runtime, Council, People]:
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER=str(COUNCILS / ladder)), engine=engine)
    council = build_council(engine)
    found = People()
    with Session(engine) as s:
        team1 = s.get(Person, council.social_worker).team_id  # type: ignore[union-attr]
        team2 = Team(name="Children in Care Team 2", service_area="Children Looked After")
        s.add(team2)
        s.flush()
        found["team2"] = team2.id  # type: ignore[assignment]

        def add(key: str, role: str, post: str | None = None, team: int | None = None) -> None:
            person = Person(email=f"{key}@council.test", name=key.replace("_", " ").title(),
                            role=role, team_id=team)  # fmt: skip
            s.add(person)
            s.flush()
            assert person.id is not None
            if post:
                s.add(PersonPost(person_id=person.id, post=post))
            found[key] = person.id

        add("tm2", "team_manager", team=team2.id)
        add("iro_manager", "service_manager", "iro_manager")
        add("head_of_qa", "service_manager", "head_of_qa")
        add("qa_sm", "service_manager", "qa_service_manager")
        add("service_manager", "service_manager", team=team1)
        add("director", "senior_manager", "director")
        add("chief_executive", "senior_manager", "chief_executive")
        add("strategic_director", "senior_manager", "strategic_director")
        s.add(PersonPost(person_id=council.deputy_team_manager, post="duty_team_manager"))
        iro = s.get(Person, council.iro)
        assert iro is not None
        iro.manager_id = found["iro_manager"]
        # A child in team 2 with no allocated social worker, and one with neither.
        s.add(Child(case_reference="LL2001", display_name="Child LL2001",
                    legal_status="looked_after", iro_id=council.iro, team_id=team2.id))  # fmt: skip
        s.add(Child(case_reference="LL2002", display_name="Child LL2002",
                    legal_status="looked_after", iro_id=council.iro))  # fmt: skip
        s.commit()
    return runtime, council, found


def _raise(rt: Runtime, council: Council, at: datetime = NOW, iro: int | None = None,
           **changes: object):  # type: ignore[no-untyped-def]  # fmt: skip
    new = replace(new_challenge(at), **changes)  # type: ignore[arg-type]
    with rt.uow() as uow:
        return raise_challenge(uow, new, iro or council.iro, at)


def _act(rt: Runtime, ref: str, action: str, actor: int | None, params: dict, at=NOW):  # type: ignore[no-untyped-def]
    with rt.uow() as uow:
        return take_action(uow, ref, action, actor, params, at)


def _mail(rt: Runtime, challenge_id: int | None, kind: str = "stage_opened") -> list[str]:
    with Session(rt.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind,
                                                  OutboxMessage.challenge_id == challenge_id))  # fmt: skip
        return sorted(r.to_address for r in rows)


# -- Riverside: informal first, ATM or TM, the IRO's line, two senior levels, cap from raise


@pytest.fixture
def riverside(engine: Engine) -> tuple[Runtime, Council, People]:
    return _setup(engine, "riverside.toml")


def test_riverside_practice_alert_goes_to_the_team_manager_and_copies_the_social_worker(
    riverside,
):
    rt, council, _ = riverside
    c = _raise(rt, council, stage="practice_alert")
    assert c.responder_id == council.team_manager  # no assistant team manager in the line
    assert _mail(rt, c.id) == ["sw@council.test", "tm@council.test"]
    # Informal: 3 working days from the raise (Mon 7 Dec), and the cap counts from the raise.
    agreed = informal(date(2026, 12, 1), date(2026, 12, 20))  # later than the ladder allows
    i = _raise(rt, council, formal=False, stage=None, informal=agreed)
    assert i.state is State.INFORMAL and i.due_at == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    # 20 working days from Thu 3 Dec, past the holidays and 29-31 December: Thu 7 Jan 2027.
    assert i.cap_due_at == datetime(2027, 1, 7, 17, 0, tzinfo=UTC)


def test_riverside_fallbacks_for_a_child_with_no_social_worker(riverside):
    rt, council, found = riverside
    c = _raise(rt, council, stage="practice_alert", child_reference="LL2001")
    assert c.responder_id == found["tm2"]  # the manager of the team the case sits with
    c = _raise(rt, council, stage="practice_alert", child_reference="LL2002")
    assert c.responder_id == council.deputy_team_manager  # no team either: the duty post


def test_riverside_iro_manager_stage_goes_up_the_iros_line_and_tells_the_head_of_qa(riverside):
    rt, council, found = riverside
    c = _raise(rt, council, stage="iro_manager")
    assert c.responder_id == found["iro_manager"]
    assert _mail(rt, c.id) == ["head_of_qa@council.test", "iro_manager@council.test"]
    # Omar has no line manager holding the post: the fallback, the Head of QA, answers.
    with Session(rt.engine) as s:
        child = s.exec(select(Child).where(Child.case_reference == "LL1002")).one()
        child.iro_id = council.other_iro
        s.commit()
    other = _raise(rt, council, stage="iro_manager", iro=council.other_iro,
                   child_reference="LL1002")  # fmt: skip
    assert other.responder_id == found["head_of_qa"]


def test_riverside_climbs_to_two_different_senior_people_with_copies(riverside):
    rt, council, found = riverside
    c = _raise(rt, council, stage="head_of_service")
    assert c.responder_id == council.head_of_service
    assert _mail(rt, c.id) == ["hos@council.test", "iro_manager@council.test"]  # copied
    with pytest.raises(RuleViolation):  # the Director stage is not a starting stage
        _raise(rt, council, stage="director")
    c = _act(rt, c.reference, "escalate", council.iro, {"stage": "director"})
    assert c.responder_id == found["director"]
    c = _act(rt, c.reference, "escalate", council.iro, {"stage": "chief_executive"})
    assert c.responder_id == found["chief_executive"]
    assert "director@council.test" in _mail(rt, c.id)  # copied on the Chief Executive stage


def test_riverside_closure_days_and_cafcass_only_once_formal(riverside):
    rt, council, _ = riverside
    at = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)
    c = _raise(rt, council, at, stage="practice_alert", informal=None,
               high_risk_reason="Risk of significant harm")  # fmt: skip
    # Day 1 Thu 24 Dec; 25-28 Dec holidays and weekend; 29-31 Dec closed; 1 Jan; weekend.
    assert c.due_at == datetime(2027, 1, 7, 17, 0, tzinfo=UTC)
    i = _raise(rt, council, formal=False, stage=None,
               informal=informal(date(2026, 12, 1), date(2026, 12, 20)))  # fmt: skip
    referral = {"ground": "care_plan_not_prepared", "referred_on": date(2026, 12, 2)}
    with pytest.raises(RuleViolation):
        _act(rt, i.reference, "refer_cafcass", council.iro, referral)
    _act(rt, c.reference, "refer_cafcass", council.iro, referral, at)


# -- Hillside: formal from the start, raisers, a notice, the report-to level, no cap


@pytest.fixture
def hillside(engine: Engine) -> tuple[Runtime, Council, People]:
    return _setup(engine, "hillside.toml")


def test_hillside_iro_alert_same_day_deadline_copy_fallback_and_no_cap(hillside):
    rt, council, found = hillside
    c = _raise(rt, council, stage=None, informal=None)
    assert (c.stage_key, c.responder_id, c.cap_due_at) == ("iro_alert", council.social_worker,
                                                            None)  # fmt: skip
    # Day 1 is Wednesday 2 December itself; the tenth working day is Tuesday 15 December.
    assert c.due_at == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert _mail(rt, c.id) == ["sw@council.test", "tm@council.test"]
    with pytest.raises(RuleViolation, match="does not allow skipping"):
        _raise(rt, council, informal=None, high_risk_reason="Risk of harm")
    none = _raise(rt, council, informal=None, child_reference="LL2001")
    assert none.responder_id == found["tm2"]
    fired = sweep(rt, datetime(2026, 12, 15, 16, 0, 5, tzinfo=UTC), worker="t")
    assert any(f.kind == "timeout" and f.status == "done" for f in fired)
    with rt.uow() as uow:
        assert uow.challenges.get(c.reference).state is State.AWAITING_IRO_DECISION  # ask_iro


def test_hillside_raisers_the_notice_and_the_report_to_level(hillside):
    rt, council, found = hillside
    ref = _raise(rt, council, informal=None).reference
    c = _act(rt, ref, "escalate", found["qa_sm"], {"stage": "service_manager_alert"})
    assert c.responder_id == found["service_manager"]
    assert _mail(rt, c.id) == [
        "head_of_qa@council.test",  # told of every stage-2 alert
        "service_manager@council.test",
        "sw@council.test",
        "tm@council.test",
    ]
    with pytest.raises(RuleViolation, match="only the Head of Quality Assurance may move"):
        _act(rt, ref, "escalate", council.iro, {"stage": "head_of_service_alert"})
    c = _act(rt, ref, "escalate", found["head_of_qa"], {"stage": "head_of_service_alert"})
    assert c.responder_id == council.head_of_service
    # Its timeout escalates into the report-to level: no deadline there.
    assert c.due_at is not None
    sweep(rt, c.due_at.replace(second=5), worker="t")
    with rt.uow() as uow:
        top = uow.challenges.get(ref)
    assert (top.stage_key, top.responder_id, top.due_at) == (
        "strategic_director", found["strategic_director"], None)  # fmt: skip
    [told] = [m for m in outbox(rt, kind="stage_opened", challenge_id=top.id)
              if m.to_address == "strategic_director@council.test"]  # fmt: skip
    assert told.subject.endswith("Challenge escalated to Reported to the Strategic Director: "
                                 "no response time at this level")  # fmt: skip
    assert "this level has no response time, and you may answer it." in told.body_text
    assert "None" not in told.body_text and "response by ." not in told.body_text
    with pytest.raises(RuleViolation):  # CAFCASS only for children in care
        _act(rt, _raise(rt, council, informal=None, child_reference="LL1002").reference,
             "refer_cafcass", council.iro,
             {"ground": "care_plan_not_prepared", "referred_on": date(2026, 12, 2)})  # fmt: skip

"""Every ladder shipped with iro-disputes loads and says what DOMAIN.md section 2 says."""

from pathlib import Path

import pytest

import escalation_rules
from escalation_rules import LegalStatus, Role, TimeoutAction, bundled_ladders, load_ladder_setting
from escalation_rules.model import CountedFrom, Route, Who

SHIPPED = ["barnet", "darlington", "handbook", "nottinghamshire", "peterborough", "qa_led"]


def test_the_shipped_ladders_are_listed():
    assert bundled_ladders() == SHIPPED


@pytest.mark.parametrize("ladder_id", SHIPPED)
def test_each_shipped_ladder_loads_under_its_own_id(ladder_id):
    ladder = load_ladder_setting(ladder_id)
    assert ladder.id == ladder_id
    assert len(ladder.content_hash) == 64
    assert ladder.stages[-1].on_timeout is TimeoutAction.ASK_IRO


@pytest.mark.parametrize("ladder_id", SHIPPED)
def test_each_shipped_ladder_cites_its_source(ladder_id):
    folder = Path(escalation_rules.__file__).parent / "ladders"
    text = (folder / f"{ladder_id}.toml").read_text()
    assert "DOMAIN.md" in text or "IRO Handbook" in text


def test_handbook():
    ladder = load_ladder_setting("handbook")
    assert ladder.informal_first
    assert ladder.stage_keys == (
        "social_worker",
        "team_manager",
        "head_of_service",
        "senior_manager",
    )
    assert all(s.working_days == 5 and s.may_start_here for s in ladder.stages)
    assert [s.on_timeout for s in ladder.stages[:-1]] == [TimeoutAction.ESCALATE] * 3
    assert ladder.overall_cap_working_days == 20
    assert [(r.working_days_before, r.at.hour) for r in ladder.reminders] == [(2, 9), (0, 9)]
    assert ladder.cafcass.legal_statuses == frozenset(LegalStatus)
    assert not ladder.cafcass.requires_formal_process


def test_darlington_copies_the_head_of_service_from_team_manager_onwards():
    ladder = load_ladder_setting("darlington")
    assert [s.responder for s in ladder.stages] == [
        who(Role.SOCIAL_WORKER),
        who(Role.TEAM_MANAGER),
        who(Role.HEAD_OF_SERVICE),
        who(Role.SENIOR_MANAGER),
    ]
    assert who(Role.HEAD_OF_SERVICE) not in ladder.stages[0].copy
    later = [s for s in ladder.stages[1:] if s.responder != who(Role.HEAD_OF_SERVICE)]
    assert all(who(Role.HEAD_OF_SERVICE) in s.copy for s in later)


def test_barnet():
    ladder = load_ladder_setting("barnet")
    first = ladder.stages[0]
    assert (first.name, first.responder, first.working_days) == (
        "Practice Alert",
        who(Role.TEAM_MANAGER),
        5,
    )
    assert ladder.cafcass.legal_statuses == {LegalStatus.LOOKED_AFTER}
    assert ladder.overall_cap_working_days == 20


def test_nottinghamshire():
    ladder = load_ladder_setting("nottinghamshire")
    first = ladder.stages[0]
    assert not ladder.informal_first
    assert (first.name, first.responder, first.working_days) == (
        "IRO Alert",
        who(Role.SOCIAL_WORKER),
        10,
    )
    assert first.copy == (who(Role.TEAM_MANAGER),)
    assert all(s.on_timeout is TimeoutAction.ASK_IRO for s in ladder.stages)


def test_peterborough():
    ladder = load_ladder_setting("peterborough")
    assert [(s.name, s.responder) for s in ladder.stages] == [
        ("Case Alert", who(Role.TEAM_MANAGER)),
        ("Management Alert", who(Role.SERVICE_MANAGER)),
    ]
    assert all(s.on_timeout is TimeoutAction.ASK_IRO for s in ladder.stages)


def test_ladder_navigation():
    ladder = load_ladder_setting("handbook")
    assert ladder.stage("team_manager").responder == who(Role.TEAM_MANAGER)
    assert ladder.next_stage("head_of_service").key == "senior_manager"
    assert ladder.next_stage("senior_manager") is None
    assert [s.key for s in ladder.higher_stages("head_of_service")] == ["senior_manager"]
    assert ladder.higher_stages(None) == ladder.stages
    assert ladder.starting_stages == ladder.stages
    with pytest.raises(KeyError):
        ladder.stage("chief_executive")


def test_role_labels():
    assert Role.HEAD_OF_SERVICE.label == "Head of Service"
    assert all(role.label for role in Role)


def who(role: Role) -> Who:
    return Who((role.value,))


def test_qa_led_shows_every_new_key():
    ladder = load_ladder_setting("qa_led")
    assert {p.key: p.route.value for p in ladder.posts}["iro_manager"] == "iro_line"
    first, iro_manager, service, head = ladder.stages[:4]
    assert first.responder == Who(("assistant_team_manager", "team_manager"))
    assert first.fallbacks[0] == Who(("team_manager",), Route.CHILD_TEAM)
    assert iro_manager.notify == (Who(("head_of_qa",)),)
    assert service.raised_by == ("iro", "qa_service_manager")
    assert (head.may_start_here, head.raised_by) == (False, ("head_of_qa",))
    assert ladder.stages[-1].working_days is None
    assert ladder.overall_cap_working_days is None
    assert ladder.informal.working_days == 5
    assert ladder.informal.counted_from is CountedFrom.REVIEW_DATE
    assert ladder.informal.on_timeout is TimeoutAction.ESCALATE
    assert ladder.high_risk_may_skip_informal
    assert ladder.post_name("head_of_qa") == "Head of Quality Assurance"
    assert ladder.post_name("team_manager") == "Team manager"

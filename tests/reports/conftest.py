"""A hand-built month of challenges, made through the real use cases with a fixed clock.

The report under test is November 2026 (GMT, so London time = UTC) against
October 2026. Handbook ladder: informal first, stages social_worker,
team_manager, head_of_service, senior_manager at 5 working days each, day 1
is the next working day, due 17:00 London, 20-day cap.

People: Imogen (IRO) has LL1001 and LL1002, allocated to Sam (Children in Care
Team 1, "Children Looked After"); Omar (IRO) has LL1003, allocated to Sue in
"Care Leavers Team" ("Leaving Care"), whose manager Tom answers to Hugh (Head
of Service) like Tara does.

  A  LL1001 informal Mon 2 Nov 10:00 health_assessments; accepted Tue 10 Nov (resolved informally)
  B  LL1001 formal at social_worker Wed 4 Nov 10:00 drift_and_delay
       (day 1 Thu 5 Nov, due Wed 11 Nov 17:00; cap due Wed 2 Dec 17:00)
     Sam responds Mon 9 Nov 12:00: working days Thu 5, Fri 6, Mon 9 = 3, on time
     rejected Tue 10 Nov 10:00 -> team_manager (day 1 Wed 11, due Tue 17 Nov 17:00)
     CAFCASS referral Thu 12 Nov, ground care_plan_not_prepared
     Tara responds Thu 19 Nov 10:00: Wed 11 .. Thu 19 = 7 working days, late
     accepted Fri 20 Nov 10:00 (resolved at team_manager); formal Thu 5 .. Fri 20 = 12 working
       days, within the cap; good-practice alert by Imogen Fri 20 Nov 11:00
  C  LL1003 formal at team_manager Mon 16 Nov 10:00 permanence_planning (Omar)
       (day 1 Tue 17, due Mon 23 Nov 17:00)
     Tom responds Mon 23 Nov 16:00: Tue 17 .. Mon 23 = 5 working days, on time
     escalated Tue 24 Nov 10:00 -> head_of_service (day 1 Wed 25, due Tue 1 Dec 17:00):
       still awaiting a response at the report time, overdue by 1 working day (Wed 2 Dec)
  D  LL1002 informal Mon 12 Oct 10:00 health_assessments; withdrawn Thu 5 Nov 10:00
  E  LL1001 formal at social_worker Thu 15 Oct 10:00 drift_and_delay (day 1 Fri 16 Oct)
     Sam responds Mon 19 Oct 10:00: Fri 16, Mon 19 = 2 working days, on time
     accepted Tue 20 Oct 10:00 (resolved at social_worker; formal 3 working days: 16, 19, 20)
     good-practice alert by Imogen Wed 21 Oct 10:00
  F  LL1002 informal Mon 30 Nov 10:00 health_assessments, agreed by Fri 4 Dec: open, not overdue
  G  LL1003 informal Tue 3 Nov 10:00 placement (Omar), agreed by Fri 6 Nov: open and overdue;
       working days after Fri 6 Nov up to Wed 2 Dec: 5+5+5+1+2 = 18
  H  LL1001 informal Fri 23 Oct 10:00 health_assessments; escalated Mon 2 Nov 10:00 to
       social_worker (went formal in November); paused Tue 3 Nov: open, never overdue
  I  LL1003 formal at senior_manager Mon 2 Nov 10:00 permanence_planning (Omar)
       (day 1 Tue 3, due Mon 9 Nov 17:00; that stage asks the IRO on timeout)
     timed out Tue 10 Nov 08:00 (system) -> awaiting IRO decision
     Ada responds Wed 11 Nov 10:00: Tue 3 .. Wed 11 = 7 working days, late
     accepted Thu 12 Nov 10:00 (resolved at senior_manager); formal Tue 3 .. Thu 12 = 8 days

Activity: Imogen visits LL1001 3 Nov, phones LL1001 10 Nov, texts LL1002 12 Nov, holds the
midway review for LL1002 20 Nov, and visited LL1001 on 20 Oct; Omar has a video call with
LL1003 5 Nov and consults Sue after a significant change 6 Nov.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

# The web and browser tests' fixtures, for the page, API and browser tests here.
from tests.browser.conftest import chromium, module_chromium, server  # noqa: F401
from tests.factories import Council
from tests.web.conftest import anonymous, app, login, people, token_for  # noqa: F401
from workflow.activity import NewActivity, record_activity
from workflow.report_definitions import Period
from workflow.runtime import Runtime
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge, take_action
from workflow.tables import Child, Person, Team

NOVEMBER = Period.month(2026, 11)
# Wednesday 2 December 2026, 10:00 London: when the report is produced.
REPORT_AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


# The kind of outcome each accepted challenge records (A, B, I in November; E in October).
OUTCOME_KIND = {"A": "service_provided", "B": "plan_updated", "E": "decision_made",
                "I": "plan_updated"}  # fmt: skip


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class Scenario:
    runtime: Runtime
    council: Council
    omar_child: str = "LL1003"
    sue: int = 0
    tom: int = 0
    refs: dict[str, str] = field(default_factory=dict)


def _second_team(runtime: Runtime, council: Council) -> tuple[int, int]:
    with Session(runtime.engine) as s:
        team = Team(name="Care Leavers Team", service_area="Leaving Care")
        s.add(team)
        s.flush()
        tom = Person(email="tom@council.test", name="Tom Lead", role="team_manager",
                     team_id=team.id, manager_id=council.head_of_service)  # fmt: skip
        s.add(tom)
        s.flush()
        sue = Person(email="sue@council.test", name="Sue Caseworker", role="social_worker",
                     team_id=team.id, manager_id=tom.id)  # fmt: skip
        s.add(sue)
        s.flush()
        child = Child(case_reference="LL1003", display_name="Child LL1003",
                      legal_status="looked_after", social_worker_id=sue.id,
                      iro_id=council.other_iro)  # fmt: skip
        s.add(child)
        s.commit()
        assert sue.id is not None and tom.id is not None
        return sue.id, tom.id


def _new(child: str, theme: str, raised: datetime, formal: bool = False,
         stage: str | None = None, agreed_by: date | None = None) -> NewChallenge:  # fmt: skip
    on = raised.date()
    return NewChallenge(
        child_reference=child,
        theme_key=theme,
        what_is_wrong=f"Problem for {child}",
        impact_on_child="The child waits.",
        outcome_wanted="Put it right.",
        formal=formal,
        stage=stage,
        informal=InformalDiscussion("the social worker", on, "Agreed actions", agreed_by or on),
    )


class Builder:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario

    def raise_(self, name: str, new: NewChallenge, iro: int, when: datetime) -> None:
        with self.s.runtime.uow() as uow:
            self.s.refs[name] = raise_challenge(uow, new, iro, when).reference

    def act(self, name: str, action: str, actor: int | None, when: datetime,
            **params: Any) -> None:  # fmt: skip
        with self.s.runtime.uow() as uow:
            take_action(uow, self.s.refs[name], action, actor, params, when)

    def responder(self, name: str) -> int:
        with self.s.runtime.uow() as uow:
            who = uow.challenges.get(self.s.refs[name]).responder_id
            assert who is not None
            return who

    def respond(self, name: str, when: datetime) -> None:
        self.act(name, "respond", self.responder(name), when, response="We will act",
                 actions="Book it", target_date=when.date())  # fmt: skip

    def accept(self, name: str, actor: int, when: datetime) -> None:
        self.act(name, "accept", actor, when, outcome_kind=OUTCOME_KIND[name],
                 outcome=f"Outcome {name}", impact=f"Impact for the child of {name}")  # fmt: skip

    def activity(self, child: str, kind: str, on: date, iro: int) -> None:
        with self.s.runtime.uow() as uow:
            record_activity(uow, NewActivity(child, kind, on, f"{kind} note"), iro, at(12, 1))


def build_scenario(runtime: Runtime, council: Council) -> Scenario:
    sue, tom = _second_team(runtime, council)
    sc = Scenario(runtime, council, sue=sue, tom=tom)
    b = Builder(sc)
    imogen, omar = council.iro, council.other_iro
    # October (the previous period)
    b.raise_("D", _new("LL1002", "health_assessments", at(10, 12), agreed_by=date(2026, 10, 30)),
             imogen, at(10, 12))  # fmt: skip
    b.raise_("E", _new("LL1001", "drift_and_delay", at(10, 15), formal=True,
                       stage="social_worker"), imogen, at(10, 15))  # fmt: skip
    b.respond("E", at(10, 19))
    b.accept("E", imogen, at(10, 20))
    b.act("E", "record_good_practice", imogen, at(10, 21), note="Quick, thorough answer")
    b.raise_("H", _new("LL1001", "health_assessments", at(10, 23), agreed_by=date(2026, 10, 30)),
             imogen, at(10, 23))  # fmt: skip
    # November (the period)
    b.raise_("A", _new("LL1001", "health_assessments", at(11, 2), agreed_by=date(2026, 11, 9)),
             imogen, at(11, 2))  # fmt: skip
    b.accept("A", imogen, at(11, 10))
    b.act("H", "escalate", imogen, at(11, 2), stage="social_worker")
    b.act("H", "pause", imogen, at(11, 3), reason="Child in hospital")
    b.raise_("I", _new("LL1003", "permanence_planning", at(11, 2), formal=True,
                       stage="senior_manager"), omar, at(11, 2))  # fmt: skip
    b.raise_("G", _new("LL1003", "placement", at(11, 3), agreed_by=date(2026, 11, 6)),
             omar, at(11, 3))  # fmt: skip
    b.raise_("B", _new("LL1001", "drift_and_delay", at(11, 4), formal=True,
                       stage="social_worker"), imogen, at(11, 4))  # fmt: skip
    b.act("D", "withdraw", imogen, at(11, 5), reason="Child moved out of area")
    b.respond("B", at(11, 9, 12))
    b.act("B", "reject", imogen, at(11, 10), reason="Not enough", stage="team_manager")
    b.act("I", "time_out", None, at(11, 10, 8))
    b.respond("I", at(11, 11))
    b.act("B", "refer_cafcass", imogen, at(11, 12), ground="care_plan_not_prepared",
          referred_on=date(2026, 11, 12))  # fmt: skip
    b.accept("I", omar, at(11, 12))
    b.raise_("C", _new("LL1003", "permanence_planning", at(11, 16), formal=True,
                       stage="team_manager"), omar, at(11, 16))  # fmt: skip
    b.respond("B", at(11, 19))
    b.accept("B", imogen, at(11, 20))
    b.act("B", "record_good_practice", imogen, at(11, 20, 11), note="Sam acted at once")
    b.respond("C", at(11, 23, 16))
    b.act("C", "escalate", omar, at(11, 24), stage="head_of_service")
    b.raise_("F", _new("LL1002", "health_assessments", at(11, 30), agreed_by=date(2026, 12, 4)),
             imogen, at(11, 30))  # fmt: skip
    for child, kind, on, iro in (
        ("LL1001", "visit", date(2026, 11, 3), imogen),
        ("LL1001", "phone_call", date(2026, 11, 10), imogen),
        ("LL1002", "text_message", date(2026, 11, 12), imogen),
        ("LL1002", "midway_review", date(2026, 11, 20), imogen),
        ("LL1001", "visit", date(2026, 10, 20), imogen),
        ("LL1003", "video_call", date(2026, 11, 5), omar),
        ("LL1003", "social_worker_consultation", date(2026, 11, 6), omar),
    ):
        b.activity(child, kind, on, iro)
    return sc


@pytest.fixture
def scenario(runtime: Runtime, council: Council) -> Scenario:
    return build_scenario(runtime, council)

"""Routes to the responder, "any of", fallbacks and deputies: the pure rules."""

from __future__ import annotations

from escalation_rules import parse_ladder
from escalation_rules.model import Role, Route
from escalation_rules.responders import Case, PersonView, acting_for, find_holder, find_responder

# A small council. Team 1 (service area "north"): ATM 3 under TM 2, SW 4 under ATM 3.
# IRO 10 is managed by the IRO manager 11. Council-wide: Head of QA 20, duty TM 21.
# Head of Service 30 for "north". Team 2 ("south") has its own team manager 40.
PEOPLE = {
    2: PersonView(2, Role.TEAM_MANAGER, 30, 21, False),
    3: PersonView(3, Role.TEAM_MANAGER, 2, None, False, posts=frozenset({"atm"})),
    4: PersonView(4, Role.SOCIAL_WORKER, 3, None, False),
    10: PersonView(10, Role.IRO, 11, None, False),
    11: PersonView(11, Role.SERVICE_MANAGER, None, None, False, posts=frozenset({"iro_manager"})),
    20: PersonView(20, Role.SERVICE_MANAGER, None, None, False, posts=frozenset({"head_of_qa"})),
    21: PersonView(21, Role.TEAM_MANAGER, 30, None, False, posts=frozenset({"duty_tm"})),
    30: PersonView(30, Role.HEAD_OF_SERVICE, None, None, False),
    40: PersonView(40, Role.TEAM_MANAGER, None, None, False),
}
TEAMS = {2: 1, 3: 1, 4: 1, 30: 1, 21: 3, 40: 2, 11: 9, 20: 9, 10: 9}
AREAS = {1: "north", 2: "south", 3: "north", 9: "qa"}

LADDER = parse_ladder(
    b"""
id = "t"
name = "T"
[posts.atm]
name = "Assistant team manager"
[posts.iro_manager]
name = "IRO manager"
route = "iro_line"
[posts.head_of_qa]
name = "Head of QA"
route = "council"
[posts.duty_tm]
name = "Duty team manager"
route = "council"

[[stages]]
key = "alert"
name = "Alert"
responder = ["atm", "team_manager"]
fallback = [{ post = "team_manager", route = "child_team" }, "duty_tm"]
working_days = 5
[[stages]]
key = "iro_manager"
name = "IRO manager"
responder = "iro_manager"
working_days = 5
[[stages]]
key = "qa"
name = "Head of QA"
responder = "head_of_qa"
working_days = 5
[[stages]]
key = "hos"
name = "Head of Service"
responder = { post = "head_of_service", route = "service_area" }
working_days = "none"
""",
    "t.toml",
)


class Org:
    def __init__(self, **changes: PersonView) -> None:
        self.people = {**PEOPLE, **{int(k[1:]): v for k, v in changes.items()}}

    def person(self, person_id: int) -> PersonView | None:
        return self.people.get(person_id)

    def holders(self, post: str, team_id: int | None = None, service_area: str | None = None):
        found = []
        for i, p in sorted(self.people.items()):
            team = TEAMS.get(i)
            if not (p.active and p.holds(post)):
                continue
            if team_id is not None and team != team_id:
                continue
            if service_area is not None and AREAS.get(team or 0) != service_area:
                continue
            found.append(i)
        return found


def route_of(post: str) -> Route:
    return LADDER.post(post).route


def case(sw: int | None = 4, team: int | None = 1) -> Case:
    return Case(iro_id=10, social_worker_id=sw, team_id=team, service_area=AREAS.get(team or 0))


def responder(stage: str, org: Org | None = None, c: Case | None = None):
    return find_responder(LADDER.stage(stage), c or case(), org or Org(), route_of)


def test_any_of_takes_the_nearest_holder_up_the_social_workers_line():
    found = responder("alert")
    assert (found.responder_id, found.acting_id, found.fallback) == (3, 3, 0)


def test_an_away_holder_with_a_deputy_stays_the_responder_and_the_deputy_acts():
    org = Org(p2=PersonView(2, Role.TEAM_MANAGER, 30, 21, True),
              p3=PersonView(3, Role.TEAM_MANAGER, 2, None, True, posts=frozenset({"atm"})))  # fmt: skip
    found = responder("alert", org)
    # The ATM is away with nobody to act: the team manager next up the line, whose deputy acts.
    assert (found.responder_id, found.acting_id) == (2, 21)
    assert acting_for(2, org) == 21


def test_no_social_worker_reaches_the_childs_team_then_the_duty_post():
    found = responder("alert", c=case(sw=None, team=2))
    assert (found.responder_id, found.fallback) == (40, 1)
    found = responder("alert", c=case(sw=None, team=None))
    assert (found.responder_id, found.fallback) == (21, 2)


def test_nobody_at_all_is_none():
    org = Org(p21=PersonView(21, Role.TEAM_MANAGER, 30, None, False, active=False))
    assert responder("alert", org, case(sw=None, team=None)) is None


def test_the_iro_manager_is_found_up_the_iros_line():
    assert responder("iro_manager").responder_id == 11


def test_a_council_post_is_found_anywhere():
    assert responder("qa").responder_id == 20
    assert responder("qa", c=case(sw=None, team=None)).responder_id == 20


def test_a_route_given_at_the_stage_overrides_the_posts_own():
    assert responder("hos", c=case(sw=None, team=3)).responder_id == 30
    assert responder("hos", c=case(sw=None, team=2)) is None


def test_copies_go_to_the_holder_even_when_away():
    org = Org(p20=PersonView(20, Role.SERVICE_MANAGER, None, None, True,
                             posts=frozenset({"head_of_qa"})))  # fmt: skip
    who = LADDER.stage("qa").responder
    assert find_holder(who, case(), org, route_of) == 20
    assert responder("qa", org) is None


def test_deputy_loops_end():
    org = Org(p2=PersonView(2, Role.TEAM_MANAGER, 30, 21, True),
              p21=PersonView(21, Role.TEAM_MANAGER, 30, 2, True))  # fmt: skip
    assert acting_for(2, org) is None

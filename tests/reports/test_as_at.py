"""Reports, drill-downs and footprints as at a past moment (`as_at`), rebuilt from the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario, at
from tests.reports.expected import FIXED
from tests.web.conftest import Browser, People
from workflow.footprint import child_footprint
from workflow.report_definitions import NO_DATA
from workflow.report_queries import SmtReport, drilldown, smt_report
from workflow.services import take_action
from workflow.tables import Child, Team

NOV = "from=2026-11-01&to=2026-11-30"
# 09:00 on Tue 10 Nov (GMT): A accepted at 10:00 and B rejected to team manager at 10:00 had
# not happened; D had been withdrawn (5 Nov).
BEFORE_TEN = at(11, 10, 9)


def test_the_report_as_at_a_past_moment_counts_only_what_had_happened(
    scenario: Scenario,
) -> None:
    rt = scenario.runtime
    report = smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT, as_at=BEFORE_TEN)
    assert report.moment == BEFORE_TEN
    # Raised by then: A, G informally; B, I formally (October unchanged: D, H; E).
    assert report.table("raised").rows[:3] == [
        ["Raised informally", 2, 2, NO_DATA], ["Raised formally", 2, 1, NO_DATA],
        ["Total raised", 4, 3, NO_DATA]]  # fmt: skip
    # B had reached only the social worker stage then (the row says team manager today).
    highest = {r[0]: r[1] for r in report.table("highest_stage").rows}
    assert highest == {"Informal": 2, "Social worker": 1, "Team manager": 0,
                       "Head of Service": 0, "Senior manager": 1, "Total": 4}  # fmt: skip
    assert report.table("outcomes").row("Withdrawn")[1] == 1
    assert report.table("outcomes").row("Resolved informally")[1] == 0  # A: 10:00
    assert report.table("open_now").row("Total open")[1:] == [5, 5]
    refs = scenario.refs
    ladder = rt.ladders.current

    def cell(name: str) -> list[str]:
        return drilldown(rt.engine, ladder, NOVEMBER, name, BEFORE_TEN, rebuilt=True)

    assert cell("highest_stage:social_worker") == [refs["B"]]
    assert cell("raised:*") == sorted(refs[x] for x in "ABGI")
    # Without `rebuilt` the challenge row speaks for today: B is at team manager.
    now_view = drilldown(rt.engine, ladder, NOVEMBER, "highest_stage:team_manager", REPORT_AT)
    assert now_view == [refs["B"]]


def test_as_at_the_period_end_equals_the_report_produced_later(scenario: Scenario) -> None:
    """Nothing after the period end changes its figures: the same report on 1 Dec and later."""
    rt = scenario.runtime
    ladder = rt.ladders.current
    end = NOVEMBER.bounds()[1]
    then = smt_report(rt.engine, ladder, NOVEMBER, end)
    later = smt_report(rt.engine, ladder, NOVEMBER, at(12, 15, 10), as_at=end)
    assert [t.rows for t in later.tables] == [t.rows for t in then.tables]


def test_footprint_as_at(scenario: Scenario) -> None:
    rt = scenario.runtime
    whole = child_footprint(rt.engine, rt.ladders.current, "LL1003")
    early = child_footprint(rt.engine, rt.ladders.current, "LL1003", at(11, 5, 0))
    assert early.entries == [e for e in whole.entries if e.on.isoformat() < "2026-11-05"]
    assert 0 < len(early.entries) < len(whole.entries)


def test_as_at_on_the_page_the_api_and_its_refusals(
    scenario: Scenario, people: People, anonymous: Any, token_for: Callable[[int], dict[str, str]],
    login: Callable[[str], Browser],
) -> None:  # fmt: skip
    smt = token_for(people.smt_reader)
    data = anonymous.get(f"/api/v1/reports/smt?{NOV}&as_at=2026-11-10T09:00", headers=smt).json()
    raised = next(t for t in data["tables"] if t["key"] == "raised")
    assert raised["rows"][2]["cells"] == ["Total raised", 4, 3, NO_DATA]
    drill = anonymous.get(
        f"/api/v1/reports/smt/drilldown?cell=highest_stage:social_worker&{NOV}"
        "&as_at=2026-11-10T09:00", headers=smt).json()  # fmt: skip
    assert drill["references"] == [scenario.refs["B"]]
    for bad, says in (("10/11/2026", "'as_at' must be a date"),
                      ("2999-01-01", "'as_at' must not be in the future")):  # fmt: skip
        got = anonymous.get(f"/api/v1/reports/smt?{NOV}&as_at={bad}", headers=smt)
        assert got.status_code == 400 and says in got.json()["detail"], bad
        assert got.headers["content-type"].startswith("application/problem+json")
    # A date means the end of that London day.
    fp = anonymous.get("/api/v1/children/LL1003/footprint?as_at=2026-11-04",
                       headers=token_for(scenario.council.other_iro)).json()  # fmt: skip
    assert {e["date"] for e in fp["entries"]} == {"2026-11-02", "2026-11-03"}
    page = login("smt@council.test").get(f"/reports?{NOV}&as_at=2026-11-10T09:00")
    assert page.status_code == 200
    assert "as the record stood at" in page.text
    for cell in ("open_end:stuck", "cap_alerts:*", "open_now:stuck"):
        drill = login("smt@council.test").get(f"/reports/drilldown?cell={cell}&{NOV}")
        assert drill.status_code == 200, cell
        assert "Open and stuck" in drill.text or cell == "cap_alerts:*", cell
    wrong = login("smt@council.test").get(f"/reports?{NOV}&as_at=yesterday")
    assert wrong.status_code == 200 and "&#39;as_at&#39; must be a date" in wrong.text


def test_a_child_moved_to_another_team_keeps_its_team_in_the_report_as_at_before(
    scenario: Scenario,
) -> None:
    """Wed 2 Dec 08:00: LL1003 (C and G stuck, I resolved, all Omar's) moves from Sue's
    Care Leavers Team to Sam's team, and the Care Leavers Team's service area is renamed;
    at 09:00 Omar records good practice on G, its first event since the move."""
    rt, ladder = scenario.runtime, scenario.runtime.ladders.current
    with Session(rt.engine) as s:
        child = s.exec(select(Child).where(Child.case_reference == "LL1003")).one()
        child.social_worker_id = scenario.council.social_worker
        leavers = s.exec(select(Team).where(Team.name == "Care Leavers Team")).one()
        leavers.service_area = "Care Leavers Service"
        s.commit()
    with rt.uow() as uow:
        take_action(uow, scenario.refs["G"], "record_good_practice", scenario.council.other_iro,
                    {"note": "Kept the child informed"}, at(12, 2, 9))  # fmt: skip
    old_team = "Care Leavers Team (Leaving Care)"
    new_team = "Children in Care Team 1 (Children Looked After)"

    def stuck_teams(report: SmtReport) -> dict[str, str]:
        by_ref = {v: k for k, v in scenario.refs.items()}
        return {by_ref[str(r[0])]: str(r[2]) for r in report.table("stuck").rows}

    before = smt_report(rt.engine, ladder, NOVEMBER, REPORT_AT, as_at=at(12, 2, 7))
    assert before.table("by_team").rows == FIXED["by_team"]  # counted by the team when raised
    assert stuck_teams(before) == {"C": old_team, "G": old_team}
    # As at after the move: G's latest event records the new team; C's still the old one.
    after = smt_report(
        rt.engine, ladder, NOVEMBER, REPORT_AT, as_at=at(12, 2, 9) + timedelta(minutes=30)
    )
    assert after.table("by_team").rows == FIXED["by_team"]
    assert stuck_teams(after) == {"C": old_team, "G": new_team}
    # At the report time the list shows today's records (the team to act with).
    now = smt_report(rt.engine, ladder, NOVEMBER, REPORT_AT)
    assert stuck_teams(now) == {"C": new_team, "G": new_team}
    assert now.table("by_team").rows == FIXED["by_team"]
    # The drill-down of the old team's cell still finds the challenges raised in it.
    with Session(rt.engine) as s:
        leavers_id = s.exec(select(Team.id).where(Team.name == "Care Leavers Team")).one()
    cell = f"by_team:{leavers_id}:Leaving Care"
    assert drilldown(rt.engine, ladder, NOVEMBER, cell, REPORT_AT) == sorted(
        scenario.refs[x] for x in "CGI"
    )

"""The drill-down behind "Good practice recognised without a challenge", on both databases:
the same records the figure counts (as at a past moment too), on the page and in the API;
SMT readers see reports only (a child is not named, nor what was recorded about them);
those who may open any child see both, and each child's record shown is logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from api.tables import AccessLogEntry
from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario
from tests.web.conftest import Browser, People
from workflow.good_practice import NewGoodPractice, record_good_practice
from workflow.report_queries import drilldown, smt_report
from workflow.tables import Person

NOV = "from=2026-11-01&to=2026-11-30"
CHILD_TEXT = "Life story book finished"


def _record(sc: Scenario) -> dict[str, int]:
    """Imogen about LL1001 on 25 November, Omar about Sue on 26 November and about Sue's
    team on 21 October (the previous period)."""
    c = sc.council
    with Session(sc.runtime.engine) as s:
        team_id = s.get(Person, sc.sue).team_id  # type: ignore[union-attr]
    made = {}
    for name, actor, on, what, about in (
        ("child", c.iro, date(2026, 11, 25), CHILD_TEXT, {"child_reference": "LL1001"}),
        ("worker", c.other_iro, date(2026, 11, 26), "Visited the same day", {"person_id": sc.sue}),
        ("team", c.other_iro, date(2026, 10, 21), "Covered a vacancy", {"team_id": team_id}),
    ):
        with sc.runtime.uow() as uow:
            record = record_good_practice(uow, NewGoodPractice(on, what, **about), actor, REPORT_AT)
        assert record.id is not None
        made[name] = record.id
    return made


def _drill(sc: Scenario, cell: str, as_at: datetime | None = None) -> list[str]:
    rt = sc.runtime
    return drilldown(rt.engine, rt.ladders.current, NOVEMBER, cell, as_at or REPORT_AT,
                     rebuilt=as_at is not None)  # fmt: skip


def _child_views(sc: Scenario, person_id: int) -> list[tuple[str, str]]:
    with Session(sc.runtime.engine) as s:
        rows = s.exec(select(AccessLogEntry).where(AccessLogEntry.person_id == person_id,
                                                   AccessLogEntry.child_id.is_not(None))).all()  # type: ignore[union-attr]  # fmt: skip
    return [(e.via, e.what) for e in rows]


def test_each_cell_drills_down_to_the_records_it_counts(scenario: Scenario) -> None:
    made = _record(scenario)
    rt = scenario.runtime
    report = smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT)
    table = report.table("good_practice_recorded")
    assert table.drill == ["good_practice_recorded:child", "good_practice_recorded:worker",
                           "good_practice_recorded:team", "good_practice_recorded:*"]  # fmt: skip
    assert _drill(scenario, "good_practice_recorded:child") == [str(made["child"])]
    assert _drill(scenario, "good_practice_recorded:team") == []  # October's is not November's
    assert _drill(scenario, "good_practice_recorded:*") == [str(made["child"]), str(made["worker"])]
    # As at the evening of 25 November: the 26th had not begun, as the figure counts it.
    evening = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    then = smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT, evening)
    assert then.table("good_practice_recorded").row("Total")[1] == 1
    assert _drill(scenario, "good_practice_recorded:*", evening) == [str(made["child"])]


def test_the_page_links_each_cell_and_names_a_child_only_to_those_who_may_open_it(
    scenario: Scenario, people: People, login: Callable[[str], Browser]
) -> None:
    _record(scenario)
    page = login("smt@council.test").get(f"/reports?{NOV}")
    link = re.search(r'href="(/reports/drilldown\?cell=good_practice_recorded%3A%2A[^"]*)"',
                     page.text)  # fmt: skip
    assert link is not None and "see the good practice behind Total" in page.text
    url = link.group(1).replace("&amp;", "&")
    smt = login("smt@council.test").get(url)
    assert smt.status_code == 200 and 'data-testid="anonymised"' in smt.text
    assert "The 2 records of good practice behind this figure." in smt.text
    assert "LL1001" not in smt.text and CHILD_TEXT not in smt.text
    assert "A worker: Sue Caseworker" in smt.text and "Visited the same day" in smt.text
    assert _child_views(scenario, people.smt_reader) == []
    head = login("hos@council.test").get(url)
    assert 'href="/children/LL1001/footprint"' in head.text and CHILD_TEXT in head.text
    hos = scenario.council.head_of_service
    assert _child_views(scenario, hos) == [
        ("page", "good practice about child LL1001 (report drill-down good_practice_recorded:*)")
    ]
    assert login("iro@council.test").get(url).status_code == 403


def test_the_api_gives_the_records_by_the_same_rules(
    scenario: Scenario, people: People, anonymous: Any, token_for: Callable[[int], dict[str, str]]
) -> None:
    made = _record(scenario)
    url = f"/api/v1/reports/smt/drilldown?cell=good_practice_recorded:*&{NOV}"
    smt = anonymous.get(url, headers=token_for(people.smt_reader)).json()
    assert smt["references"] == [str(made["child"]), str(made["worker"])]
    assert smt["good_practice"] == [
        {"occurred_on": "2026-11-25", "about": "A child", "subject": None,
         "recorded_by": "Imogen Reviewer", "what": None},
        {"occurred_on": "2026-11-26", "about": "A worker", "subject": "Sue Caseworker",
         "recorded_by": "Omar Reviewer", "what": "Visited the same day"},
    ]  # fmt: skip
    assert _child_views(scenario, people.smt_reader) == []
    hos = scenario.council.head_of_service
    head = anonymous.get(url, headers=token_for(hos)).json()
    assert head["good_practice"][0]["subject"] == "LL1001"
    assert head["good_practice"][0]["what"] == CHILD_TEXT
    assert _child_views(scenario, hos) == [
        ("api", "good practice about child LL1001 (report drill-down good_practice_recorded:*)")
    ]
    iro = token_for(scenario.council.iro)
    assert anonymous.get(url, headers=iro).status_code == 403

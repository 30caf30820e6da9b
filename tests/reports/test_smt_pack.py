"""Issue 12, the rest of the SMT pack, worked out by hand on the November 2026 scenario
(conftest.py): the same period a year earlier, "no data for that period", looked-after
children as at each period's end, IROs' working time, and good practice recorded without a
challenge. Every test runs on SQLite and PostgreSQL.

The year before (added by `year_scenario`), November 2025 (GMT, London = UTC):
  Y1  LL1001 formal at social_worker Tue 4 Nov 10:00 drift_and_delay (Imogen); day 1 Wed 5 Nov
      Sam responds Mon 10 Nov 10:00: Wed 5, Thu 6, Fri 7, Mon 10 = 4 working days, on time
      accepted Wed 12 Nov 10:00 as "No change" (resolved at social worker): formal Wed 5 ..
      Wed 12 = 6 working days; raise to end the same 6
  Y2  LL1003 informal Mon 17 Nov 10:00 placement (Omar), agreed by Mon 24 Nov; withdrawn Tue
      25 Nov 10:00: raise to end Tue 18 .. Tue 25 = 6 working days
  Imogen visits LL1001 on 20 Nov 2025; Omar records good practice about Sue's team on 21 Nov
  2025. In November 2026 Imogen records good practice about LL1001 (25 Nov) and Omar about
  Sue (26 Nov).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from api.reports.build import ReportFormat, render
from api.reports.prose import annual_report_section
from tests.reports.conftest import NOVEMBER, REPORT_AT, Builder, Scenario, _new
from tests.reports.expected import CASELOAD_RATE
from workflow.activity_tables import GoodPractice
from workflow.errors import NotPermitted
from workflow.footprint import child_footprint
from workflow.good_practice import GoodPracticeRefused, NewGoodPractice, record_good_practice
from workflow.report_definitions import NO_DATA, Period
from workflow.report_queries import SmtReport, drilldown, smt_report
from workflow.tables import Child, Person


def at25(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=UTC)


def _good(sc: Scenario, actor: int, on: date, what: str, **about: Any) -> GoodPractice:
    with sc.runtime.uow() as uow:
        return record_good_practice(uow, NewGoodPractice(on, what, **about), actor, REPORT_AT)


@pytest.fixture
def year_scenario(scenario: Scenario) -> Scenario:
    b, c = Builder(scenario), scenario.council
    b.raise_("Y1", _new("LL1001", "drift_and_delay", at25(11, 4), formal=True,
                        stage="social_worker"), c.iro, at25(11, 4))  # fmt: skip
    b.respond("Y1", at25(11, 10))
    b.act("Y1", "accept", c.iro, at25(11, 12), outcome_kind="no_change", outcome="Kept",
          impact="None needed")  # fmt: skip
    b.raise_("Y2", _new("LL1003", "placement", at25(11, 17), agreed_by=date(2025, 11, 24)),
             c.other_iro, at25(11, 17))  # fmt: skip
    b.act("Y2", "withdraw", c.other_iro, at25(11, 25), reason="Moved")
    b.activity("LL1001", "visit", date(2025, 11, 20), c.iro)
    with Session(scenario.runtime.engine) as s:
        team_id = s.get(Person, scenario.sue).team_id  # type: ignore[union-attr]
    _good(scenario, c.other_iro, date(2025, 11, 21), "Team covered a vacancy", team_id=team_id)
    _good(scenario, c.iro, date(2026, 11, 25), "Life story book finished",
          child_reference="LL1001")  # fmt: skip
    _good(scenario, c.other_iro, date(2026, 11, 26), "Sue visited the same day",
          person_id=scenario.sue)  # fmt: skip
    return scenario


def _report(sc: Scenario, period: Period = NOVEMBER) -> SmtReport:
    return smt_report(sc.runtime.engine, sc.runtime.ladders.current, period, REPORT_AT)


def _year(report: SmtReport, key: str) -> dict[str, list[Any]]:
    """Each row's label and its year-earlier cells."""
    table = report.table(key)
    first = next(i for i, c in enumerate(table.columns) if c.startswith("Same period"))
    return {str(r[0]): r[first:] for r in table.rows}


def test_the_same_period_a_year_earlier_is_counted_beside_the_previous(year_scenario) -> None:
    report = _report(year_scenario)
    assert report.year_earlier == Period.month(2025, 11) and report.year_earlier_has_data
    assert report.table("raised").columns == ["How raised", "This period", "Previous period",
                                              "Same period a year earlier"]  # fmt: skip
    assert _year(report, "raised") == {
        "Raised informally": [1], "Raised formally": [1],
        "Raised formally where risk is high (informal resolution skipped)": [0],
        "Total raised": [2],
        "Went formal after informal resolution": [0]}  # fmt: skip
    assert report.table("raised").row("Total raised") == ["Total raised", 6, 3, 2]
    assert _year(report, "by_theme") == {
        "Health assessments": [0], "Permanence planning": [0], "Drift and delay": [1],
        "Placement stability or suitability (including out of area)": [1], "Total": [2]}  # fmt: skip
    assert _year(report, "by_iro") == {"Imogen Reviewer": [1], "Omar Reviewer": [1], "Total": [2]}
    assert _year(report, "by_team") == {"Care Leavers Team (Leaving Care)": [1],
        "Children in Care Team 1 (Children Looked After)": [1], "Total": [2]}  # fmt: skip
    assert _year(report, "highest_stage") == {
        "Informal": [1], "Social worker": [1], "Team manager": [0], "Head of Service": [0],
        "Senior manager": [0], "Total": [2]}  # fmt: skip
    assert _year(report, "resolved_at_stage")["Social worker"] == [1]
    assert _year(report, "outcomes") == {
        "Resolved informally": [0], "Resolved at a formal stage": [1], "Withdrawn": [1],
        "Total ended": [2], "CAFCASS referrals": [0]}  # fmt: skip
    responses = report.table("response_times")
    assert responses.columns[-3:] == ["Same period a year earlier: responses",
        "Same period a year earlier: % on time", "Same period a year earlier: median working days"]  # fmt: skip
    assert _year(report, "response_times")["Social worker"] == [1, 100.0, 4.0]
    assert _year(report, "response_times")["Team manager"] == [0, None, None]
    assert _year(report, "response_times")["All formal stages"] == [1, 100.0, 4.0]
    assert _year(report, "cap") == {
        "Formal challenges ended (cap 20 working days)": [1], "Ended within the cap": [1],
        "% within the cap": [100.0], "Median working days": [6.0],
        "90th percentile working days": [6.0], "Cap alerts sent": [0]}  # fmt: skip
    assert _year(report, "rates") == {
        "Looked-after children at the end of the period": [2],
        "Challenges raised per 100 looked-after children": [100.0],
        "Children with at least one challenge raised": [2],
        "% resolved at social worker or team manager level (informal included)": [100.0],
        "Median working days from raise to end (informal included)": [6.0],
        CASELOAD_RATE: [1.0]}  # fmt: skip
    assert _year(report, "outcome_kinds")["No change"] == [1]
    assert _year(report, "outcome_kinds")["Total"] == [1]
    assert _year(report, "contacts") == {"Imogen Reviewer": [1], "Omar Reviewer": [0],
                                         "All IROs": [1]}  # fmt: skip
    assert report.table("good_practice_recorded").rows == [
        ["About a child", 1, 0, 0], ["About a worker", 1, 0, 0], ["About a team", 0, 0, 1],
        ["Total", 2, 0, 1]]  # fmt: skip
    impact = report.table("impact").rows[-1]
    assert impact[-1] == "previous period: 1; same period a year earlier: 1"
    prose = "\n\n".join(annual_report_section(report))
    assert "(3 in the previous period, from 1 October 2026 to 31 October 2026; 2 in the same " \
           "period a year earlier)" in prose  # fmt: skip
    assert "IROs also recognised good practice without a challenge 2 times." in prose


def test_the_trend_runs_by_quarter_from_the_first_with_a_challenge(year_scenario) -> None:
    trend = _report(year_scenario).table("trend")
    assert trend.rows == [
        ["October to December 2025", 2, 1, 1, 0],
        ["January to March 2026", 0, 0, 0, 0],
        ["April to June 2026", 0, 0, 0, 0],
        ["July to September 2026", 0, 0, 0, 0],
        ["October to December 2026", 9, 4, 1, 1],
    ]


def test_a_whole_year_compares_with_the_previous_year_once(year_scenario) -> None:
    """For a year the same period a year earlier is the previous period: the same figures."""
    report = _report(year_scenario, Period.year(2026))
    assert report.year_earlier == report.previous
    for table in report.tables:
        if "Previous period" in table.columns:
            p, y = table.columns.index("Previous period"), table.columns.index(
                "Same period a year earlier")  # fmt: skip
            assert [r[p] for r in table.rows] == [r[y] for r in table.rows], table.key
    assert report.table("raised").row("Total raised") == ["Total raised", 9, 2, 2]


def test_no_data_for_a_period_before_anything_was_recorded_in_every_format(scenario) -> None:
    """October 2026 is the fixture's first month: September and October 2025 have no data."""
    october = _report(scenario, Period.month(2026, 10))
    assert not october.previous_has_data and not october.year_earlier_has_data
    raised = october.table("raised")
    assert raised.row("Total raised") == ["Total raised", 3, NO_DATA, NO_DATA]
    assert raised.chart_columns == (1,)  # no bars for a period with no data
    assert october.table("response_times").row("Social worker")[8:] == [NO_DATA] * 6
    data = json.loads(render(october, ReportFormat.JSON))
    assert data["year_earlier"] == {"from": "2025-10-01", "to": "2025-10-31", "has_data": False}
    cells = {t["key"]: t["rows"] for t in data["tables"]}
    assert cells["rates"][0]["cells"][2:] == [NO_DATA, NO_DATA]
    rows = list(csv.reader(io.StringIO(render(october, ReportFormat.CSV).decode())))
    assert rows[1] == ["Previous period from", "2026-09-01", "to", "2026-09-30", NO_DATA]
    assert rows[2] == ["Same period a year earlier from", "2025-10-01", "to", "2025-10-31",
                       NO_DATA]  # fmt: skip
    assert ["Challenges raised", "Total raised", "3", NO_DATA, NO_DATA] in rows
    book = load_workbook(io.BytesIO(render(october, ReportFormat.XLSX)))
    sheet = book["Challenges raised"]
    assert [c.value for c in sheet[7]] == ["Total raised", 3, NO_DATA, NO_DATA]
    contents = [[c.value for c in r][:2] for r in book["Contents"].iter_rows(max_row=8)]
    assert ["Same period a year earlier", "No data for the same period a year earlier"] in contents
    prose = "\n\n".join(annual_report_section(october))
    assert "no data for the previous period, from 1 September 2026 to 30 September 2026; no " \
           "data for the same period a year earlier" in prose  # fmt: skip
    assert october.table("impact").rows[-1][-1] == (
        f"previous period: {NO_DATA}; same period a year earlier: {NO_DATA}"
    )


def _dates(sc: Scenario, reference: str, start: date | None, end: date | None) -> None:
    with Session(sc.runtime.engine) as s:
        child = s.exec(Child.__table__.select().where(  # type: ignore[attr-defined]
            Child.case_reference == reference)).one()  # fmt: skip
        row = s.get(Child, child.id)
        assert row is not None
        row.looked_after_from, row.looked_after_until = start, end
        s.add(row)
        s.commit()


def _fte(sc: Scenario, person_id: int, fte: float) -> None:
    with Session(sc.runtime.engine) as s:
        person = s.get(Person, person_id)
        assert person is not None
        person.fte = fte
        s.commit()


def test_looked_after_children_are_counted_as_at_each_period_end(scenario: Scenario) -> None:
    """LL1001 looked after from 15 Nov 2026; LL1003 from 2020 until 20 Nov 2026 (ended); LL1002
    a child in need with no dates. End of October: LL1003; end of November: LL1001. Omar
    works half time: 1.5 full-time posts."""
    _dates(scenario, "LL1001", date(2026, 11, 15), None)
    _dates(scenario, "LL1003", date(2020, 1, 1), date(2026, 11, 20))
    _fte(scenario, scenario.council.other_iro, 0.5)
    report = _report(scenario)
    rates = report.table("rates")
    assert rates.row("Looked-after children at the end of the period")[1:3] == [1, 1]
    # 6 raised in November per 1 child; 3 in October per 1 child.
    assert rates.row("Challenges raised per 100 looked-after children")[1:3] == [600.0, 300.0]
    assert rates.row(CASELOAD_RATE)[1:3] == [0.7, 0.7]  # 1 child / 1.5 posts
    # At the report time (2 December): LL1001 looked after (Imogen); LL1003's care ended.
    assert report.table("caseloads").rows == [
        ["Imogen Reviewer", 1, 1.0, 1.0, "below"], ["Omar Reviewer", 0, 0.5, 0.0, "below"]]  # fmt: skip
    rt = scenario.runtime
    imogen = f"caseloads:{scenario.council.iro}"
    assert drilldown(rt.engine, rt.ladders.current, NOVEMBER, imogen, REPORT_AT) == ["LL1001"]


def test_good_practice_without_a_challenge_is_on_the_childs_footprint(year_scenario) -> None:
    rt = year_scenario.runtime
    fp = child_footprint(rt.engine, rt.ladders.current, "LL1001")
    good = [e for e in fp.entries if e.kind == "good_practice"]
    assert [(e.on, e.what, e.who, e.detail, e.challenge) for e in good] == [
        (date(2026, 11, 25), "Good practice recognised", "Imogen Reviewer",
         "Life story book finished", None)]  # fmt: skip
    before = child_footprint(rt.engine, rt.ladders.current, "LL1001",
                             datetime(2026, 11, 25, 0, 0, tzinfo=UTC))  # fmt: skip
    assert not [e for e in before.entries if e.kind == "good_practice"]
    # As at 25 November, only what was dated by the day before counts in the report.
    as_at = smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT,
                       datetime(2026, 11, 26, 0, 0, tzinfo=UTC))  # fmt: skip
    assert as_at.table("good_practice_recorded").row("Total")[1:3] == [1, 0]


@pytest.mark.parametrize(("actor", "about", "problem"), [
    ("sw", {"child_reference": "LL1001"}, NotPermitted),
    ("omar", {"child_reference": "LL1001"}, NotPermitted),  # not Omar's child
    ("imogen", {}, GoodPracticeRefused),
    ("imogen", {"child_reference": "LL1001", "team_id": 1}, GoodPracticeRefused),
    ("imogen", {"person_id": 999_999}, GoodPracticeRefused),
])  # fmt: skip
def test_good_practice_refusals_record_nothing(scenario: Scenario, actor: str,
                                               about: dict[str, Any], problem: type) -> None:  # fmt: skip
    c = scenario.council
    who = {"sw": c.social_worker, "omar": c.other_iro, "imogen": c.iro}[actor]
    with pytest.raises(problem):
        _good(scenario, who, date(2026, 11, 25), "Well done", **about)
    with pytest.raises(GoodPracticeRefused, match="today or in the past"):
        _good(scenario, c.iro, date(2026, 12, 3), "Well done", child_reference="LL1001")
    with pytest.raises(GoodPracticeRefused, match="enter what was done well"):
        _good(scenario, c.iro, date(2026, 11, 25), "  ", child_reference="LL1001")
    with Session(scenario.runtime.engine) as s:
        assert s.exec(GoodPractice.__table__.select()).all() == []  # type: ignore[attr-defined]

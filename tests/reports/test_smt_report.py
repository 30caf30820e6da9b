"""Every number of the SMT report, in every form, against the figures worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from api.reports.build import ReportFormat, render
from api.reports.charts import table_chart
from api.reports.prose import annual_report_section
from api.reports.tables import shown
from api.reports.xlsx import sheet_name
from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario
from tests.reports.expected import drilldowns, expected_tables
from workflow.report_definitions import FIGURES, Period
from workflow.report_queries import SmtReport, drilldown, smt_report


@pytest.fixture
def report(scenario: Scenario) -> SmtReport:
    rt = scenario.runtime
    return smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT)


def test_every_figure_matches_the_hand_count(report: SmtReport, scenario: Scenario) -> None:
    expected = expected_tables(scenario.refs)
    assert [t.key for t in report.tables] == [f.key for f in FIGURES]
    for table in report.tables:
        assert table.rows == expected[table.key], table.key


def test_periods(report: SmtReport) -> None:
    assert (report.period.start.isoformat(), report.period.end.isoformat()) == (
        "2026-11-01",
        "2026-11-30",
    )
    assert (report.previous.start.isoformat(), report.previous.end.isoformat()) == (
        "2026-10-01",
        "2026-10-31",
    )


def test_every_drilldown_gives_the_challenges_behind_the_cell(
    report: SmtReport, scenario: Scenario
) -> None:
    rt = scenario.runtime
    for cell, refs in drilldowns(scenario.refs).items():
        got = drilldown(rt.engine, rt.ladders.current, NOVEMBER, cell, REPORT_AT)
        assert got == refs, cell
    # Each drill-down's length is the count in its row, for every compared table.
    for table in report.tables:
        if table.columns[1:3] != ["This period", "Previous period"]:
            continue
        for row, key in zip(table.rows, table.drill, strict=True):
            if key and isinstance(row[1], int):
                found = drilldown(rt.engine, rt.ladders.current, NOVEMBER, key, REPORT_AT)
                assert len(found) == row[1], (table.key, row)


def test_json(report: SmtReport, scenario: Scenario) -> None:
    data = json.loads(render(report, ReportFormat.JSON))
    expected = expected_tables(scenario.refs)
    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert data["previous_period"] == {"from": "2026-10-01", "to": "2026-10-31", "has_data": True}
    for table in data["tables"]:
        assert [r["cells"] for r in table["rows"]] == expected[table["key"]], table["key"]
        assert table["definition"]
    assert len(data["tables"]) == len(expected)


def _csv_tables(text: str) -> dict[str, list[list[str]]]:
    tables: dict[str, list[list[str]]] = {}
    rows = [r for r in csv.reader(io.StringIO(text)) if r][1:]
    for row in rows:
        tables.setdefault(row[0], []).append(row[1:])
    return tables


def _as_text(rows: list[list[Any]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in row] for row in rows]


def test_csv(report: SmtReport, scenario: Scenario) -> None:
    tables = _csv_tables(render(report, ReportFormat.CSV, keys=True).decode())
    for key, rows in expected_tables(scenario.refs).items():
        header, *body = tables[key]
        assert header == report.table(key).columns
        assert body == _as_text(rows), key
    # Without ?keys=1 each block is named by the figure's title, as people read it.
    human = render(report, ReportFormat.CSV).decode()
    assert human.startswith("Figure,Period from,2026-11-01,to,2026-11-30\n")
    titled = _csv_tables(human)
    assert titled["Challenges raised, by theme"][1:] == _as_text(
        expected_tables(scenario.refs)["by_theme"]
    )
    assert "by_theme" not in titled


def test_xlsx(report: SmtReport, scenario: Scenario) -> None:
    book = load_workbook(io.BytesIO(render(report, ReportFormat.XLSX)))
    used: set[str] = set()
    names = {t.key: sheet_name(t.title, used) for t in report.tables}
    assert book.sheetnames == ["Contents", *names.values()]
    assert names["by_team"] == "Challenges raised, by team and " and len(names["by_team"]) <= 31
    for key, rows in expected_tables(scenario.refs).items():
        sheet = book[names[key]]
        assert sheet["A1"].value == report.table(key).title
        got = [list(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
        want = [[_day(c) for c in row] for row in rows]  # days are real dates in the sheet
        assert [r[: len(rows[0])] for r in got] == want, key
    assert len(book[names["raised"]]._charts) == 1  # a native chart beside the table
    assert book["Contents"]["B2"].value == datetime(2026, 11, 1)  # a date, not text


def _day(cell: Any) -> Any:
    if isinstance(cell, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return datetime.fromisoformat(cell)
    return cell


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_text_has_every_row(report: SmtReport, scenario: Scenario) -> None:
    reader = PdfReader(io.BytesIO(render(report, ReportFormat.PDF)))
    text = _squash(" ".join(page.extract_text() for page in reader.pages))
    assert "1 November 2026 to 30 November 2026" in text
    for key, rows in expected_tables(scenario.refs).items():
        assert report.table(key).title in text
        for row in rows:
            if key == "impact" and row[2] is not None:  # long text cells wrap in the PDF
                assert f"{row[0]} {row[1]} {row[2]}" in text
                continue
            assert " ".join(shown(c) for c in row) in text, (key, row)


def test_annual_report_prose(report: SmtReport) -> None:
    text = "\n\n".join(annual_report_section(report))
    for sentence in (
        "From 1 November 2026 to 30 November 2026, IROs raised 6 challenges (3 in the previous "
        "period, from 1 October 2026 to 31 October 2026; no data for the same period a year "
        "earlier)",
        "3 informally and 3 formally; 1 challenge raised informally went on",
        "by the stage at which they were resolved: informal 1, Team manager 1, Senior manager 1",
        "1 challenge was withdrawn",
        "Managers gave 4 responses to formal challenges; 50.0% came on time, with a median of "
        "6.0 working days (90th percentile 7.0); 1 stage ran out of time",
        "Of 2 formal challenges that ended, 2 ended within the overall cap (median 10.0",
        "What changed for children, by the kind of outcome the IRO recorded on accepting: Care "
        "plan updated (2); Service or placement provided (1).",
        "1 referral to CAFCASS was made (Failed to prepare the care plan (1))",
        "1 good-practice alert",
        "IROs saw or contacted 3 children (4 contacts), held 1 midway review",
        "At the end of the period 4 challenges were open and 1 stuck; when this report was "
        "produced 4 challenges were open and 2 stuck.",
        "IROs' caseloads were 1.0 looked-after children per full-time post",
        "IROs also recognised good practice without a challenge 0 times.",
    ):
        assert sentence in text
    assert render(report, ReportFormat.TEXT).decode().strip() == text


def test_charts_are_svg_with_one_bar_per_row_and_period(report: SmtReport) -> None:
    svg = table_chart(report.table("by_iro"))
    assert svg is not None and svg.startswith("<svg")
    # Two IROs (rows 0 and 1) by two periods (columns 1 and 2): four bars; no bar for the total.
    bars = sorted(re.findall(r'<g id="chart-by_iro-(bar-\d+-\d+)">', svg))
    assert bars == ["bar-0-1", "bar-0-2", "bar-1-1", "bar-1-2"]
    # Every id is the chart's own, and every reference points at one of them.
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("chart-by_iro-") for i in ids) and len(ids) == len(set(ids))
    refs = re.findall(r'(?:href="|url\()#([^"\)]+)', svg)
    assert set(refs) <= set(ids)
    assert table_chart(report.table("cap")) is None  # measures, not categories: table only


def test_a_period_with_nothing_before_it_says_no_data_for_the_previous_period(
    scenario: Scenario,
) -> None:
    """October is the fixture's first month: September's zeros are "no data", not "none"."""
    rt = scenario.runtime
    october = smt_report(rt.engine, rt.ladders.current, Period.month(2026, 10), REPORT_AT)
    assert not october.previous_has_data
    prose = "\n\n".join(annual_report_section(october))
    assert (
        "IROs raised 3 challenges (no data for the previous period, from 1 September 2026 " in prose
    )
    assert json.loads(render(october, ReportFormat.JSON))["previous_period"]["has_data"] is False
    book = load_workbook(io.BytesIO(render(october, ReportFormat.XLSX)))
    contents = [[c.value for c in row] for row in book["Contents"].iter_rows(max_row=6)]
    assert ["Previous period", "No data for the previous period"] in [r[:2] for r in contents]
    pdf = _squash(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        render(october, ReportFormat.PDF))).pages[:1]))  # fmt: skip
    assert "no data for the previous period: nothing was recorded before 1 October 2026" in pdf

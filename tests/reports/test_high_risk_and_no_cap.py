"""The SMT report on a ladder with the high-risk route and no overall cap (the bundled
`qa_led`), on SQLite and PostgreSQL: the high-risk count in every format, and "no overall
cap" said in words wherever the cap would be shown (never "cap None")."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from api.reports.build import ReportFormat, render
from api.reports.prose import annual_report_section
from api.wiring import build
from tests.factories import Council, new_challenge
from tests.web.conftest import Browser, summary_rows
from workflow.report_definitions import NO_DATA, Period
from workflow.report_queries import SmtReport, drilldown, smt_report
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings

NOVEMBER = Period.month(2026, 11)
REPORT_AT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
HIGH_RISK = "Raised formally where risk is high (informal resolution skipped)"
NO_CAP = "Formal challenges ended (no overall cap)"


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="qa_led"), engine=engine)


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


def _raise(rt: Runtime, council: Council, when: datetime, high_risk: bool) -> str:
    new = new_challenge(when, stage="team_alert")
    if high_risk:
        new = replace(new, informal=None, high_risk_reason="Risk of significant harm tonight")
    with rt.uow() as uow:
        return raise_challenge(uow, new, council.iro, when).reference


def _act(rt: Runtime, ref: str, action: str, actor: int, when: datetime, **params: Any) -> None:
    with rt.uow() as uow:
        take_action(uow, ref, action, actor, params, when)


@pytest.fixture
def refs(runtime: Runtime, council: Council) -> dict[str, str]:
    """October: one high-risk raise. November: two high-risk raises (one resolved) and one
    formal raise after informal resolution."""
    rt, found = runtime, {}
    found["oct"] = _raise(rt, council, _at(10, 14), high_risk=True)
    found["nov1"] = _raise(rt, council, _at(11, 3), high_risk=True)
    found["nov2"] = _raise(rt, council, _at(11, 10), high_risk=True)
    found["usual"] = _raise(rt, council, _at(11, 11), high_risk=False)
    _act(rt, found["nov1"], "respond", council.team_manager, _at(11, 5), response="Placed "
         "safely", actions="Emergency placement", target_date="2026-11-06")  # fmt: skip
    _act(rt, found["nov1"], "accept", council.iro, _at(11, 9), outcome_kind="plan_updated",
         outcome="Safe", impact="Safe tonight")  # fmt: skip
    return found


@pytest.fixture
def report(runtime: Runtime, refs: dict[str, str]) -> SmtReport:
    return smt_report(runtime.engine, runtime.ladders.current, NOVEMBER, REPORT_AT)


def test_the_high_risk_count_and_its_drilldown(
    runtime: Runtime, refs: dict[str, str], report: SmtReport
) -> None:
    raised = report.table("raised")
    assert raised.row("Raised formally")[1:] == [3, 1, NO_DATA]
    assert raised.row(HIGH_RISK)[1:] == [2, 1, NO_DATA]
    got = drilldown(runtime.engine, runtime.ladders.current, NOVEMBER, "high_risk:high_risk",
                    REPORT_AT)  # fmt: skip
    assert got == sorted([refs["nov1"], refs["nov2"]])
    assert "3 formally (2 where risk was high, skipping informal resolution)" in " ".join(
        annual_report_section(report)
    )


def test_no_overall_cap_is_said_in_words(report: SmtReport) -> None:
    cap = report.table("cap")
    assert cap.rows[0] == [NO_CAP, 1, 0, NO_DATA]
    assert cap.row("Ended within the cap")[1:] == [None, None, NO_DATA]
    prose = " ".join(annual_report_section(report))
    assert "the ladder sets no overall cap" in prose and "None" not in prose


def test_every_format_has_the_high_risk_row_and_no_cap_in_words(report: SmtReport) -> None:
    data = json.loads(render(report, ReportFormat.JSON))
    tables = {t["key"]: [r["cells"] for r in t["rows"]] for t in data["tables"]}
    assert [HIGH_RISK, 2, 1, NO_DATA] in tables["raised"]
    assert tables["cap"][0] == [NO_CAP, 1, 0, NO_DATA]
    text = render(report, ReportFormat.CSV, keys=True).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert ["raised", HIGH_RISK, "2", "1", NO_DATA] in rows
    assert ["cap", NO_CAP, "1", "0", NO_DATA] in rows
    assert "None" not in text
    book = load_workbook(io.BytesIO(render(report, ReportFormat.XLSX)))
    cells = [[c for c in r if c is not None] for s in book.worksheets
             for r in s.iter_rows(values_only=True)]  # fmt: skip
    assert [HIGH_RISK, 2, 1, NO_DATA] in cells and [NO_CAP, 1, 0, NO_DATA] in cells
    assert not any("None" in str(c) for row in cells for c in row)
    pdf = PdfReader(io.BytesIO(render(report, ReportFormat.PDF)))
    words = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))
    assert f"{HIGH_RISK} 2 1" in words and f"{NO_CAP} 1 0" in words
    assert "None" not in words and "cap None" not in words


def test_the_report_and_challenge_pages_say_it_in_words(
    refs: dict[str, str], login: Callable[[str], Browser]
) -> None:
    page = login("smt@council.test").get("/reports?from=2026-11-01&to=2026-11-30")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert f"{HIGH_RISK} 2 1" in text and f"{NO_CAP} 1 0" in text
    assert "None" not in text
    shown = login("iro@council.test").get(f"/challenges/{refs['nov2']}")
    assert shown.status_code == 200
    assert summary_rows(shown.text)["Whole process due"] == "No overall cap"
    assert "None" not in re.sub(r"<[^>]+>", " ", shown.text)
    ladder = login("admin@council.test").get("/admin/ladder")
    assert ladder.status_code == 200 and "No overall cap" in ladder.text

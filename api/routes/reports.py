"""The SMT report pages: the report for any period with a chart beside every table,
the drill-down behind each figure, and the exports (JSON, CSV, XLSX, PDF, prose)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from api.auth import RuntimeDep, record_access
from api.presenters import stage_name
from api.reports.access import BadPeriod, ReportReader, as_at_from, period_from
from api.reports.build import ReportFormat, filename
from api.reports.build import render as render_bytes
from api.reports.charts import table_chart
from api.reports.children_shown import CHILDREN_FIGURES, children_behind
from api.reports.good_practice import good_practice_behind
from api.reports.monthly import last_month
from api.reports.tables import shown
from api.templating import render
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.page_queries import challenge_rows
from workflow.queries import SEE_ALL_ROLES
from workflow.report_definitions import FIGURE_BY_KEY, LONDON, Period
from workflow.report_queries import drilldown, smt_report

router = APIRouter(include_in_schema=False)
# Drill-down keys that are one row of another figure's table: that figure's title.
DRILL_PARTS = {
    "went_formal": "raised",
    "high_risk": "raised",
    "open_end": "open_now",
    "cap_alerts": "cap",
}
PRESETS = (("month", "Last month"), ("quarter", "Last 3 months"), ("year", "Last 12 months"))


def _preset(name: str, now: datetime) -> Period:
    month = last_month(now)
    if name == "quarter":
        return Period(Period.month(*_back(month.start, 2)).start, month.end)
    if name == "year":
        return Period(Period.month(*_back(month.start, 11)).start, month.end)
    return month


def _back(first: date, months: int) -> tuple[int, int]:
    index = first.year * 12 + first.month - 1 - months
    return index // 12, index % 12 + 1


def _period(request: Request, now: datetime) -> tuple[Period, dict[str, str]]:
    q = request.query_params
    try:
        return period_from(q.get("from"), q.get("to"), _preset(q.get("preset", "month"), now)), {}
    except BadPeriod as error:
        return last_month(now), {"from": str(error).capitalize()}


def _as_at(request: Request, now: datetime) -> tuple[datetime | None, dict[str, str]]:
    try:
        return as_at_from(request.query_params.get("as_at"), now), {}
    except BadPeriod as error:
        return None, {"as_at": str(error).capitalize()}


def _query(period: Period, as_at: datetime | None) -> str:
    args = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if as_at is not None:
        args["as_at"] = as_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
    return urlencode(args)


@router.get("/reports")
def report_page(request: Request, person: ReportReader, runtime: RuntimeDep) -> Response:
    now = datetime.now(UTC)
    period, errors = _period(request, now)
    as_at, as_at_errors = _as_at(request, now)
    engine = read_only_engine(runtime.engine)
    report = smt_report(
        engine, runtime.ladders.current, period, now, as_at, roll_with=runtime.engine
    )
    query = _query(period, as_at)
    errors = {**errors, **as_at_errors}
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "errors": errors,
            "query": query,
            "as_at_text": request.query_params.get("as_at", ""),
            "presets": PRESETS,
            "charts": {t.key: table_chart(t) for t in report.tables},
            "shown": shown,
            "formats": [(f.value, f.suffix, f.name) for f in ReportFormat],
        },
    )


@router.get("/reports/drilldown")
def drilldown_page(request: Request, person: ReportReader, runtime: RuntimeDep) -> Response:
    now = datetime.now(UTC)
    period, _ = _period(request, now)
    cell = request.query_params.get("cell", "")
    figure = cell.partition(":")[0]
    if figure not in FIGURE_BY_KEY and figure not in (*DRILL_PARTS, "challenge"):
        return render(
            request,
            "errors/error.html",
            {"status": 404, "title": "Page not found", "detail": f"There is no figure '{figure}'"},
            status_code=404,
        )
    as_at, _ = _as_at(request, now)
    refs = drilldown(runtime.engine, runtime.ladders.current, period, cell, as_at or now,
                     rebuilt=as_at is not None and as_at < now)  # fmt: skip
    children = figure in CHILDREN_FIGURES
    title = FIGURE_BY_KEY.get(DRILL_PARTS.get(figure, figure))
    good_practice = None
    if figure == "good_practice_recorded":
        good_practice = good_practice_behind(runtime.engine, person, refs, "page", cell)
        rows: list[Any] = []
    elif children:
        rows = children_behind(runtime.engine, person, refs, "page", cell)
    else:
        with Session(read_only_engine(runtime.engine)) as session:
            rows = challenge_rows(session, refs)
    ladder = runtime.ladders.current
    return render(
        request,
        "reports/drilldown.html",
        {
            "refs": refs,
            "rows": rows,
            # SMT readers see reports only: the rows are shown, without links or children's
            # references; everyone else who reads reports may open every challenge and child.
            "may_open": Role(person.role) in SEE_ALL_ROLES,
            "stage_name": lambda key: stage_name(ladder, key),
            "children": children,
            "good_practice": good_practice,
            "period": period,
            "cell": cell,
            "title": title.title if title else "Challenges",
            "back": "/reports?" + _query(period, as_at),
        },
    )


@router.get("/reports/smt.{suffix}")
def report_export(
    request: Request, suffix: str, person: ReportReader, runtime: RuntimeDep
) -> Response:
    fmt = next((f for f in ReportFormat if f.suffix == suffix), None)
    if fmt is None:
        return Response(status_code=404)
    now = datetime.now(UTC)
    period, _ = _period(request, now)
    as_at, _ = _as_at(request, now)
    assert person.id is not None
    record_access(runtime.engine, person.id, "export", what=f"SMT report {period.label()} {suffix}")
    engine = read_only_engine(runtime.engine)
    report = smt_report(
        engine, runtime.ladders.current, period, now, as_at, roll_with=runtime.engine
    )
    return Response(
        render_bytes(report, fmt, keys=request.query_params.get("keys") == "1"),
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename(report, fmt)}"'},
    )

"""The report as plain data: JSON, and one CSV with a section column."""

from __future__ import annotations

import csv
import io
from typing import Any

from workflow.report_definitions import NO_DATA, YEAR_EARLIER, Period
from workflow.report_queries import Cell, SmtReport, Table


def shown(value: Cell) -> str:
    """A cell as people read it: no value is a dash, whole floats keep one decimal."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def csv_cell(value: Cell) -> Cell:
    """No formula injection when a CSV is opened in a spreadsheet: text that starts like a
    formula gets a leading apostrophe. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table_json(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "definition": table.definition,
        "columns": table.columns,
        "rows": [
            {"cells": row, "drilldown": drill}
            for row, drill in zip(table.rows, table.drill, strict=True)
        ],
    }


def report_json(report: SmtReport) -> dict[str, Any]:
    return {
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        "previous_period": {
            "from": report.previous.start.isoformat(),
            "to": report.previous.end.isoformat(),
            "has_data": report.previous_has_data,
        },
        "year_earlier": _period_json(report.year_earlier, report.year_earlier_has_data),
        "generated_at": report.generated_at.isoformat(),
        "ladder": report.ladder_name,
        "tables": [table_json(t) for t in report.tables],
    }


def _period_json(period: Period | None, has_data: bool) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "has_data": has_data}


def compared_periods(report: SmtReport) -> list[tuple[str, Period, bool]]:
    """(what, period, whether it has data) for the previous period and the year earlier."""
    out = [("Previous period", report.previous, report.previous_has_data)]
    if report.year_earlier is not None:
        out.append((YEAR_EARLIER, report.year_earlier, report.year_earlier_has_data))
    return out


def report_csv(report: SmtReport, keys: bool = False) -> str:
    """Every table in one CSV: each block is a header row then its rows, the first column
    naming the table (its title; with `keys`, the machine key such as `by_theme`), so the
    file sorts and filters by table in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if keys:
        writer.writerow(["section", "period_from", report.period.start.isoformat(),
                         "period_to", report.period.end.isoformat()])  # fmt: skip
    else:
        writer.writerow(["Figure", "Period from", report.period.start.isoformat(),
                         "to", report.period.end.isoformat()])  # fmt: skip
    for what, period, has_data in compared_periods(report):
        name = what.lower().replace(" ", "_") + "_from" if keys else f"{what} from"
        writer.writerow([name, period.start.isoformat(), "to", period.end.isoformat(),
                         "" if has_data else NO_DATA])  # fmt: skip
    for table in report.tables:
        name = table.key if keys else table.title
        writer.writerow([])
        writer.writerow([name, *table.columns])
        for row in table.rows:
            writer.writerow([name, *(csv_cell(c) for c in row)])
    return out.getvalue()

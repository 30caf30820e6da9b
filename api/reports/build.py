"""One place that turns a request for a report into bytes: used by the CLI, pages, API and job."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

from api.reports.pdf import report_pdf
from api.reports.prose import annual_report_section
from api.reports.tables import report_csv, report_json
from workflow.db import read_only_engine
from workflow.report_definitions import Period
from workflow.report_queries import SmtReport, smt_report
from workflow.runtime import Runtime


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    TEXT = "text"

    @property
    def media_type(self) -> str:
        return _MEDIA[self]

    @property
    def suffix(self) -> str:
        return "txt" if self is ReportFormat.TEXT else self.value


_MEDIA = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.TEXT: "text/plain; charset=utf-8",
}


def build_report(runtime: Runtime, start: date, end: date, now: datetime,
                 as_at: datetime | None = None) -> SmtReport:  # fmt: skip
    engine = read_only_engine(runtime.engine)
    return smt_report(
        engine, runtime.ladders.current, Period(start, end), now, as_at, roll_with=runtime.engine
    )


def render(report: SmtReport, fmt: ReportFormat, keys: bool = False) -> bytes:
    """The report as `fmt`; `keys`: CSV sections named by machine key, not title."""
    if fmt is ReportFormat.JSON:
        return json.dumps(report_json(report), indent=2, ensure_ascii=False).encode()
    if fmt is ReportFormat.CSV:
        return report_csv(report, keys).encode("utf-8")
    if fmt is ReportFormat.XLSX:
        from api.reports.xlsx import report_xlsx  # openpyxl loads only for a workbook

        return report_xlsx(report)
    if fmt is ReportFormat.PDF:
        return report_pdf(report)
    return ("\n\n".join(annual_report_section(report)) + "\n").encode()


def filename(report: SmtReport, fmt: ReportFormat) -> str:
    return f"iro-challenge-smt-{report.period.start}-to-{report.period.end}.{fmt.suffix}"

"""The report as a workbook: a cover sheet with the contents, then one sheet per table
(named by its title) with a native chart; dates are real dates, figures real numbers."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from api.reports.charts import chart_rows
from api.reports.tables import compared_periods
from workflow.report_definitions import LONDON
from workflow.report_queries import Cell, SmtReport, Table

_BOLD = Font(bold=True)


def report_xlsx(report: SmtReport) -> bytes:
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "Contents"
    contents.append(["IRO challenge: report to the Senior Management Team"])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append(["Period from", report.period.start, "to", report.period.end])
    for what, period, has_data in compared_periods(report):
        contents.append([f"{what} from", period.start, "to", period.end])
        if not has_data:
            contents.append([what, f"No data for the {what[0].lower()}{what[1:]}"])
    produced = report.generated_at.astimezone(LONDON).replace(tzinfo=None)
    contents.append(["Produced (London time)", produced])
    if report.as_at and report.as_at < report.generated_at:
        as_at = report.as_at.astimezone(LONDON).replace(tzinfo=None)
        contents.append(["As the record stood at (London time)", as_at])
    contents.append(["Ladder", report.ladder_name])
    for row in contents.iter_rows(min_row=2, max_row=contents.max_row):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "d mmmm yyyy hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "d mmmm yyyy"
    contents.append([])
    contents.append(["Sheet", "Figure", "Definition"])
    used: set[str] = set()
    for table in report.tables:
        name = sheet_name(table.title, used)
        contents.append([name, table.title, table.definition])
        contents.cell(contents.max_row, 1).hyperlink = f"#'{name}'!A1"
        _sheet(book.create_sheet(name), table)
    contents.column_dimensions["B"].width = 40
    contents.column_dimensions["C"].width = 120
    for sheet in book.worksheets:
        no_formulas(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: Worksheet, table: Table) -> None:
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append([table.definition])
    sheet["A2"].alignment = Alignment(wrap_text=False)
    sheet.append([])
    sheet.append(table.columns)
    for cell in sheet[4]:
        cell.font = _BOLD
    for row in table.rows:
        sheet.append([_value(c) for c in row])
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "d mmm yyyy"
    sheet.column_dimensions["A"].width = 48
    _chart(sheet, table)


_BAD = re.compile(r"[\[\]:*?/\\]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def no_formulas(sheet: Worksheet) -> None:
    """openpyxl stores any text starting with "=" as a formula: a team or theme named
    "=HYPERLINK(...)" would run when the sheet is opened. Keep such text as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def sheet_name(title: str, used: set[str]) -> str:
    r"""The table's title as a sheet name: Excel allows 31 characters and none of []:*?/\."""
    base = _BAD.sub("", title).strip()[:31]
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[: 31 - len(str(n)) - 1]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _value(cell: Cell) -> Cell | date:
    """A day written as text in the table becomes a real date in the sheet."""
    if isinstance(cell, str) and _ISO_DAY.fullmatch(cell):
        return date.fromisoformat(cell)
    return cell


def _chart(sheet: Worksheet, table: Table) -> None:
    charted = len(chart_rows(table))
    if not table.chart_columns or not charted:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = table.title
    chart.height = max(6.0, 1.0 + 0.8 * charted)
    for col in table.chart_columns:
        data = Reference(sheet, min_col=col + 1, min_row=4, max_row=4 + charted)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=5, max_row=4 + charted))
    sheet.add_chart(chart, f"{chr(ord('A') + len(table.columns) + 1)}4")

"""The report as a workbook: a contents sheet, then one sheet per table with a native chart."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from api.reports.charts import chart_rows
from workflow.report_queries import SmtReport, Table

_BOLD = Font(bold=True)


def report_xlsx(report: SmtReport) -> bytes:
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "Contents"
    contents.append(["IRO challenge: report to the Senior Management Team"])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append(["Period", report.period.start, report.period.end])
    contents.append(["Previous period", report.previous.start, report.previous.end])
    contents.append(["Produced", report.generated_at.replace(tzinfo=None), "UTC"])
    contents.append(["Ladder", report.ladder_name])
    contents.append([])
    contents.append(["Sheet", "Figure", "Definition"])
    for table in report.tables:
        contents.append([table.key, table.title, table.definition])
        _sheet(book.create_sheet(table.key[:31]), table)
    contents.column_dimensions["B"].width = 40
    contents.column_dimensions["C"].width = 120
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
        sheet.append(row)
    sheet.column_dimensions["A"].width = 48
    _chart(sheet, table)


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

"""Spreadsheet exports never turn a name into a formula."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from api.reports.xlsx import no_formulas


def test_text_that_starts_like_a_formula_stays_text():
    book = Workbook()
    sheet = book.active
    sheet.append(["Team", '=HYPERLINK("http://evil.example","click")', 3])
    no_formulas(sheet)
    out = io.BytesIO()
    book.save(out)
    cell = load_workbook(io.BytesIO(out.getvalue())).active["B1"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")

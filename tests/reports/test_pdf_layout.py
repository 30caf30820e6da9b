"""The SMT pack hides nothing: every word of its text layer is on the page, visible and clear
of the charts; and the check itself catches a chart over a table and text off the page."""

from __future__ import annotations

import base64
import io

import pytest
from pypdf import PdfReader

from api.reports.charts import table_chart_png
from api.reports.pdf import _to_pdf, report_pdf
from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario
from tests.reports.pdf_layout import layout_problems
from workflow.report_queries import Table, smt_report


def test_every_word_of_the_pack_is_visible_on_its_page(scenario: Scenario) -> None:
    rt = scenario.runtime
    report = smt_report(rt.engine, rt.ladders.current, NOVEMBER, REPORT_AT)
    pdf = report_pdf(report)
    assert layout_problems(pdf) == []
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for internal in ("raise_informal", "open_now", "awaiting_iro_decision", "child.iro_id"):
        assert internal not in text, internal
    # Tagged for screen readers (PDF/UA-1): a structure tree and the document's language.
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "en-GB"


def _chart() -> str:
    table = Table("by_iro", ["IRO", "This period", "Previous period"], chart_columns=(1, 2))
    table.add(["Imogen Reviewer", 3, 1])
    png = table_chart_png(table)
    assert png is not None
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            '<p>Figures 12 and 34</p><img src="{chart}" style="position: absolute; top: 0; '
            'left: 0; width: 200mm">',
            "is under a chart",
        ),
        ('<p style="margin-left: 320mm">Hidden 56</p>', "runs off the page"),
        ('<p style="color: white">Invisible 78</p>', "is not visibly drawn"),
    ],
)
def test_the_layout_check_finds_what_a_reader_could_not_see(body: str, problem: str) -> None:
    html = ("<html><body style='font: 12pt arial'>" + body.format(chart=_chart())
            + "</body></html>")  # fmt: skip
    found = layout_problems(_to_pdf(html))
    assert found and all(problem in p for p in found), found

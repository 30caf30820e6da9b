"""Charts: drawn once per data version, safe with any name in a label."""

from __future__ import annotations

from api.reports.charts import _svg, table_chart, table_chart_png
from workflow.report_queries import Table


def _table(count: int, name: str = "Imogen Reviewer") -> Table:
    table = Table("by_iro", ["IRO", "This period", "Previous period"], chart_columns=(1, 2))
    table.add([name, count, 1])
    table.add(["Total", count, 1])
    return table


def test_a_chart_is_drawn_once_per_data_version() -> None:
    _svg.cache_clear()
    first = table_chart(_table(3))
    again = table_chart(_table(3))
    assert first is not None and again == first
    assert _svg.cache_info().misses == 1 and _svg.cache_info().hits == 1
    changed = table_chart(_table(4))  # a figure changed: drawn afresh
    assert changed is not None and changed != first
    assert _svg.cache_info().misses == 2


def test_dollar_signs_in_names_are_text_not_mathtext() -> None:
    svg = table_chart(_table(2, name=r"Team $\cmd$ and $5"))
    assert svg is not None and svg.startswith("<svg")


def test_the_pdf_gets_the_same_chart_as_a_png() -> None:
    png = table_chart_png(_table(3))
    assert png is not None and png.startswith(b"\x89PNG")
    assert table_chart_png(_table(3)) is png  # cached too


def test_the_trend_covers_three_years_of_calendar_quarters() -> None:
    from datetime import date

    from workflow.report_queries.trend import quarters_to

    quarters = quarters_to(date(2026, 11, 30))
    assert len(quarters) == 12
    assert (quarters[0].start, quarters[-1].end) == (date(2024, 1, 1), date(2026, 12, 31))
    assert quarters[-1].start == date(2026, 10, 1)

"""PDFs (WeasyPrint): the whole SMT report laid out for an SMT pack, and a child's footprint."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.reports.charts import table_chart
from api.reports.prose import annual_report_section
from api.reports.tables import shown
from api.templating import long_date
from workflow.footprint import Footprint
from workflow.report_queries import SmtReport

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_LONDON = ZoneInfo("Europe/London")


@lru_cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shown"] = shown
    env.filters["day"] = long_date
    return env


def _stamp(moment: datetime) -> str:
    return moment.astimezone(_LONDON).strftime("%-d %B %Y %H:%M")


def _image(svg: str | None) -> str | None:
    """The chart as an image URL: WeasyPrint draws SVG images fully, inline SVG less so."""
    if svg is None:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_html(report: SmtReport) -> str:
    charts = {t.key: _image(table_chart(t)) for t in report.tables}
    return _env().get_template("reports/pdf.html").render(
        report=report, charts=charts, prose=annual_report_section(report),
        produced=_stamp(report.generated_at),
    )  # fmt: skip


def report_pdf(report: SmtReport) -> bytes:
    return _to_pdf(report_html(report))


def footprint_html(footprint: Footprint, produced: datetime | None = None) -> str:
    return (
        _env()
        .get_template("footprint/pdf.html")
        .render(footprint=footprint, produced=_stamp(produced or datetime.now(UTC)))
    )


def footprint_pdf(footprint: Footprint, produced: datetime | None = None) -> bytes:
    return _to_pdf(footprint_html(footprint, produced))


def _to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it is slow to load and only PDFs need it

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)

"""PDFs (WeasyPrint): the whole SMT report laid out for an SMT pack, and a child's footprint."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.reports.charts import table_chart_png
from api.reports.prose import annual_report_section
from api.reports.tables import shown
from api.templating import long_date
from workflow.footprint import Footprint
from workflow.report_queries import SmtReport

if TYPE_CHECKING:
    from api.subject_access import SubjectAccessExport

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
    env.filters["shown_value"] = _shown_value
    return env


def _shown_value(value: object) -> str:
    """A cell of a raw record: structured values as JSON, nothing as a dash."""
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, indent=1, ensure_ascii=False)
    return str(value)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(_LONDON).strftime("%-d %B %Y %H:%M")


def _image(png: bytes | None) -> str | None:
    """The chart as an image URL (a PNG: see `charts.table_chart_png`)."""
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode()


def report_html(report: SmtReport) -> str:
    charts = {t.key: _image(table_chart_png(t)) for t in report.tables}
    as_at = report.as_at if report.as_at and report.as_at < report.generated_at else None
    return _env().get_template("reports/pdf.html").render(
        report=report, charts=charts, prose=annual_report_section(report),
        produced=_stamp(report.generated_at), as_at=_stamp(as_at) if as_at else None,
    )  # fmt: skip


def report_pdf(report: SmtReport) -> bytes:
    """The SMT pack, tagged for screen readers (PDF/UA-1: WeasyPrint 70 writes the structure
    tree, headings, tables and the images' alternative text)."""
    return _to_pdf(report_html(report), variant="pdf/ua-1")


def footprint_html(footprint: Footprint, produced: datetime | None = None) -> str:
    return (
        _env()
        .get_template("footprint/pdf.html")
        .render(footprint=footprint, produced=_stamp(produced or datetime.now(UTC)))
    )


def footprint_pdf(footprint: Footprint, produced: datetime | None = None) -> bytes:
    return _to_pdf(footprint_html(footprint, produced))


def _to_pdf(html: str, variant: str | None = None) -> bytes:
    from weasyprint import HTML  # imported late: it is slow to load and only PDFs need it

    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant=variant)
    assert pdf is not None
    return bytes(pdf)


def subject_access_pdf(export: SubjectAccessExport) -> bytes:
    html = (
        _env()
        .get_template("subject_access/pdf.html")
        .render(export=export, produced=_stamp(export.produced_at))
    )
    return _to_pdf(html)

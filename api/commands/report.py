"""`iro-disputes report`: the SMT report and a child's footprint, to a file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from api.commands._common import reported_errors, runtime
from api.reports.access import as_at_from
from api.reports.build import ReportFormat, build_report, render
from api.reports.footprint_export import footprint_csv, footprint_pdf
from workflow.db import make_engine
from workflow.event_facts import renumber_working_days as renumber
from workflow.footprint import child_footprint
from workflow.settings import get_settings

app = typer.Typer(
    help="Reports: the SMT report, a child's footprint; the events' working-day numbers.",
    no_args_is_help=True,
)

Day = Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="A date, YYYY-MM-DD")]
Output = Annotated[Path, typer.Option("--output", "-o", help="The file to write")]


@app.command()
def smt(
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                            help="First day of the period (YYYY-MM-DD)")],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                          help="Last day of the period, included")],
    output: Output,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="json, csv, xlsx, pdf, or text "
                                              "(the annual-report prose)")] = ReportFormat.PDF,
    as_at: Annotated[str | None, typer.Option("--as-at", help="As the record stood then: a "
                     "date (end of that day) or date and time, London time")] = None,
) -> None:  # fmt: skip
    """The SMT report for a period, compared with the previous period of the same length."""
    if end < start:
        typer.echo("Error: --to must be on or after --from", err=True)
        raise typer.Exit(code=1)
    with runtime() as rt, reported_errors():
        now = rt.now()
        report = build_report(rt, start.date(), end.date(), now, as_at_from(as_at, now))
        output.write_bytes(render(report, fmt))
    typer.echo(f"Wrote the SMT report for {report.period.label()} to {output}")


@app.command()
def footprint(
    child: Annotated[str, typer.Argument(help="The child's case-management reference")],
    output: Output,
    fmt: Annotated[str, typer.Option("--format", help="csv or pdf")] = "pdf",
    as_at: Annotated[str | None, typer.Option("--as-at", help="As the record stood then: a "
                     "date (end of that day) or date and time, London time")] = None,
) -> None:  # fmt: skip
    """A child's footprint (every challenge step and IRO activity), as CSV or PDF."""
    if fmt not in ("csv", "pdf"):
        typer.echo("Error: --format must be csv or pdf", err=True)
        raise typer.Exit(code=1)
    with runtime() as rt, reported_errors():
        moment = as_at_from(as_at, rt.now())
        fp = child_footprint(rt.engine, rt.ladders.current, child, moment)
        data = footprint_csv(fp).encode() if fmt == "csv" else footprint_pdf(fp, rt.now())
        output.write_bytes(data)
    typer.echo(f"Wrote the footprint of {child} ({len(fp.entries)} entries) to {output}")


@app.command("renumber-working-days")
def renumber_working_days() -> None:
    """Work every challenge event's working-day numbers out again with the ladder in use.

    For after a change to past dates of the calendar (a closure day added afterwards, a
    corrected bank holiday, another cut-off or day one): numbers are otherwise worked out
    once, when each event is written. Runs as IRO_DISPUTES_MIGRATION_DATABASE_URL (the
    owner) when it is set: it sets aside the log's append-only trigger for its own
    transaction."""
    engine = make_engine(get_settings().resolved_migration_url)
    with runtime() as rt:
        ladder = rt.ladders.current
    try:
        with reported_errors(), engine.begin() as conn:
            changed = renumber(conn, ladder)
    finally:
        engine.dispose()
    typer.echo(f"Working-day numbers worked out again with the ladder {ladder.id!r}: "
               f"{changed} events changed")  # fmt: skip

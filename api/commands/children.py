"""`iro-disputes children`: load children from a CSV file (people first)."""

from __future__ import annotations

import typer
from sqlmodel import Session

from api.commands._common import runtime
from api.commands.people import CsvFile, read_csv, report
from council_data.people_import import import_children

app = typer.Typer(help="Import children by their case-management reference.", no_args_is_help=True)


@app.command("import")
def import_file(path: CsvFile) -> None:
    """Create or update children from FILE (all or nothing); see docs/people-import.md."""
    text = read_csv(path)
    with runtime() as rt, Session(rt.engine) as session:
        result = import_children(session, text)
    report(result, "children")

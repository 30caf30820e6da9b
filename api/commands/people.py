"""`iro-disputes people`: load the council's people from a CSV file, and list them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from api.commands._common import runtime
from council_data.people_import import ImportResult, import_people
from workflow.tables import Person, Team

app = typer.Typer(help="Import and list people, teams and line management.", no_args_is_help=True)

CsvFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file (UTF-8)")
]


def read_csv(path: Path) -> str:
    """The file as text, or every reader's favourite message: save it as CSV UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        typer.echo(
            f"line {line}: file: {path.name} is not UTF-8 text "
            "(in Excel choose Save As > 'CSV UTF-8 (Comma delimited)')",
            err=True,
        )
        raise typer.Exit(code=1) from error


def report(result: ImportResult, noun: str) -> None:
    """Every problem on stderr and exit 1, or the counts on stdout."""
    if not result.ok:
        for error in result.errors:
            typer.echo(str(error), err=True)
        rows = len({e.line for e in result.errors})
        typer.echo(f"Nothing imported: {len(result.errors)} problems on {rows} lines", err=True)
        raise typer.Exit(code=1)
    teams = f", {result.teams_created} teams created" if result.teams_created else ""
    typer.echo(
        f"Imported {noun}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged{teams}"
    )


@app.command("import")
def import_file(path: CsvFile) -> None:
    """Create or update people from FILE (all or nothing); see docs/people-import.md."""
    text = read_csv(path)
    with runtime() as rt, Session(rt.engine) as session:
        result = import_people(session, text)
    report(result, "people")


@app.command("list")
def list_people() -> None:
    """Everyone, by team, with their role, manager and deputy."""
    with runtime() as rt, Session(rt.engine) as session:
        people = list(session.exec(select(Person)))
        teams = {t.id: t.name for t in session.exec(select(Team))}
    emails = {p.id: p.email for p in people}
    people.sort(key=lambda p: (teams.get(p.team_id, ""), p.role, p.name))
    for p in people:
        flags = ("  (absent)" if p.absent else "") + ("" if p.active else "  (inactive)")
        line = f"{p.email:<40} {p.name:<28} {p.role:<16} {teams.get(p.team_id, '-'):<36}"
        manager = emails.get(p.manager_id, "-") if p.manager_id else "-"
        deputy = f"  deputy {emails[p.deputy_id]}" if p.deputy_id in emails else ""
        typer.echo(f"{line} manager {manager}{deputy}{flags}".rstrip())
    typer.echo(f"{len(people)} people")

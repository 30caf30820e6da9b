"""`iro-disputes child export REF`: everything held about one child, for a subject
access request, as JSON and PDF. The export is recorded on the access log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from api.auth import person_by_email
from api.commands._common import reported_errors, runtime
from api.reports.pdf import subject_access_pdf
from api.subject_access import export_child
from workflow.errors import NotFound
from workflow.tables import Person

app = typer.Typer(help="One child's record: the subject access export.", no_args_is_help=True)


def _person(engine: Engine, email: str) -> Person:
    person = person_by_email(engine, email)
    if person is None or not person.active:
        raise NotFound("active person with the email", email)
    return person


@app.command("export")
def export_command(
    reference: Annotated[str, typer.Argument(help="The child's case reference, e.g. LL1001")],
    by: Annotated[str, typer.Option("--by", help="Email of the person answering the request")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the two files to")] = Path(),
) -> None:
    """Write REF-subject-access.json and REF-subject-access.pdf into --out."""
    with runtime() as rt, reported_errors():
        person = _person(rt.engine, by)
        export = export_child(rt.engine, reference.strip(), person, datetime.now(UTC))
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{export.reference}-subject-access"
    json_path, pdf_path = stem.with_suffix(".json"), stem.with_suffix(".pdf")
    json_path.write_text(json.dumps(export.as_json(), indent=2, ensure_ascii=False), "utf-8")
    pdf_path.write_bytes(subject_access_pdf(export))
    sections = export.sections
    typer.echo(f"{json_path}\n{pdf_path}")
    typer.echo(f"{len(sections['challenges'])} challenge(s), {len(sections['activities'])} "
               f"activity(ies), {len(sections['emails']['sent'])} email(s) sent, "
               f"{len(sections['emails']['received'])} received, "
               f"{len(sections['access_log'])} access-log line(s)")  # fmt: skip

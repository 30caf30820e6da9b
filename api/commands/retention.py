"""`iro-disputes retention run [--dry-run]`: remove what is past its retention period
(see `api.retention` and docs/security.md), or only list it."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from api.retention import KindPlan, RetentionRaced, RetentionSettings, plan, run
from api.retention_children import ChildRecordChanged
from workflow.db import make_engine
from workflow.settings import get_settings

app = typer.Typer(help="Retention: remove what is past its period.", no_args_is_help=True)
SHOWN = 20


def _describe(p: KindPlan, dry_run: bool) -> list[str]:
    verb = "would go" if dry_run else "went"
    cut = p.cut_off.date().isoformat()
    line = f"{p.kind}: {len(p.ids)} {verb} (older than {cut})"
    if p.ids:
        more = f" and {len(p.ids) - SHOWN} more" if len(p.ids) > SHOWN else ""
        line += ": " + ", ".join(str(i) for i in p.ids[:SHOWN]) + more
    # A child's record: every table's rows, so a dry run shows all that a run deletes.
    lines = [line] + [f"  {c.case_reference}: {c.describe()}" for c in p.children]
    if p.held:
        lines.append(f"  held, a challenge is still open (check the date of birth): "
                     f"{', '.join(p.held)}")  # fmt: skip
    return lines


@app.command("run")
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go; change nothing")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Who runs it, for the retention record")] = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="Every row id, by kind (and by child and table)")
    ] = False,
) -> None:
    """Blank raw mail and sent-mail bodies, remove access-log rows and children's records
    past their periods, one transaction per kind (per child for a child's record), each
    recorded in the retention record."""
    settings, now = RetentionSettings(), datetime.now(UTC)
    # As the schema's owner: the service's own PostgreSQL role may not DELETE from the
    # access log at all (docs/security.md), only this run may, and only past its period.
    engine = make_engine(get_settings().resolved_migration_url)
    try:
        if dry_run:
            plans = plan(engine, settings, now)
        else:
            plans = run(engine, settings, now, by or f"command line ({getpass.getuser()})")
    except (RetentionRaced, ChildRecordChanged) as raced:
        typer.echo(f"Error: {raced}", err=True)
        raise typer.Exit(code=1) from raced
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps([_as_json(p) for p in plans], indent=1))
        return
    for p in plans:
        for line in _describe(p, dry_run):
            typer.echo(line)


def _as_json(p: KindPlan) -> dict[str, object]:
    return {"kind": p.kind, "cut_off": p.cut_off.isoformat(), "ids": p.ids,
            "through_row_id": p.through_row_id, "held": p.held,
            "children": [{"case_reference": c.case_reference, "rows": c.rows}
                         for c in p.children]}  # fmt: skip

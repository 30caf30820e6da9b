"""`iro-disputes audit`: seal and verify the hash chains over the challenge log and the
access log (see `workflow.audit_chain`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from api.commands._common import runtime
from workflow.audit_chain import seal, verify

app = typer.Typer(help="Tamper evidence: hash chains over the logs.", no_args_is_help=True)


@app.command("seal")
def seal_command() -> None:
    """Link every row written since the last seal into its log's chain."""
    with runtime() as rt:
        added = seal(rt.engine, datetime.now(UTC))
    for log, count in added.items():
        typer.echo(f"{log}: {count} row(s) sealed")


@app.command("verify")
def verify_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    no_seal: Annotated[bool, typer.Option("--no-seal", help="Check only; seal nothing")] = False,
) -> None:
    """Recompute both chains from the rows; exit 1 and name the first broken link if any."""
    with runtime() as rt:
        if not no_seal:
            seal(rt.engine, datetime.now(UTC))
        verdict = verify(rt.engine)
    if as_json:
        typer.echo(json.dumps([vars(v) for v in verdict.logs], indent=2))
    for v in verdict.logs if not as_json else []:
        if v.ok:
            typer.echo(f"{v.log}: intact ({v.linked} rows linked, {v.unsealed} not yet sealed)")
        else:
            typer.echo(f"{v.log}: BROKEN at row {v.broken_at}: {v.why} "
                       f"({v.linked - 1} rows before it are intact)")  # fmt: skip
    if not verdict.ok:
        raise typer.Exit(code=1)

"""`iro-disputes rules`: check a ladder file and show what it would do.

For the admin who edits a council's ladder: `check` before deploying it, `explain` to
see each stage's due moment and the bank holidays and closures it skips.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from escalation_rules import LadderError, explain, load_ladder_setting
from escalation_rules.checks import warnings
from escalation_rules.explain_render import to_json_dict, to_text
from escalation_rules.model import Ladder

app = typer.Typer(
    help="Check and explain escalation ladders (a bundled id such as 'handbook', or a file).",
    no_args_is_help=True,
)

LadderArg = Annotated[str, typer.Argument(help="A ladder file, or a bundled ladder id.")]


def _load(file: str) -> Ladder:
    try:
        return load_ladder_setting(file)
    except LadderError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc


@app.command()
def check(file: LadderArg) -> None:
    """Validate a ladder; print every problem found, or a summary if it is fine."""
    ladder = _load(file)
    stages = len(ladder.stages)
    for found in warnings(ladder):
        typer.echo(f"warning: {Path(file).name}: {found.key}: {found.problem}", err=True)
    typer.echo(f"OK: {ladder.id} ({ladder.name}), {stages} stages, hash {ladder.content_hash}")


def _parse_start(value: str | None, ladder: Ladder) -> datetime:
    zone = ZoneInfo(ladder.timezone)
    if value is None:
        return datetime.now(zone)
    try:
        start = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("use ISO 8601, such as 2026-12-23T10:00") from exc
    # A naive time is what an admin types: the ladder's local (London) time.
    return start if start.tzinfo is not None else start.replace(tzinfo=zone)


@app.command("explain")
def explain_command(
    file: LadderArg,
    start: Annotated[
        str | None,
        typer.Option(help="When the challenge is raised, ISO 8601; naive means London time."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show each stage's due moment for a challenge raised at START (default: now)."""
    ladder = _load(file)
    explanation = explain(ladder, _parse_start(start, ladder))
    if as_json:
        typer.echo(json.dumps(to_json_dict(explanation), indent=2))
    else:
        typer.echo(to_text(explanation), nl=False)

"""`iro-disputes sweep`: run one deadline sweep, as if it were a given time."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from api.commands._common import reported_errors, runtime
from api.worker import parse_moment
from workflow.runtime import Runtime
from workflow.sweep import sweep as run_sweep


def register(cli: typer.Typer) -> None:
    @cli.command()
    def sweep(
        now: Annotated[
            str | None,
            typer.Option(
                help="Sweep as if it were this time (London time unless an offset is given)"
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
    ) -> None:
        """Fire every deadline due now (or at --now) once, and print what happened."""
        moment = _moment(now) if now else Runtime.now()
        with reported_errors(), runtime() as rt:
            fired = run_sweep(rt, moment)
        if as_json:
            for item in fired:
                typer.echo(json.dumps(item.as_json()))
            return
        typer.echo(f"Sweep at {moment.isoformat()}: {len(fired)} deadline(s)")
        for item in fired:
            typer.echo(
                f"  {item.reference}  {item.kind:<8} {item.status:<9} {item.outcome}"
                f"  (due {_short(item.due_at)}, {item.late_seconds} s late: {item.reason})"
            )


def _short(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def _moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--now") from error

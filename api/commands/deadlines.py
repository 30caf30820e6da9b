"""`iro-disputes deadlines`: upcoming, overdue and stuck deadlines, and why."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from api.commands._common import runtime
from api.worker import parse_moment
from workflow.deadline_planner import replan_open
from workflow.deadline_queries import deadline_overview
from workflow.runtime import Runtime


def register(cli: typer.Typer) -> None:
    @cli.command()
    def deadlines(
        now: Annotated[
            str | None, typer.Option(help="As if it were this time (London time)")
        ] = None,
        upcoming: Annotated[int, typer.Option(help="How many upcoming deadlines to list")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
        replan: Annotated[
            bool, typer.Option(help="First plan every open challenge afresh (after an upgrade)")
        ] = False,
    ) -> None:
        """List stuck, overdue and upcoming deadlines with the reason each is where it is."""
        moment = _moment(now) if now else Runtime.now()
        with runtime() as rt:
            if replan:
                count = replan_open(rt.engine, moment)
                typer.echo(f"Replanned the deadlines of {count} open challenge(s).", err=as_json)
            views = deadline_overview(rt, moment, upcoming)
        if as_json:
            for view in views:
                typer.echo(json.dumps(view.as_json()))
            return
        for section in ("stuck", "overdue", "upcoming"):
            rows = [v for v in views if v.section == section]
            typer.echo(f"{section.capitalize()} ({len(rows)}):")
            for v in rows:
                typer.echo(f"  {v.reference}  {v.kind:<8} due {v.due_at.isoformat(timespec='minutes')}"
                           f"  {v.reason}")  # fmt: skip
            if not rows:
                typer.echo("  none")


def _moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--now") from error

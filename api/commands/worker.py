"""`iro-disputes worker`: the scheduler and the senders, in the foreground."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from api.commands._common import refuse_broken_start, runtime
from api.commands._signals import StopSignal
from api.logs import configure_from_settings
from api.worker import Worker, WorkerRefused, parse_moment


def register(cli: typer.Typer) -> None:
    @cli.command()
    def worker(
        now: Annotated[
            str | None,
            typer.Option(help="Drills and tests: every sweep runs as if it were this time"),
        ] = None,
        interval: Annotated[
            float | None, typer.Option(help="Seconds between sweeps (IRO_DISPUTES_SWEEP_SECONDS)")
        ] = None,
    ) -> None:
        """Run the deadline sweep and the other scheduled jobs until SIGTERM or Ctrl+C."""
        # Listen first: a SIGTERM while the worker is still starting stops it cleanly too.
        stop = StopSignal().install()
        configure_from_settings("worker")
        settings = refuse_broken_start().deadlines
        if interval is not None:
            settings = settings.model_copy(update={"sweep_seconds": interval})
        fixed = _moment(now) if now else None
        with runtime() as rt:
            process = Worker(rt, settings, clock=(lambda: fixed) if fixed else None)
            try:
                process.start()
            except WorkerRefused as refused:
                typer.echo(f"Error: {refused}", err=True)
                raise typer.Exit(code=2) from refused
            typer.echo(f"Worker {process.name} running; SIGTERM or Ctrl+C stops it.")
            stop.wait()
            process.stop()
        typer.echo("Worker stopped.")


def _moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--now") from error

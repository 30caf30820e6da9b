"""`iro-disputes health`: the /readyz checks from the command line, for container and
systemd health checks of processes that serve no HTTP (the worker, the mail receiver)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
import typer

from api.commands._common import runtime


def register(cli: typer.Typer) -> None:
    @cli.command()
    def health(
        worker: Annotated[
            bool, typer.Option("--worker", help="Also require a worker on this host to have swept")
        ] = False,
        within: Annotated[int, typer.Option(help="Seconds a sweep may be old")] = 300,
    ) -> None:
        """Exit 0 when the database answers (and, with --worker, this host's worker sweeps)."""
        try:
            with runtime() as rt, rt.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
                swept = _last_sweep(conn, socket.gethostname()) if worker else None
        except sa.exc.SQLAlchemyError as error:
            typer.echo(f"unhealthy: database unreachable ({str(error).splitlines()[0]})", err=True)
            raise typer.Exit(code=1) from None
        if worker and (swept is None or swept < datetime.now(UTC) - timedelta(seconds=within)):
            typer.echo(f"unhealthy: no sweep by a worker on this host within {within} s", err=True)
            raise typer.Exit(code=1)
        typer.echo("healthy")


def _last_sweep(conn: sa.Connection, host: str) -> datetime | None:
    value = conn.execute(
        sa.text(
            "SELECT MAX(last_swept_at) FROM worker_heartbeat "
            "WHERE stopped_at IS NULL AND name LIKE :host"
        ),
        {"host": f"{host}:%"},
    ).scalar()
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

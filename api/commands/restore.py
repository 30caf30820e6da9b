"""`iro-disputes restore`: put back a copy `iro-disputes backup` made (SQLite only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.commands.backup import BackupRefused, check_backup, copy_database, sqlite_file
from workflow.settings import get_settings


def register(cli: typer.Typer) -> None:
    @cli.command()
    def restore(
        source: Annotated[Path, typer.Argument(help="A file made by `iro-disputes backup`")],
        yes: Annotated[
            bool, typer.Option("--yes", help="Replace the current database without asking")
        ] = False,
    ) -> None:
        """Replace the SQLite database with a backup. Stop the service (web and worker) first."""
        settings = get_settings()
        try:
            target = sqlite_file(settings.resolved_database_url)
            version = check_backup(source)
            _refuse_while_a_worker_runs(target)
        except BackupRefused as refused:
            typer.echo(f"Error: {refused}", err=True)
            raise typer.Exit(code=1) from refused
        if not yes:
            typer.confirm(f"Replace {target} with {source} (schema {version})?", abort=True)
        copy_database(source, target)
        typer.echo(f"Restored {source} into {target}. Run `iro-disputes db upgrade` next.")


def _refuse_while_a_worker_runs(database: Path) -> None:
    from api.worker import SingleWorkerLock, WorkerRefused

    lock = SingleWorkerLock(database)
    try:
        lock.acquire()
    except WorkerRefused:
        raise BackupRefused(
            "a worker is running against this database: stop the service before restoring"
        ) from None
    lock.release()

"""`iro-disputes backup`: a consistent copy of a SQLite database (`restore` puts one back).

The copy is taken with SQLite's online backup API, so the service may keep running:
the copy is one consistent moment even while the worker writes. PostgreSQL has its
own tools (`pg_dump` / `pg_restore`, see docs/operations.md); these commands say so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from workflow.settings import get_settings

REQUIRED_TABLES = ("alembic_version", "challenge", "challenge_event")


class BackupRefused(RuntimeError):
    pass


def sqlite_file(url: str) -> Path:
    if not url.startswith("sqlite"):
        raise BackupRefused(
            "DATABASE_URL is PostgreSQL: use pg_dump --format=custom to back it up and "
            "pg_restore to put it back (docs/operations.md, 'Backups')"
        )
    path = url.split(":///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupRefused("an in-memory database cannot be backed up")
    return Path(path)


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup from `source` into `target` (replaced whole)."""
    with _open(source, "rw") as src, _open(target, "rwc") as dst:
        src.backup(dst)
        # Keep the copy a single self-contained file whatever mode the source runs in.
        dst.execute("PRAGMA journal_mode=DELETE")


def check_backup(path: Path) -> str:
    """Refuse a file that is not a sound iro-disputes database; return its schema version."""
    if not path.is_file():
        raise BackupRefused(f"{path} does not exist")
    try:
        with _open(path, "ro") as db:
            if db.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupRefused(f"{path} fails SQLite's integrity check")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise BackupRefused(f"{path} is not an iro-disputes database (no {missing[0]})")
            return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} is not a SQLite database ({error})") from None


@contextmanager
def _open(path: Path, mode: str) -> Iterator[sqlite3.Connection]:
    # Closed on leaving the block: sqlite3's own `with` only commits, and a connection
    # the garbage collector has not yet closed keeps the live database from leaving WAL
    # mode ("database is locked" on the next restore in the same process).
    connection = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=30)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def register(cli: typer.Typer) -> None:
    @cli.command()
    def backup(
        target: Annotated[
            Path | None, typer.Argument(help="File to write (default: backups/<time>.sqlite3)")
        ] = None,
    ) -> None:
        """Take a consistent copy of the SQLite database while the service runs."""
        settings = get_settings()
        try:
            source = sqlite_file(settings.resolved_database_url)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = target or settings.data_dir / "backups" / f"iro-disputes-{stamp}.sqlite3"
            if target.exists():
                raise BackupRefused(f"{target} already exists: choose a new file")
            target.parent.mkdir(parents=True, exist_ok=True)
            copy_database(source, target)
            version = check_backup(target)
        except BackupRefused as refused:
            typer.echo(f"Error: {refused}", err=True)
            raise typer.Exit(code=1) from refused
        typer.echo(f"Backed up {source} to {target} (schema {version})")

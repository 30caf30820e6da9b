"""What every command needs: the runtime from settings, and friendly failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from api.settings import Settings, SettingsRefused, checked_settings
from workflow.errors import DomainError

if TYPE_CHECKING:
    from workflow.runtime import Runtime


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The runtime for one command, its engine disposed when the command's work ends
    (however it ends): a command leaves no pooled connection, and on SQLite no open
    file, behind it."""
    # Imported here: `serve` checks its settings with this module before it starts the web
    # processes, and the runtime's modules (mail, the workflow) would only delay them.
    from api.wiring import build

    built = build()
    try:
        yield built
    finally:
        built.engine.dispose()


def refuse_broken_start() -> Settings:
    """Every setting, or exit 2 naming each one that would make this start broken."""
    try:
        return checked_settings()
    except SettingsRefused as refused:
        typer.echo("Error: refusing to start with these settings:", err=True)
        for problem in refused.problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(code=2) from refused


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a domain refusal into a one-line message and exit code 1, not a traceback."""
    try:
        yield
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=1) from error

"""What every command needs: the runtime from settings, and friendly failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from api.wiring import build
from workflow.errors import DomainError
from workflow.runtime import Runtime


def runtime() -> Runtime:
    return build()


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a domain refusal into a one-line message and exit code 1, not a traceback."""
    try:
        yield
    except DomainError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=1) from error

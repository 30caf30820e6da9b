"""`iro-disputes db`: the schema."""

from __future__ import annotations

import typer

from api.commands._common import runtime
from workflow.runtime import prepare_database

app = typer.Typer(help="Create or migrate the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Migrate the database to the latest schema (safe to run every start)."""
    rt = runtime()
    prepare_database(rt.engine)
    typer.echo(f"Database ready: {rt.engine.url.render_as_string(hide_password=True)}")

"""`iro-disputes db`: the schema."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from workflow.runtime import migrate_as_owner
from workflow.settings import get_settings

app = typer.Typer(help="Create or migrate the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Migrate the database to the latest schema (safe to run every start).

    Runs as IRO_DISPUTES_MIGRATION_DATABASE_URL (the owner) when it is set."""
    settings = get_settings()
    role = migrate_as_owner(settings)
    url = make_url(settings.resolved_migration_url).render_as_string(hide_password=True)
    typer.echo(f"Database ready: {url}")
    if role:
        typer.echo(f"Granted row rights (no schema changes) to the service role {role!r}")

"""Alembic environment: the URL comes from the caller's config or the settings."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from workflow.db import make_engine
from workflow.settings import get_settings

# Every module that defines tables, so autogenerate sees the whole schema.
# Parts still being built may not exist yet; their migrations arrive with them.
TABLE_MODULES = (
    "workflow.tables",
    "workflow.deadline_tables",
    "workflow.activity_tables",
    "notifications.tables",
    "workflow.access_tables",
    "workflow.change_history",
    "workflow.record_history",
    "workflow.rollup_tables",
    "api.tables",
    "api.account_tables",
    "api.ops_tables",
)
for _name in TABLE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _missing:
        if _missing.name != _name:
            raise

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=_url().startswith("sqlite"))  # fmt: skip
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

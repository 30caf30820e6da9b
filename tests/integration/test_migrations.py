"""The schema's history: one line of migrations, and the models match it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from workflow.migrate import alembic_config


def test_there_is_one_head_so_operators_can_upgrade_to_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migration branches to merge: {heads}"


def test_the_migrated_schema_matches_the_table_models(engine: Engine) -> None:
    import api.account_tables
    import api.ops_tables
    import api.tables  # noqa: F401  (every module with tables, as the migration env does)
    import notifications.tables  # noqa: F401
    import workflow.access_tables
    import workflow.activity_tables
    import workflow.change_history
    import workflow.deadline_tables  # noqa: F401

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert differences == []

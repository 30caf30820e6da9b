"""The schema's history: one line of migrations, and the models match it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from api.auth import record_access
from api.wiring import build
from escalation_rules.themes import default_themes
from tests.factories import build_council, new_challenge
from workflow.audit_chain import seal, verify
from workflow.db import make_engine
from workflow.migrate import alembic_config, upgrade
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings


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


def test_the_retention_upgrade_keeps_every_logged_row_and_the_chain(tmp_path: Path) -> None:
    """0014 rebuilds SQLite's two chained logs (AUTOINCREMENT, no foreign keys from the
    access log to children and challenges): every row, id and trigger survives and the
    chain sealed before the upgrade still verifies after it. (On PostgreSQL it only drops
    two constraints; every PostgreSQL test runs it.)"""
    engine = make_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013_outcome_kinds")
    with engine.begin() as conn:
        for position, theme in enumerate(default_themes()):
            conn.execute(sa.text("INSERT INTO theme (key, label, position, active) VALUES"
                                 " (:k, :l, :p, true)"), {"k": theme.key, "l": theme.label,
                                 "p": position})  # fmt: skip
    council = build_council(engine)
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
    now = datetime.now(UTC) - timedelta(hours=1)
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now), council.iro, now)
    record_access(engine, council.iro, "page", what="challenge")
    seal(engine, now)
    logged = (
        "SELECT * FROM challenge_event UNION ALL"
        " SELECT id, via, what, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM access_log"
    )
    with engine.connect() as conn:
        before = conn.execute(sa.text(logged)).all()
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text(logged)).all() == before
    assert verify(engine).ok
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE access_log SET what = 'x'"))
    engine.dispose()

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
from escalation_rules.loader import load_ladder_setting
from escalation_rules.themes import default_themes
from tests.factories import Council, build_council
from workflow.audit_chain import seal, verify
from workflow.db import make_engine
from workflow.migrate import alembic_config, upgrade


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
    now = datetime.now(UTC) - timedelta(hours=1)
    _challenge_as_revision_0013_wrote_it(engine, council, now)
    record_access(engine, council.iro, "page", what="challenge")
    seal(engine, now)
    # The log's columns at 0013 (0015 adds facts beside them, outside the chain's digest).
    logged = (
        "SELECT id, challenge_id, seq, kind, occurred_at, recorded_at, actor_id, from_state,"
        " to_state, stage_key, changes, details FROM challenge_event UNION ALL"
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


def _challenge_as_revision_0013_wrote_it(engine: Engine, council: Council, now: datetime) -> None:
    """A challenge raised informally, with its event, written into the tables as they stood
    at 0013: today's write path also writes the columns 0015 adds."""
    ladder = load_ladder_setting("handbook")
    at = now.astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        meta = sa.MetaData()
        challenge, event, version = (sa.Table(name, meta, autoload_with=conn)
                                     for name in ("challenge", "challenge_event", "ladder_version"))  # fmt: skip
        conn.execute(version.insert(), {"content_hash": ladder.content_hash, "ladder_id": ladder.id,
                                        "content": "ladder", "first_used_at": at})  # fmt: skip
        challenge_id = conn.execute(challenge.insert().returning(challenge.c.id), {
            "reference": "IRO-2026-0001", "child_id": council.children["LL1001"],
            "raised_by_id": council.iro, "theme_key": "health_assessments",
            "ladder_id": ladder.id, "ladder_hash": ladder.content_hash, "raised_at": at,
            "what_is_wrong": "x", "impact_on_child": "x", "outcome_wanted": "x",
            "state": "informal", "informal_recorded": True, "version": 1, "updated_at": at,
        }).scalar_one()  # fmt: skip
        conn.execute(event.insert(), {
            "challenge_id": challenge_id, "seq": 1, "kind": "raise_informal", "occurred_at": at,
            "recorded_at": at, "actor_id": council.iro, "from_state": "new",
            "to_state": "informal", "stage_key": None, "changes": {"state": "informal"},
            "details": {},
        })  # fmt: skip

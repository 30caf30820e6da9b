"""Tamper evidence and append-only logs, on both databases: the hash chains catch a row
changed or deleted behind the triggers' back; the access log refuses UPDATE and DELETE;
SQLite's INSERT OR REPLACE cannot rewrite an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.auth import record_access
from api.cli import cli
from tests.factories import new_challenge
from workflow.audit_chain import seal, verify
from workflow.services import raise_challenge, take_action
from workflow.settings import get_settings


def _history(runtime, council) -> str:
    now = datetime.now(UTC) - timedelta(hours=2)
    with runtime.uow() as uow:
        ref = raise_challenge(
            uow, new_challenge(now, stage="social_worker"), council.iro, now
        ).reference
    with runtime.uow() as uow:
        take_action(uow, ref, "pause", council.iro, {"reason": "waiting for the review"}, now)
    for _ in range(3):
        record_access(runtime.engine, council.iro, "page", what=f"challenge {ref}")
    return ref


def _tamper(engine, sql: str, table: str) -> None:
    """What someone with the database owner's rights could do: switch the triggers off."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            conn.execute(sa.text(sql))
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            triggers = conn.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name=:t"),
                {"t": table},
            ).all()
            for name, _ in triggers:
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
            conn.execute(sa.text(sql))
            for _, create in triggers:
                conn.execute(sa.text(create))


def test_an_intact_history_verifies(runtime, council):
    _history(runtime, council)
    added = seal(runtime.engine, datetime.now(UTC))
    assert added == {"challenge_event": 2, "access_log": 3}
    assert seal(runtime.engine, datetime.now(UTC)) == {"challenge_event": 0, "access_log": 0}
    verdict = verify(runtime.engine)
    assert verdict.ok and [v.linked for v in verdict.logs] == [2, 3]


def test_a_changed_event_is_caught_at_its_row(runtime, council):
    _history(runtime, council)
    seal(runtime.engine, datetime.now(UTC))
    with runtime.engine.connect() as conn:
        second = conn.execute(sa.text("SELECT max(id) FROM challenge_event")).scalar_one()
    _tamper(runtime.engine, f"UPDATE challenge_event SET actor_id = NULL WHERE id = {second}",
            "challenge_event")  # fmt: skip
    verdict = verify(runtime.engine)
    events = verdict.logs[0]
    assert not verdict.ok and events.broken_at == second
    assert events.why == "the row was changed after it was sealed"
    assert verdict.logs[1].ok, "the access log is untouched"


def test_a_deleted_access_log_line_is_caught(runtime, council):
    _history(runtime, council)
    seal(runtime.engine, datetime.now(UTC))
    with runtime.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT min(id) FROM access_log")).scalar_one()
    _tamper(runtime.engine, f"DELETE FROM access_log WHERE id = {first}", "access_log")
    log = verify(runtime.engine).logs[1]
    assert (log.broken_at, log.why) == (first, "the row was deleted")


@pytest.fixture
def cli_database(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_audit_verify_command_reports_the_first_broken_link(runtime, council, cli_database):
    _history(runtime, council)
    ok = CliRunner().invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "challenge_event: intact (2 rows linked, 0 not yet sealed)" in ok.output
    with runtime.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT min(id) FROM challenge_event")).scalar_one()
    _tamper(runtime.engine, f"UPDATE challenge_event SET occurred_at = occurred_at WHERE id = {first}",
            "challenge_event")  # fmt: skip
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0, "same values: intact"
    _tamper(runtime.engine, f"UPDATE challenge_event SET kind = 'resolve' WHERE id = {first}",
            "challenge_event")  # fmt: skip
    broken = CliRunner().invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"challenge_event: BROKEN at row {first}: the row was changed" in broken.output


@pytest.mark.parametrize("sql", ["UPDATE access_log SET via = 'x'", "DELETE FROM access_log"])
def test_the_access_log_is_append_only(runtime, council, sql):
    record_access(runtime.engine, council.iro, "page", what="challenge X")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_sqlite_insert_or_replace_cannot_rewrite_an_event(runtime, council):
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    _history(runtime, council)
    with runtime.engine.connect() as conn:
        row = (
            conn.execute(sa.text("SELECT * FROM challenge_event ORDER BY id LIMIT 1"))
            .mappings()
            .one()
        )
    columns = ", ".join(row.keys())
    values = ", ".join(f":{k}" for k in row)
    forged = {**row, "kind": "resolve"}
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(
            sa.text(f"INSERT OR REPLACE INTO challenge_event ({columns}) VALUES ({values})"), forged
        )
    with runtime.engine.connect() as conn:
        kind = conn.execute(
            sa.text(f"SELECT kind FROM challenge_event WHERE id = {row['id']}")
        ).scalar()
    assert kind == row["kind"]

"""`iro-disputes backup` and `restore` on SQLite: every challenge and event comes back."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import cli
from tests.factories import build_council, new_challenge
from workflow.db import make_engine
from workflow.runtime import build_runtime
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings, get_settings


def _rows(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        challenges = conn.execute(sa.text("SELECT * FROM challenge ORDER BY id")).all()
        events = conn.execute(sa.text("SELECT * FROM challenge_event ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in challenges], [tuple(r) for r in events]


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, monkeypatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IRO_DISPUTES_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runtime = build_runtime(
        WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=make_engine(url)
    )
    council = build_council(runtime.engine)
    yield url, runtime, council
    runtime.engine.dispose()
    get_settings.cache_clear()


def _raise(runtime, council, n: int) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC) - timedelta(days=1)
    for _ in range(n):
        with runtime.uow() as uow:
            raise_challenge(uow, new_challenge(now, formal=True,
                                               stage="social_worker"), council.iro, now)  # fmt: skip


def test_a_restored_backup_has_every_challenge_and_event(live, tmp_path):
    url, runtime, council = live
    _raise(runtime, council, 5)
    before = _rows(url)
    copy = tmp_path / "copy.sqlite3"
    made = CliRunner().invoke(cli, ["backup", str(copy)])
    assert made.exit_code == 0, made.output
    assert "schema 0" in made.output
    _raise(runtime, council, 2)  # work after the backup, which the restore takes away
    runtime.engine.dispose()
    restored = CliRunner().invoke(cli, ["restore", str(copy), "--yes"])
    assert restored.exit_code == 0, restored.output
    after = _rows(url)
    assert after == before
    assert len(after[0]) == 5 and len(after[1]) >= 5


def test_a_backup_taken_while_challenges_are_raised_is_consistent(live, tmp_path):
    _, runtime, council = live
    _raise(runtime, council, 3)
    writer = threading.Thread(target=_raise, args=(runtime, council, 15))
    writer.start()
    copy = tmp_path / "during.sqlite3"
    made = CliRunner().invoke(cli, ["backup", str(copy)])
    writer.join()
    assert made.exit_code == 0, made.output
    assert _rows(f"sqlite:///{copy}")[0]  # a real copy, not an empty file
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        orphans = conn.execute(sa.text(
            "SELECT COUNT(*) FROM challenge c WHERE NOT EXISTS "
            "(SELECT 1 FROM challenge_event e WHERE e.challenge_id = c.id)")).scalar()  # fmt: skip
    engine.dispose()
    assert orphans == 0  # never a challenge without the event that raised it


def test_restore_refuses_what_is_not_a_backup_and_postgresql(live, tmp_path, monkeypatch):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    refused = CliRunner().invoke(cli, ["restore", str(junk), "--yes"])
    assert refused.exit_code == 1 and "not a SQLite database" in refused.output
    assert CliRunner().invoke(cli, ["restore", str(tmp_path / "none"), "--yes"]).exit_code == 1
    monkeypatch.setenv("DATABASE_URL", "postgresql://iro@db.internal/iro")
    get_settings.cache_clear()
    pg = CliRunner().invoke(cli, ["backup"])
    assert pg.exit_code == 1 and "pg_dump" in pg.output

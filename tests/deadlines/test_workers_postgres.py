"""Real worker processes sharing one PostgreSQL database: every deadline fires exactly once."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.wiring import build
from tests.conftest import POSTGRES_ADMIN_URL, require
from tests.deadlines import processes
from tests.deadlines.conftest import WED, raise_formal
from tests.factories import build_council
from workflow.db import make_engine
from workflow.runtime import Runtime
from workflow.settings import WorkflowSettings

CHALLENGES = 200
NOW = "2026-12-10T12:00"  # every challenge: two reminders and a timeout past due
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg(postgres_url: str | None) -> Iterator[tuple[Runtime, str]]:
    require(postgres_url is not None, f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    assert postgres_url is not None
    engine = make_engine(postgres_url)
    _empty(engine)
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
    council = build_council(engine)
    for i in range(CHALLENGES):
        raise_formal(runtime, council, WED, child="LL1001" if i % 2 else "LL1002")
    # Hold the work back until every worker is up, so they really compete.
    _sql(engine, "UPDATE deadline SET status = 'held' WHERE status = 'pending'")
    yield runtime, postgres_url
    engine.dispose()


def test_two_workers_fire_every_deadline_exactly_once(
    pg: tuple[Runtime, str], tmp_path: Path
) -> None:
    runtime, url = pg
    env = processes.env(url, tmp_path, IRO_DISPUTES_SWEEP_BATCH="10")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [processes.start(["worker", "--now", NOW, "--interval", "0.5"], env, log)
               for log in logs]  # fmt: skip
    try:
        for log in logs:
            processes.wait_for(_started(log), 60, f"{log.name} to start")
        _sql(runtime.engine, "UPDATE deadline SET status = 'pending' WHERE status = 'held'")
        processes.wait_for(lambda: _due(runtime.engine) == 0, 180, "every deadline to fire")
    finally:
        codes = [processes.stop(w) for w in workers]
    assert codes == [0, 0]
    _assert_exactly_once(runtime.engine)
    fired_by = _scalars(
        runtime.engine, "SELECT DISTINCT fired_by FROM deadline WHERE status = 'done'"
    )
    assert len(fired_by) == 2, "both workers should have taken a share"


def test_a_worker_killed_mid_sweep_loses_nothing_and_doubles_nothing(
    pg: tuple[Runtime, str], tmp_path: Path
) -> None:
    runtime, url = pg
    env = processes.env(url, tmp_path, IRO_DISPUTES_SWEEP_BATCH="10",
                        IRO_DISPUTES_DEADLINE_LEASE_SECONDS="2")  # fmt: skip
    total = 3 * CHALLENGES
    victim = processes.start(["worker", "--now", NOW, "--interval", "60"], env, tmp_path / "v.log")
    try:
        processes.wait_for(lambda: "running" in (tmp_path / "v.log").read_text(), 60, "start")
        _sql(runtime.engine, "UPDATE deadline SET status = 'pending' WHERE status = 'held'")
        processes.wait_for(lambda: 30 <= _done(runtime.engine) < total - 30, 120, "mid-sweep")
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
    finally:
        processes.stop(victim)
    left = _done(runtime.engine)
    assert 0 < left < total
    successor = processes.start(["worker", "--now", NOW, "--interval", "0.5"], env,
                                tmp_path / "s.log")  # fmt: skip
    try:
        processes.wait_for(lambda: _due(runtime.engine) == 0, 180, "the rest to fire")
    finally:
        assert processes.stop(successor) == 0
    _assert_exactly_once(runtime.engine)
    assert len(_scalars(runtime.engine, "SELECT DISTINCT fired_by FROM deadline "
                                        "WHERE status = 'done'")) == 2  # fmt: skip


def _started(log: Path) -> Callable[[], bool]:
    return lambda: "running" in log.read_text()


def _assert_exactly_once(engine: Engine) -> None:
    per_challenge = _rows(
        engine,
        "SELECT c.reference, c.stage_key, "
        "SUM(CASE WHEN e.kind = 'time_out' THEN 1 ELSE 0 END) AS timeouts, "
        "SUM(CASE WHEN e.kind = 'remind' THEN 1 ELSE 0 END) AS reminders, "
        "COUNT(*) AS events, MAX(e.seq) AS last_seq, c.version "
        "FROM challenge c JOIN challenge_event e ON e.challenge_id = c.id "
        "GROUP BY c.id, c.reference, c.stage_key, c.version",
    )
    assert len(per_challenge) == CHALLENGES
    for ref, stage, timeouts, reminders, count, last_seq, version in per_challenge:
        assert (timeouts, reminders) == (1, 2), ref  # nothing lost, nothing doubled
        assert stage == "team_manager", ref
        assert count == last_seq == version == 4, ref
    statuses: dict[str, int] = dict(_rows(engine, "SELECT status, COUNT(*) FROM deadline "
                                  "WHERE due_at <= '2026-12-10 12:00+00' GROUP BY status"))  # fmt: skip
    assert statuses == {"done": 3 * CHALLENGES}


def _due(engine: Engine) -> int:
    return int(_scalars(engine, "SELECT COUNT(*) FROM deadline WHERE status IN ('pending', "
                                "'held') AND due_at <= '2026-12-10 12:00+00'")[0])  # fmt: skip


def _done(engine: Engine) -> int:
    return int(_scalars(engine, "SELECT COUNT(*) FROM deadline WHERE status = 'done'")[0])


def _sql(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(statement))


def _rows(engine: Engine, query: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


def _scalars(engine: Engine, query: str) -> list[Any]:
    return [r[0] for r in _rows(engine, query)]


def _empty(engine: Engine) -> None:
    keep = {"alembic_version", "theme"}
    tables = [t for t in sa.inspect(engine).get_table_names() if t not in keep]
    _sql(engine, f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

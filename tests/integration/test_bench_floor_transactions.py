"""The benchmarks' plain-SQL floors write in one transaction per unit of work, as the
project does. SQLite's driver runs here in autocommit mode (SQLAlchemy, not the driver,
begins transactions), so a floor that forgot its BEGIN committed every row on its own
and measured as slower than the project it is the floor of."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

import bench.actions
import bench.retention
import bench.sweep
from api.wiring import build
from workflow.runtime import build_runtime, prepare_database


class _Watched:
    """A pooled DB-API connection that notes, at each commit, whether a transaction was open."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.commits: list[bool] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def commit(self) -> None:
        self.commits.append(self._raw.dbapi_connection.in_transaction)
        self._raw.commit()


@pytest.fixture
def sqlite_engine() -> Iterator[Engine]:
    with bench.sweep.scratch("sqlite") as engine:
        prepare_database(engine)
        yield engine


def test_the_sweep_floor_claims_and_escalates_a_batch_in_one_transaction_each(
    sqlite_engine: Engine,
) -> None:
    due = bench.sweep.seed(build_runtime(bench.sweep.SETTINGS, sqlite_engine), 40, 0.5)
    floor = bench.sweep.PlainSqlRunner(build(bench.sweep.SETTINGS, sqlite_engine), batch=15)
    floor.raw = watched = _Watched(floor.raw)
    escalated = 0
    while (done := floor.step()) is not None:
        escalated += done
    floor.close()

    assert escalated == due == 20
    assert len(watched.commits) >= 4 and all(watched.commits), watched.commits


def test_the_actions_floor_commits_each_action_as_one_transaction(sqlite_engine: Engine) -> None:
    runtime = build(bench.sweep.SETTINGS, sqlite_engine)
    floor = bench.actions.PlainSql(runtime, bench.actions.seed_council(runtime))
    floor.raw = watched = _Watched(floor.raw)
    floor.round()
    floor.close()

    assert len(watched.commits) == 8 and all(watched.commits), watched.commits


def test_the_retention_floor_removes_a_child_in_one_transaction(sqlite_engine: Engine) -> None:
    bench.retention.seed(sqlite_engine, 1, 1, 2)
    floor = bench.retention.PlainSql(sqlite_engine)
    floor.raw = watched = _Watched(floor.raw)
    with sqlite_engine.connect() as connection:
        child_id, reference = connection.exec_driver_sql(
            "SELECT id, case_reference FROM child ORDER BY id LIMIT 1"
        ).one()
    removed = floor.remove(child_id, reference, "run")
    floor.close()

    assert removed > 0
    assert watched.commits == [True]

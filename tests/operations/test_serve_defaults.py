"""`serve` without `--workers`: one web process per CPU (up to 4) on PostgreSQL, one on SQLite."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.commands import serve

APP = SimpleNamespace(state=SimpleNamespace())


def _app(**_: Any) -> Any:
    return APP


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What serve would have started: ("processes", N) or ("one", app)."""
    calls: list[Any] = []
    monkeypatch.setattr(
        serve, "_serve_processes", lambda h, p, n, s: calls.append(("processes", n))
    )
    monkeypatch.setattr(serve, "_serve", lambda app, h, p, s: calls.append(("one", app)))
    monkeypatch.setattr(serve, "_prepare_metrics_folder", lambda: None)
    return calls


@pytest.mark.parametrize("cpus", [1, 2, 16])
def test_postgresql_serves_from_one_process_per_cpu_up_to_four(
    served: list[Any], monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/unused")
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    if cpus == 1:
        monkeypatch.setattr("api.app.create_app", _app)
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    expected = min(cpus, 4)
    assert served == ([("processes", expected)] if expected > 1 else [("one", APP)])


def test_sqlite_serves_from_one_process_by_default(
    served: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/iro.sqlite3")
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda _pid: set(range(8)))
    monkeypatch.setattr("api.app.create_app", _app)
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert served == [("one", APP)]

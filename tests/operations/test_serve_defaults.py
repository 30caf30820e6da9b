"""`serve` without `--workers`: one web process per CPU (up to 4) on PostgreSQL and on an SQLite
file; one for an in-memory SQLite database, which lives inside one process."""

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
@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_serves_from_one_process_per_cpu_up_to_four(
    served: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any, cpus: int, database: str
) -> None:
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:5432/unused"
        if database == "postgresql"
        else f"sqlite:///{tmp_path}/iro.sqlite3"
    )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IRO_DISPUTES_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    if cpus == 1:
        monkeypatch.setattr("api.app.create_app", _app)
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    expected = min(cpus, 4)
    assert served == ([("processes", expected)] if expected > 1 else [("one", APP)])


def test_several_processes_share_one_development_secret(
    served: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Made before the web processes start, so they all sign and check cookies alike."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/iro.sqlite3")
    monkeypatch.setenv("IRO_DISPUTES_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--no-worker", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert served == [("processes", 2)]
    assert len((tmp_path / "web-secret.txt").read_text()) >= 48


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_serves_from_one_process(
    served: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IRO_DISPUTES_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda _pid: set(range(8)))
    monkeypatch.setattr("api.app.create_app", _app)
    result = CliRunner().invoke(cli, ["serve", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert served == [("one", APP)]
    refused = CliRunner().invoke(cli, ["serve", "--no-worker", "--workers", "2"])
    assert refused.exit_code == 2
    assert "in-memory SQLite database lives inside one process" in refused.output

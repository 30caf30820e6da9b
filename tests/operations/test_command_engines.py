"""Every command disposes the engine it built, however it ends: no pooled connection (on
SQLite, no open file) outlives the command's work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import api.commands._common as common
from api.cli import cli
from api.wiring import build
from workflow.runtime import Runtime
from workflow.settings import get_settings


@pytest.fixture
def built(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[Engine, list[bool]]]]:
    """The engines the commands build, each with a record of whether it was disposed."""
    path = tmp_path / "commands.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    engines: list[tuple[Engine, list[bool]]] = []

    def tracked() -> Runtime:
        runtime = build()
        disposed: list[bool] = []
        real = runtime.engine.dispose

        def dispose(close: bool = True) -> None:
            disposed.append(True)
            real(close)

        monkeypatch.setattr(runtime.engine, "dispose", dispose)
        engines.append((runtime.engine, disposed))
        return runtime

    monkeypatch.setattr("api.wiring.build", tracked)
    yield engines
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["themes", "list"], 0),
        (["themes", "retire", "no_such_theme"], 1),  # ends in an error: disposed all the same
        (["deadlines"], 0),
        (["sweep"], 0),
        (["health"], 0),
        (["mail", "send-pending"], 0),
        (["outcome-kinds", "list"], 0),
        (["token", "list", "nobody@example.test"], 1),
        (["people", "list"], 0),
        (["audit", "seal"], 0),
    ],
)
def test_each_command_disposes_its_engine(built, args: list[str], code: int) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code, result.output
    assert built, "the command built no runtime"
    for engine, disposed in built:
        assert disposed, f"{' '.join(args)} left {engine.url} undisposed"
        assert engine.pool.checkedout() == 0


def test_the_command_runtime_disposes_even_when_the_work_fails(built) -> None:
    with pytest.raises(RuntimeError), common.runtime() as rt, rt.engine.connect():
        raise RuntimeError("the command's work failed")
    [(engine, disposed)] = built
    assert disposed and engine.pool.checkedout() == 0

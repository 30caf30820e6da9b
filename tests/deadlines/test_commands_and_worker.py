"""The `sweep`, `deadlines` and `worker` commands as real processes, on SQLite."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest

from api.wiring import build
from tests.deadlines import processes
from tests.deadlines.conftest import WED, events, raise_formal
from tests.factories import build_council
from workflow.db import make_engine
from workflow.domain import Challenge
from workflow.runtime import Runtime, prepare_database
from workflow.settings import WorkflowSettings


@pytest.fixture
def sqlite_site(tmp_path: Path) -> tuple[Runtime, str]:
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    engine = make_engine(url)
    prepare_database(engine)
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
    raise_formal(runtime, build_council(engine), WED)
    return runtime, url


def test_sweep_command_fires_due_deadlines_and_prints_json(
    sqlite_site: tuple[Runtime, str], tmp_path: Path
) -> None:
    _, url = sqlite_site
    env = processes.env(url, tmp_path)
    # 17:05 London on Wed 9 Dec: both reminders and the 17:00 timeout are due.
    done = processes.run(["sweep", "--now", "2026-12-09T17:05", "--json"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["kind"], x["status"]) for x in lines] == [
        ("reminder", "done"), ("reminder", "done"), ("timeout", "done"),
    ]  # fmt: skip
    assert lines[-1]["reference"] == "IRO-2026-0001"
    assert lines[-1]["outcome"] == "escalated from social_worker to team_manager"
    assert lines[-1]["late_seconds"] == 300
    assert lines[0]["late_seconds"] == 2 * 86400 + 8 * 3600 + 300  # Mon 09:00 to Wed 17:05
    again = processes.run(["sweep", "--now", "2026-12-09T17:05"], env, tmp_path)
    assert again.returncode == 0
    assert "0 deadline(s)" in again.stdout

    listing = processes.run(["deadlines", "--now", "2026-12-09T17:05"], env, tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "Stuck (0)" in listing.stdout
    assert "Overdue (0)" in listing.stdout
    assert "stage team_manager due" in listing.stdout

    bad = processes.run(["sweep", "--now", "next tuesday"], env, tmp_path)
    assert bad.returncode != 0
    assert "not an ISO 8601 date and time" in bad.stderr


def test_a_second_worker_on_sqlite_is_refused_and_the_first_stops_cleanly(
    sqlite_site: tuple[Runtime, str], tmp_path: Path
) -> None:
    runtime, url = sqlite_site
    env = processes.env(url, tmp_path)
    first = processes.start(["worker", "--now", "2026-12-09T17:05"], env, tmp_path / "one.log")
    try:
        processes.wait_for(lambda: "running" in (tmp_path / "one.log").read_text(), 60,
                           "the first worker to start")  # fmt: skip
        second = processes.run(["worker", "--now", "2026-12-09T17:05"], env, tmp_path)
        assert second.returncode == 2
        assert "SQLite supports one worker" in second.stderr
        # The first worker swept at once on start: the overdue timeout fired.
        processes.wait_for(
            lambda: "time_out" in [e.kind for e in events(runtime, _first(runtime))],
            30,
            "the start-up sweep",
        )
    finally:
        first.send_signal(signal.SIGTERM)
        code = processes.stop(first)
    assert code == 0
    assert "Worker stopped." in (tmp_path / "one.log").read_text()
    # With the first one gone, a worker may start again.
    third = processes.start(["worker"], env, tmp_path / "three.log")
    try:
        processes.wait_for(lambda: "running" in (tmp_path / "three.log").read_text(), 60,
                           "a new worker to start")  # fmt: skip
    finally:
        assert processes.stop(third) == 0


def test_serve_beside_a_running_worker_on_sqlite_stops_and_says_why(
    sqlite_site: tuple[Runtime, str], tmp_path: Path
) -> None:
    """`serve` starts its worker once the web answers; refused then (SQLite has one worker),
    it stops serving and exits 2 with the reason, as it did when it refused before serving."""
    _, url = sqlite_site
    env = processes.env(url, tmp_path)
    first = processes.start(["worker"], env, tmp_path / "worker.log")
    try:
        processes.wait_for(lambda: "running" in (tmp_path / "worker.log").read_text(), 60,
                           "the worker to start")  # fmt: skip
        for workers in ("1", "2"):
            refused = processes.run(["serve", "--port", str(_free_port()), "--workers", workers],
                                    env, tmp_path)  # fmt: skip
            assert refused.returncode == 2, refused.stderr
            assert "SQLite supports one worker" in refused.stderr
    finally:
        assert processes.stop(first) == 0


def _first(runtime: Runtime) -> Challenge:
    with runtime.uow() as uow:
        return uow.challenges.get("IRO-2026-0001")


def test_serve_runs_the_worker_in_process_unless_told_not_to(
    sqlite_site: tuple[Runtime, str], tmp_path: Path
) -> None:
    _, url = sqlite_site
    env = processes.env(url, tmp_path)
    web_only = processes.start(["serve", "--no-worker", "--port", str(_free_port())], env,
                               tmp_path / "web.log")  # fmt: skip
    try:
        processes.wait_for(lambda: "Uvicorn running" in (tmp_path / "web.log").read_text(), 60,
                           "the web-only server")  # fmt: skip
        beside = processes.start(["worker"], env, tmp_path / "beside.log")
        processes.wait_for(lambda: "running" in (tmp_path / "beside.log").read_text(), 60,
                           "a worker beside `serve --no-worker`")  # fmt: skip
        assert processes.stop(beside) == 0
    finally:
        assert processes.stop(web_only) == 0
    both = processes.start(["serve", "--port", str(_free_port())], env, tmp_path / "both.log")
    try:
        # The worker starts once the web answers (it would otherwise slow the web's start).
        processes.wait_for(lambda: "deadline-sweep" in (tmp_path / "both.log").read_text(), 60,
                           "the server with its worker")  # fmt: skip
        refused = processes.run(["worker"], env, tmp_path)
        assert refused.returncode == 2
        assert f"(pid {both.pid})" in refused.stderr
    finally:
        assert processes.stop(both) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

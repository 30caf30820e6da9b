"""`iro-disputes serve --workers N` as real processes (PostgreSQL): several web processes share the
port, /metrics adds up all their requests, the deadline worker runs once."""

from __future__ import annotations

import re
import signal
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.deadlines.processes import env, free_port, run, start, stop, wait_for


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return str(r.read().decode())


def _answers(port: int) -> bool:
    try:
        _get(port, "/healthz")
        return True
    except OSError:
        return False


def _web_processes(pid: int) -> set[int]:
    """The supervisor's children that serve (uvicorn's spawned processes)."""
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {
        int(k)
        for k in kids
        if "multiprocessing" in Path(f"/proc/{k}/cmdline").read_bytes().decode(errors="replace")
        and "resource_tracker" not in Path(f"/proc/{k}/cmdline").read_bytes().decode()
    }


def _healthz_count(metrics: str) -> float:
    found = re.findall(r'iro_http_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)', metrics)
    return sum(float(n) for n in found)


@pytest.mark.slow
def test_several_web_processes_one_worker_and_metrics_from_all(postgres_engine, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    url = postgres_engine.url.render_as_string(hide_password=False)
    environment = env(url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    process = start(["serve", "--port", str(port), "--workers", "2"], environment, log)
    try:
        # Generous: on a busy test machine two spawned processes take a while to import.
        wait_for(lambda: _answers(port), 240, "the server to answer")
        wait_for(lambda: len(_web_processes(process.pid)) == 2, 120, "two web processes")
        served = 0

        def both_answered() -> bool:
            nonlocal served
            _get(port, "/healthz")
            served += 1
            return len(list((tmp_path / "metrics").glob("counter_*.db"))) == 2

        # Each web process keeps its own counts in the folder; /metrics adds them up.
        wait_for(both_answered, 120, "both web processes to have answered")
        assert _healthz_count(_get(port, "/metrics")) >= served
        wait_for(lambda: "deadline-sweep" in log.read_text(), 60, "the worker to start")
        with postgres_engine.connect() as conn:
            running = conn.execute(
                sa.text("SELECT count(*) FROM worker_heartbeat WHERE stopped_at IS NULL")
            ).scalar_one()
        assert running == 1, log.read_text()  # the worker runs once, not in each web process
        web = _web_processes(process.pid)
    except AssertionError:
        raise AssertionError(log.read_text()[-3000:]) from None
    finally:
        process.send_signal(signal.SIGTERM)
        code = stop(process)
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert not _answers(port)
    assert all(not Path(f"/proc/{pid}").exists() for pid in web)


def test_sqlite_serves_from_one_process_and_says_so(tmp_path, sqlite_template):
    url = f"sqlite:///{sqlite_template}"
    done = run(["serve", "--workers", "2", "--no-worker"], env(url, tmp_path), tmp_path)
    assert done.returncode == 2
    assert "--workers needs PostgreSQL" in done.stderr and "SQLite serves from one" in done.stderr

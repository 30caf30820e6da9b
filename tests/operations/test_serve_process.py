"""`iro-disputes serve` as a real process: SIGTERM at any moment, the worker's lines in its log."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.deadlines.processes import env, start, stop, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture
def sqlite_copy(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "iro.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.0, 0.4, 1.2])
def test_sigterm_while_starting_stops_it_cleanly(tmp_path, sqlite_copy, after):
    port = _free_port()
    log = tmp_path / "serve.log"
    process = start(["serve", "--port", str(port)], env(sqlite_copy, tmp_path), log)
    time.sleep(after)
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=40)
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert not _answers(port)
    if "worker" in log.read_text() and "started" in log.read_text():
        assert "stopped" in log.read_text()  # a started worker is stopped too


@pytest.mark.slow
def test_serving_logs_json_with_request_ids_and_the_worker_lines(tmp_path, sqlite_copy):
    port = _free_port()
    log = tmp_path / "serve.log"
    environment = env(sqlite_copy, tmp_path, IRO_DISPUTES_LOG_FORMAT="json")
    process = start(["serve", "--port", str(port)], environment, log)
    try:
        wait_for(lambda: _answers(port), 60, "the server to answer")
        wait_for(lambda: "deadline-sweep" in log.read_text(), 30, "the worker to start")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/sign-in", headers={"X-Request-ID": "drill-request-0001"}
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.headers["X-Request-ID"] == "drill-request-0001"
        time.sleep(0.3)
    finally:
        assert stop(process) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines, log.read_text()
    assert all({"event", "level", "timestamp", "logger"} <= line.keys() for line in lines)
    served = [x for x in lines if x.get("request_id") == "drill-request-0001"]
    assert served and served[0]["event"] == "request" and served[0]["route"] == "/sign-in"
    worker = [x for x in lines if x["logger"] == "iro_disputes.worker"]
    assert any("started" in x["event"] for x in worker)
    assert any("stopped" in x["event"] for x in worker)
    assert not [line for line in log.read_text().splitlines() if not line.startswith("{")]


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.3, 1.5, 2.5, "running"])
def test_sigterm_while_the_worker_starts_stops_it_cleanly(tmp_path, sqlite_copy, after):
    log = tmp_path / "worker.log"
    process = start(["worker"], env(sqlite_copy, tmp_path), log)
    if after == "running":
        wait_for(lambda: "running" in log.read_text(), 60, "the worker to run")
    else:
        time.sleep(float(after))
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=40)
    # Killed by the signal only while Python is still importing, before anything started.
    assert code in (0, -signal.SIGTERM), log.read_text()
    if "started" in log.read_text():
        assert code == 0 and "Worker stopped." in log.read_text()

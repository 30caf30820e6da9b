"""`iro-disputes serve --workers N` as real processes: several web processes share the port,
/metrics adds up all their requests, the deadline worker runs once (PostgreSQL); on one SQLite
file they write at once and lose nothing."""

from __future__ import annotations

import json
import re
import shutil
import signal
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from api.auth import create_api_token
from tests.deadlines.processes import env, free_port, start, stop, wait_for
from tests.factories import build_council, new_challenge
from workflow.db import make_engine


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


RAISERS, VIEWERS, EACH = 4, 4, 10


def _call(port: int, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return int(r.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def _raise_body() -> dict[str, Any]:
    new = new_challenge(datetime.now(UTC))
    assert new.informal is not None
    return {
        "child_reference": new.child_reference, "theme_key": new.theme_key,
        "what_is_wrong": new.what_is_wrong, "impact_on_child": new.impact_on_child,
        "outcome_wanted": new.outcome_wanted, "review_date": str(new.review_date),
        "formal": True, "informal": {
            "discussed_with": new.informal.discussed_with,
            "discussed_on": str(new.informal.discussed_on),
            "agreed_actions": new.informal.agreed_actions,
            "agreed_by": str(new.informal.agreed_by),
        },
    }  # fmt: skip


@pytest.mark.slow
def test_sqlite_two_web_processes_writing_at_once_lose_nothing(tmp_path, sqlite_template):
    """On one SQLite file, two web processes take raises (each a challenge, its events,
    deadlines and mail) and views (each an access-log line) from eight clients at once:
    every request succeeds (no "database is locked" reaches anyone) and every write is kept."""
    path = tmp_path / "iro.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    council = build_council(engine)
    with Session(engine) as session:
        token = create_api_token(session, council.iro, "test")
        session.commit()
    port, log = free_port(), tmp_path / "serve.log"
    environment = env(f"sqlite:///{path}", tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "m"))
    process = start(
        ["serve", "--port", str(port), "--workers", "2", "--no-worker"], environment, log
    )
    try:
        wait_for(lambda: _answers(port), 240, "the server to answer")
        wait_for(lambda: len(_web_processes(process.pid)) == 2, 120, "two web processes")
        assert _call(port, token, "POST", "/api/v1/challenges", _raise_body()) == 201
        with engine.connect() as conn:
            first = conn.execute(sa.text("SELECT reference FROM challenge")).scalar_one()
            logged = conn.execute(sa.text("SELECT count(*) FROM access_log")).scalar_one()

        def raises(_: int) -> list[int]:
            return [_call(port, token, "POST", "/api/v1/challenges", _raise_body())
                    for _ in range(EACH)]  # fmt: skip

        def views(_: int) -> list[int]:
            return [_call(port, token, "GET", f"/api/v1/challenges/{first}") for _ in range(EACH)]

        with ThreadPoolExecutor(RAISERS + VIEWERS) as pool:
            raised = pool.map(raises, range(RAISERS))
            viewed = pool.map(views, range(VIEWERS))
            statuses = [*(s for r in raised for s in r), *(s for v in viewed for s in v)]
        assert statuses.count(201) == RAISERS * EACH and statuses.count(200) == VIEWERS * EACH
        # Both processes answered (each keeps its own counts in the folder).
        assert len(list((tmp_path / "m").glob("counter_*.db"))) == 2
        with engine.connect() as conn:
            challenges = conn.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one()
            references = conn.execute(
                sa.text("SELECT count(DISTINCT reference) FROM challenge")
            ).scalar_one()
            lines = conn.execute(sa.text("SELECT count(*) FROM access_log")).scalar_one()
        assert challenges == references == 1 + RAISERS * EACH
        # Every view of the challenge is written (raising writes its own lines too).
        assert lines - logged >= VIEWERS * EACH
        assert "database is locked" not in log.read_text()
    except AssertionError:
        raise AssertionError(log.read_text()[-3000:]) from None
    finally:
        process.send_signal(signal.SIGTERM)
        stop(process)
        engine.dispose()

"""/healthz, /readyz (the database only) and the Prometheus metrics (the worker's sweeps)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from api.app import create_app
from api.heartbeat import Heartbeat
from api.ops_tables import WorkerHeartbeat
from api.settings import OperationsSettings
from api.wiring import build
from tests.factories import STRONG_SECRET_KEY, new_challenge
from tests.web.conftest import web_settings
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_the_web_is_ready_when_its_database_answers_whatever_the_worker_does(anonymous, runtime):
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    never = anonymous.get("/readyz")  # no worker has ever swept: the web still serves
    assert never.status_code == 200
    assert never.json() == {"status": "ready", "checks": {"database": "ok"}}
    beat = Heartbeat(runtime.engine, "host-a:1234")
    beat.started()
    beat.swept()
    with Session(runtime.engine) as s:
        row = s.get(WorkerHeartbeat, "host-a:1234")
        assert row is not None
        row.last_swept_at = datetime.now(UTC) - timedelta(minutes=10)
        s.add(row)
        s.commit()
    assert anonymous.get("/readyz").status_code == 200  # a stale worker: still ready
    # ... and the metrics are where a stale worker shows.
    metrics = anonymous.get("/metrics").text
    line = next(x for x in metrics.splitlines() if x.startswith("iro_worker_last_sweep_seconds{"))
    assert 'worker="host-a:1234"' in line and float(line.rsplit(" ", 1)[1]) >= 600
    beat.stopped()  # a worker that stopped cleanly is no longer reported
    assert 'worker="host-a:1234"' not in anonymous.get("/metrics").text
    assert anonymous.get("/readyz").status_code == 200


def test_metrics_count_requests_by_route_and_read_the_work_waiting(anonymous, council, runtime):
    now = datetime.now(UTC) - timedelta(days=1)
    wired = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=runtime.engine)
    with wired.uow() as uow:  # with deadlines and mail, as in the service
        new = new_challenge(now, formal=True, stage="social_worker")
        raised = raise_challenge(uow, new, council.iro, now).reference
    Heartbeat(runtime.engine, "host-b:1").swept()
    anonymous.get(f"/challenges/{raised}")  # redirected to sign in: still counted
    text = anonymous.get("/metrics").text
    assert (
        'iro_http_requests_total{method="GET",route="/challenges/{reference}",status="303"}' in text
    )
    assert "iro_http_request_duration_seconds_bucket" in text
    assert 'iro_deadlines{status="pending"}' in text  # the raised challenge's deadlines
    assert 'iro_outbox{status="pending"}' in text  # its email to the responder
    assert "iro_outbox_oldest_unsent_seconds" in text
    assert 'iro_worker_last_sweep_seconds{worker="host-b:1"}' in text
    assert "iro_quarantine_size 0.0" in text
    assert "iro_database_up 1.0" in text


def test_metrics_need_the_token_when_set_and_outside_development(runtime, tmp_path):
    ops = OperationsSettings(IRO_DISPUTES_METRICS_TOKEN="s3cret-token-for-prometheus")  # type: ignore[call-arg]
    client = TestClient(create_app(runtime, web_settings(tmp_path), ops))
    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer s3cret-token-for-prometheus"}
    assert client.get("/metrics", headers=right).status_code == 200
    closed = OperationsSettings(IRO_DISPUTES_ENV="production")  # type: ignore[call-arg]
    secret = STRONG_SECRET_KEY
    client = TestClient(create_app(runtime, web_settings(
        tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY=secret), closed))  # fmt: skip
    assert client.get("/metrics").status_code == 403


def test_the_health_command_checks_the_database_and_this_hosts_worker(
    tmp_path, sqlite_template, monkeypatch
):
    import shutil
    import socket

    from typer.testing import CliRunner

    from api.cli import cli
    from workflow.db import make_engine
    from workflow.settings import get_settings

    path = tmp_path / "h.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli, ["health"]).exit_code == 0
        assert CliRunner().invoke(cli, ["health", "--worker"]).exit_code == 1
        engine = make_engine(f"sqlite:///{path}")
        Heartbeat(engine, f"{socket.gethostname()}:42:abcdef").swept()
        engine.dispose()
        assert CliRunner().invoke(cli, ["health", "--worker"]).exit_code == 0
        monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        get_settings.cache_clear()
        down = CliRunner().invoke(cli, ["health"])
        assert down.exit_code == 1 and "database unreachable" in down.output
    finally:
        get_settings.cache_clear()

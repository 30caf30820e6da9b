"""Unexpected errors and an unreachable database: GOV.UK pages, problem+json, 503 + Retry-After."""

from __future__ import annotations

import warnings
from pathlib import Path

import sqlalchemy as sa

from api.app import create_app
from api.settings import OperationsSettings
from tests.web.conftest import web_settings
from workflow.db import make_engine
from workflow.runtime import Runtime, build_runtime
from workflow.settings import WorkflowSettings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _with_failing_routes(app, runtime: Runtime):  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise RuntimeError("a bug nobody expected")

    def uses_database() -> dict[str, int]:
        with runtime.engine.connect() as conn:
            return {"one": conn.execute(sa.text("SELECT 1")).scalar_one()}

    for path, endpoint in (("/boom", boom), ("/api/v1/boom", boom),
                           ("/uses-db", uses_database), ("/api/v1/uses-db", uses_database)):  # fmt: skip
        app.add_api_route(path, endpoint)
    return TestClient(app, raise_server_exceptions=False)


def test_an_unexpected_error_is_a_gov_uk_page_and_problem_json(runtime, tmp_path, caplog):
    client = _with_failing_routes(create_app(runtime, web_settings(tmp_path)), runtime)
    page = client.get("/boom")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in page.text
    assert "govuk-header" in page.text or "govuk-template" in page.text
    assert "a bug nobody expected" not in page.text  # no internals shown
    assert page.headers["x-request-id"] in page.text  # the reference to quote
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 500
    logged = [r for r in caplog.records if r.name == "iro_disputes.web"]
    assert logged and logged[0].exc_info is not None  # the traceback is logged


def test_an_unreachable_database_is_503_with_retry_after(tmp_path: Path):
    # Nothing listens on port 1: every connection attempt is refused at once.
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_size=2,
                         pool_timeout=1, connect_args={"connect_timeout": 2})  # fmt: skip
    runtime = build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
    ops = OperationsSettings(IRO_DISPUTES_RETRY_AFTER_SECONDS=45)  # type: ignore[call-arg]
    client = _with_failing_routes(create_app(runtime, web_settings(tmp_path), ops), runtime)
    page = client.get("/uses-db")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "45"
    assert "Sorry, the service is unavailable" in page.text
    api = client.get("/api/v1/me", headers={"Authorization": "Bearer iro_whatever"})
    assert api.status_code == 503
    assert api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] == "45"
    assert client.get("/healthz").status_code == 200  # alive, though not ready
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "unreachable"


def test_a_request_id_from_the_proxy_is_kept_and_one_is_made_otherwise(anonymous):
    given = anonymous.get("/healthz", headers={"X-Request-ID": "proxy-abc-12345"})
    assert given.headers["x-request-id"] == "proxy-abc-12345"
    made = anonymous.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(made.headers["x-request-id"]) == 32

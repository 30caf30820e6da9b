"""For the people who run the service: liveness, readiness and Prometheus metrics.

`/healthz` says the process answers (a load balancer restarts it otherwise);
`/readyz` says it can do its job: the database answers and a worker has swept
deadlines recently. `/metrics` needs `Authorization: Bearer <IRO_DISPUTES_METRICS_TOKEN>`
when that is set, and is closed outside development until it is.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.metrics import exposition
from api.settings import OperationsSettings
from workflow.runtime import Runtime

router = APIRouter(include_in_schema=False)


def _ops(request: Request) -> OperationsSettings:
    settings = getattr(request.app.state, "operations", None)
    return settings if isinstance(settings, OperationsSettings) else OperationsSettings()


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    ops = _ops(request)
    checks = {"database": "ok", "worker": "ok"}
    try:
        with _runtime(request).engine.connect() as conn:
            swept = conn.execute(
                sa.text("SELECT MAX(last_swept_at) FROM worker_heartbeat WHERE stopped_at IS NULL")
            ).scalar()
    except sa.exc.SQLAlchemyError:
        checks = {"database": "unreachable", "worker": "unknown"}
    else:
        checks["worker"] = _worker_check(swept, ops.ready_worker_seconds)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


def _worker_check(swept: datetime | str | None, within: int) -> str:
    if swept is None:
        return "no worker has swept deadlines"
    moment = datetime.fromisoformat(swept) if isinstance(swept, str) else swept
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    age = datetime.now(UTC) - moment
    if age > timedelta(seconds=within):
        return f"no worker has swept deadlines for {int(age.total_seconds())} seconds"
    return "ok"


@router.get("/metrics")
def metrics(request: Request) -> Response:
    ops = _ops(request)
    if ops.metrics_token:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), ops.metrics_token.encode()):
            return Response("Send Authorization: Bearer <IRO_DISPUTES_METRICS_TOKEN>\n", 401,
                            headers={"WWW-Authenticate": "Bearer"}, media_type="text/plain")  # fmt: skip
    elif not ops.is_development:
        return Response("Set IRO_DISPUTES_METRICS_TOKEN to open /metrics\n", 403,
                        media_type="text/plain")  # fmt: skip
    late = (
        2 * request.app.state.sweep_seconds if hasattr(request.app.state, "sweep_seconds") else 60
    )
    body = exposition(_runtime(request).engine, late)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

"""For the people who run the service: liveness, readiness and Prometheus metrics.

`/healthz` says the process answers (a load balancer restarts it otherwise);
`/readyz` says this web process can serve: its database answers. Whether a worker is
sweeping deadlines is not the web process's readiness (a web replica taken out of the
load balancer would not start a worker; it would only stop people working): the
worker's health is in the metrics (`iro_worker_last_sweep_seconds`, `iro_deadlines_late`)
and in `iro-disputes health --worker` for the worker's own container. `/metrics` needs `Authorization: Bearer <IRO_DISPUTES_METRICS_TOKEN>`
when that is set, and is closed outside development until it is.
"""

from __future__ import annotations

import hmac

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
    checks = {"database": "ok"}
    try:
        with _runtime(request).engine.connect() as conn:
            conn.execute(_PING)
    except sa.exc.SQLAlchemyError:
        checks["database"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


_PING = sa.text("SELECT 1")


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

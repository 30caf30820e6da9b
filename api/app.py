"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.wiring import build
from workflow.db import database_reachable
from workflow.runtime import Runtime


def create_app(runtime: Runtime | None = None) -> FastAPI:
    app = FastAPI(title="iro-disputes", version="0.1.0", docs_url="/docs")
    app.state.runtime = runtime or build()

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        rt: Runtime = request.app.state.runtime
        if database_reachable(rt.engine):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    return app

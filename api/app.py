"""The FastAPI application factory.

Every module in `api/routes/` (pages) and `api/v1/` (JSON, under /api/v1)
that has a `router` is included, so a new area is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api import errors
from api.auth import current_person, optional_person
from api.failures import UnexpectedErrors
from api.idempotency import IdempotentApi
from api.input_guard import ControlCharacterGuard
from api.log_form import FilterForms
from api.one_connection import OneConnection
from api.option_lists import MenuCache
from api.request_context import RequestContext, note_route
from api.security import (
    ClientAddressMiddleware,
    CsrfMiddleware,
    SecurityHeadersMiddleware,
    docs_csp,
)
from api.settings import OperationsSettings
from api.web_settings import WebSettings, get_web_settings
from api.wiring import build
from workflow.db import pool_capacity
from workflow.deadline_settings import get_deadline_settings
from workflow.runtime import Runtime

STATIC_DIR = Path(__file__).parent / "static"


def discover_routers(package: str) -> list[APIRouter]:
    """The `router` of every module in `package`, in name order."""
    module = importlib.import_module(package)
    routers = []
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        router = getattr(importlib.import_module(f"{package}.{info.name}"), "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers


def create_app(
    runtime: Runtime | None = None,
    settings: WebSettings | None = None,
    operations: OperationsSettings | None = None,
) -> FastAPI:
    settings = settings or get_web_settings()
    operations = operations or OperationsSettings()
    app = FastAPI(
        lifespan=_lifespan,
        dependencies=[Depends(note_route)],
        title="iro-disputes",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        # Outside development the schema is served only to someone signed in (below).
        openapi_url="/openapi.json" if settings.is_development else None,
        description="Challenges raised by Independent Reviewing Officers, their escalation "
        "and the log. Authenticate with a personal API token: `Authorization: Bearer <token>`.",
    )
    app.state.runtime = runtime or build()
    app.state.web_settings = settings
    app.state.operations = operations
    app.state.sweep_seconds = get_deadline_settings().sweep_seconds
    app.state.log_menus = MenuCache()
    app.state.log_forms = FilterForms()
    secure = not settings.is_development

    _mount_static(app)
    _add_core_routes(app, settings)
    for router in discover_routers("api.routes"):
        app.include_router(router)
    for router in discover_routers("api.v1"):
        app.include_router(router, prefix="/api/v1")
    errors.install(app)

    # Added innermost first: headers wrap everything, then CSRF, then the session, then
    # the error pages (inside the session, so they show who is signed in).
    app.add_middleware(UnexpectedErrors, retry_after=operations.retry_after_seconds)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_secret(),
        session_cookie="iro_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(CsrfMiddleware, secret=settings.signing_secret(), secure=secure)
    app.add_middleware(IdempotentApi, engine=app.state.runtime.engine)
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(SecurityHeadersMiddleware, docs_policy=docs_csp(_docs_html()), secure=secure)
    app.add_middleware(ClientAddressMiddleware)
    app.add_middleware(OneConnection, engine=app.state.runtime.engine)
    app.add_middleware(RequestContext)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync routes run in AnyIO's thread pool (40 threads by default). Running no more
    # of them at once than the database pool holds means a burst of requests queues
    # here, holding nothing, instead of every thread waiting on the pool at once.
    runtime: Runtime = app.state.runtime
    size = pool_capacity(runtime.engine)
    if size:
        to_thread.current_default_thread_limiter().total_tokens = size
    yield


def _mount_static(app: FastAPI) -> None:
    # The compiled GOV.UK CSS asks for /assets/images; our own files live under /static.
    app.mount("/assets", StaticFiles(directory=STATIC_DIR / "govuk" / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _docs_html() -> str:
    return bytes(
        get_swagger_ui_html(openapi_url="/openapi.json", title="iro-disputes API").body
    ).decode()


def _add_core_routes(app: FastAPI, settings: WebSettings) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        if not settings.is_development:
            current_person(request)  # SignInRequired: the sign-in page, then back here
        return HTMLResponse(_docs_html())

    if not settings.is_development:

        @app.get("/openapi.json", include_in_schema=False)
        def openapi(request: Request) -> JSONResponse:
            if optional_person(request) is None:
                return errors.problem(401, "Sign in to read the API description")
            return JSONResponse(app.openapi())

    @app.get("/brand.css", include_in_schema=False)
    def brand_css() -> Response:
        colour = settings.council_colour
        css = (
            f".app-council-header{{background-color:{colour};border-bottom:10px solid {colour}}}"
            f".govuk-service-navigation{{border-top:1px solid {colour}}}"
            f".app-timeline{{border-left-color:{colour}}}"
            f".govuk-footer{{border-top-color:{colour}}}"
            f".govuk-service-navigation__item--active{{border-bottom-color:{colour}}}"
        )
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

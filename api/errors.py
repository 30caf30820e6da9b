"""Domain errors to HTTP, in one place.

Pages get GOV.UK error pages; the JSON API gets problem details (RFC 9457)
naming the field when there is one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import SignInRequired, is_api_request, optional_person
from api.templating import render
from workflow.errors import (
    ConcurrentUpdate,
    DomainError,
    LogPageOutOfReach,
    NoResponder,
    NotFound,
    NotPermitted,
    RuleViolation,
    TransitionNotAllowed,
)

STATUS_FOR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (TransitionNotAllowed, 409),
    (ConcurrentUpdate, 409),
    (RuleViolation, 422),
    (NoResponder, 422),
    (NotPermitted, 403),
)
TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "You do not have permission to see this",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "There is a problem with what was entered",
    500: "Sorry, there is a problem with the service",
}


def status_for(error: DomainError) -> int:
    for cls, status in STATUS_FOR:
        if isinstance(error, cls):
            return status
    return 400


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def error_page(request: Request, status: int, detail: str) -> Response:
    optional_person(request)  # so the header shows who is signed in
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": "Page not found" if status == 404 else TITLES.get(status, "Error"),
            "detail": detail,
        },
        status_code=status,
    )


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    if is_api_request(request):
        extra: dict[str, Any] = {}
        if isinstance(exc, RuleViolation | LogPageOutOfReach):
            extra["errors"] = [{"field": exc.field, "message": exc.problem}]
        if isinstance(exc, NoResponder):
            extra.update(stage=exc.stage, stage_name=exc.stage_name, missing=list(exc.missing))
            extra["errors"] = [{"field": "stage", "message": str(exc)}]
        if isinstance(exc, TransitionNotAllowed):
            extra.update(action=exc.action, state=exc.state)
        return problem(status, str(exc), **extra)
    return error_page(request, status, str(exc))


def _sign_in_required(request: Request, exc: Exception) -> Response:
    if is_api_request(request):
        response = problem(401, "Send a personal API token: Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if is_api_request(request) or request.url.path in ("/openapi.json", "/docs"):
        return problem(exc.status_code, str(exc.detail), **({}))
    return error_page(request, exc.status_code, str(exc.detail))


def _invalid(request: Request, exc: Exception) -> Response:
    """FastAPI's validation errors, as problem details like every other API error."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or None,
         "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]  # fmt: skip
    if is_api_request(request):
        return problem(422, "The request is not valid: see errors", errors=problems)
    return error_page(request, 422, "; ".join(str(p["message"]) for p in problems))


# The published schema says so: a 422 is a problem with a list of field errors.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
    },
}  # fmt: skip


def problem_schema(app: FastAPI) -> None:
    """Publish 422 answers as `application/problem+json` with `PROBLEM_SCHEMA`."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            schema.setdefault("components", {}).setdefault("schemas", {})["HTTPValidationError"] = (
                PROBLEM_SCHEMA
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    answer = operation.get("responses", {}).get("422", {})
                    content = answer.get("content", {})
                    if "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    problem_schema(app)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)

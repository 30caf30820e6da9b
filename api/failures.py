"""Unexpected errors and an unavailable database, answered properly.

Whatever escapes a route is logged once with its traceback and the request id,
and the person sees a GOV.UK error page (the API gets `application/problem+json`).
When the database cannot be reached, or every pooled connection is busy, the
answer is 503 with `Retry-After`, quickly, rather than a 30-second hang and a
plain-text "Internal Server Error".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import get_logger
from api.templating import render

log = get_logger("iro_disputes.web")

UNAVAILABLE = (
    sa.exc.TimeoutError,  # every pooled connection busy for IRO_DISPUTES_DB_POOL_TIMEOUT
    sa.exc.OperationalError,  # the server is down, unreachable or refusing connections
    sa.exc.InterfaceError,
)


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, UNAVAILABLE) or (
        isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated
    )


def failure_response(request: Request, error: BaseException, retry_after: int) -> Response:
    """The 503 or 500 a person or API client sees for `error`."""
    if is_unavailable(error):
        status, title = 503, "Sorry, the service is unavailable"
        detail = "The service cannot reach its database just now. Try again in a few minutes."
    else:
        status, title = 500, "Sorry, there is a problem with the service"
        detail = "Something went wrong and what you were doing may not have been saved."
    if request.url.path.startswith("/api/"):
        response = _problem(status, title, detail)
    else:
        response = _page(request, status, title, detail)
    if status == 503:
        response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    try:
        return render(
            request,
            "errors/error.html",
            {"status": status, "title": title, "detail": detail, "request_id": _id(request)},
            status_code=status,
        )
    except Exception:  # a broken template must not hide the first error
        log.exception("error page could not be rendered")
        return Response(f"{title}\n", status_code=status, media_type="text/plain")


def _id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


class UnexpectedErrors:
    """Innermost middleware: turns any escaped exception into a logged 500 or 503."""

    def __init__(self, app: ASGIApp, retry_after: int = 30) -> None:
        self.app = app
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            _log(error, scope)
            if started:
                raise  # too late for an error page: the server closes the connection
            response = failure_response(Request(scope), error, self.retry_after)
            await response(scope, receive, send)


def _log(error: BaseException, scope: Scope) -> None:
    fields: dict[str, Any] = {"method": scope.get("method"), "path": scope.get("path")}
    if is_unavailable(error):
        log.error("database unavailable", error=str(error).splitlines()[0], **fields)
    else:
        log.exception("unexpected error", **fields)

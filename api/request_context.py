"""Each request gets an id, one log line and its place in the metrics.

The id comes from a trusted proxy's `X-Request-ID` when it looks like one, or is
made here; it is bound to every log line written while the request is handled
(including in the thread pool) and sent back in `X-Request-ID`.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import get_logger
from api.metrics import observe_request

log = get_logger("iro_disputes.http")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_UNLOGGED = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _GOOD_ID.match(text):
                return text
    return uuid.uuid4().hex


async def note_route(request: Request) -> None:
    """An app-wide dependency: keeps the matched route's template where the middleware
    can read it (some middleware hands a copy of the scope inward, but `state` is shared)."""
    route = request.scope.get("route")
    request.state.route = str(getattr(route, "path", "unmatched"))


def route_of(scope: Scope) -> str:
    """The route template (`/challenges/{reference}`), never the raw path: bounded labels."""
    noted = scope.get("state", {}).get("route")
    if isinstance(noted, str):
        return noted
    return (
        "static" if str(scope.get("path", "")).startswith(("/static", "/assets")) else "unmatched"
    )


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._finish(scope, status, time.perf_counter() - started)

    @staticmethod
    def _finish(scope: Scope, status: int, seconds: float) -> None:
        route = route_of(scope)
        method = str(scope.get("method", ""))
        observe_request(method, route, status, seconds)
        if scope.get("path") in _UNLOGGED or route == "static":
            return
        log.info(
            "request", method=method, path=scope.get("path"), route=route, status=status,
            ms=round(seconds * 1000, 1),
        )  # fmt: skip

"""Refuse NUL bytes and other control characters in any input, before a route sees it.

PostgreSQL cannot store NUL in text (a driver error, so a 500) while SQLite stores it
silently, and control characters in names or notes break exports and mail. So on both
databases the request is refused with a 400: problem+json under /api, a GOV.UK error
page elsewhere. Tab, line feed and carriage return are allowed (they are how people
type multi-line notes). Checked: the path, the query string, and url-encoded or JSON
bodies. Multipart uploads (CSV import) are left to their own parser, which reports the
line of any bad character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DETAIL = "Remove the control characters (such as NUL) from what you entered"
MAX_CHECKED_BODY = 5_000_000


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def _json_strings(value: Any) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, dict):
        return any(has_control(str(k)) or _json_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_strings(v) for v in value)
    return False


def body_has_control(content_type: str, body: bytes) -> bool:
    text = body.decode("utf-8", errors="replace")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return any(
            has_control(k) or has_control(v) for k, v in parse_qsl(text, keep_blank_values=True)
        )
    if "json" in content_type:
        try:
            return _json_strings(json.loads(text))
        except ValueError:
            return has_control(text)  # invalid JSON: FastAPI answers 422, unless it hides NUL
    return False


class ControlCharacterGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        if has_control(str(scope.get("path", ""))) or has_control(query):
            await _refuse(scope, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if not ("urlencoded" in content_type or "json" in content_type):
            await self.app(scope, receive, send)
            return
        body, more, messages = b"", True, []
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False) and len(body) <= MAX_CHECKED_BODY
        if body_has_control(content_type, body):
            await _refuse(scope, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps(
            {"type": "about:blank", "title": "Bad request", "status": 400, "detail": DETAIL}
        ).encode()
        media = b"application/problem+json"
    else:
        body = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>There is a problem'
            f"</title></head><body><main><h1>There is a problem</h1><p>{DETAIL}.</p>"
            "<p>Go back and try again.</p></main></body></html>"
        ).encode()
        media = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})

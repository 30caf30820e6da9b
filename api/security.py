"""Security headers on every response, and the CSRF check on every form post.

The Content-Security-Policy allows no inline script: pages load their script
from a file. The API documentation page (Swagger UI, from a CDN) is the one
exception, and even there only its own inline script, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from asgi_csrf import asgi_csrf_decorator
from fastapi import HTTPException, Request

from api.auth import CLIENT_IP
from api.templating import csrf_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_STATIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
CACHEABLE = ("/static/", "/assets/", "/brand.css")
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(docs_html: str) -> str:
    """A policy for the Swagger UI page: its CDN, and its one inline script by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _SCRIPT.findall(docs_html)
    )
    cdn = "https://cdn.jsdelivr.net"
    return (
        f"default-src 'self'; script-src 'self' {cdn} {hashes}; style-src 'self' {cdn}; "
        f"img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
        f"base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_policy: str = PAGE_CSP, secure: bool = False) -> None:
        self.app, self.docs_policy, self.secure = app, docs_policy, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.docs_policy if scope["path"] == "/docs" else PAGE_CSP
        # Pages, exports and API answers may hold a child's data: no copy in any cache.
        no_store = not str(scope["path"]).startswith(CACHEABLE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    h for h in message.get("headers", []) if h[0] != b"content-security-policy"
                ]
                headers += [(b"content-security-policy", policy.encode()), *_STATIC_HEADERS]
                if no_store:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if self.secure:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ClientAddressMiddleware:
    """Remember the client's address for the access log (see `api.auth.CLIENT_IP`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        token = CLIENT_IP.set(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_IP.reset(token)


async def _csrf_refused(scope: Scope, send: Send, message_id: Any) -> None:
    body = (
        b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Form expired'
        b"</title></head><body><main><h1>This form has expired</h1><p>Go back, reload the page "
        b"and try again.</p></main></body></html>"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


# asgi-csrf 0.11's multipart parser passes `FileClass` to python-multipart, which no longer
# takes it (a TypeError, so a 500). Multipart posts to these paths skip the middleware and
# the route checks the token itself with `check_form_csrf` once the form is parsed.
MULTIPART_FORMS = frozenset({"/admin/import"})


def _skip_csrf(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    if path.startswith("/api/"):
        return True
    if path in MULTIPART_FORMS:
        headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
        return headers.get(b"content-type", b"").startswith(b"multipart/form-data")
    return False


def check_form_csrf(request: Request, form: Mapping[str, Any]) -> None:
    """The middleware's check, for the multipart forms it cannot parse: 403 on a mismatch."""
    expected = csrf_token(request)
    given = form.get("csrftoken")
    if not isinstance(given, str) or not expected or not secrets.compare_digest(given, expected):
        raise HTTPException(
            status_code=403, detail="This form has expired: reload the page and try again"
        )


class CsrfMiddleware:
    """asgi-csrf: a signed cookie matched by a hidden `csrftoken` field on every form.

    The JSON API is exempt: it authenticates only with Bearer tokens, never cookies.
    Sign-in is always protected, even before the browser holds any cookie.
    """

    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self.app = asgi_csrf_decorator(
            signing_secret=secret,
            cookie_secure=secure,
            cookie_samesite="Lax",
            always_protect={"/sign-in"},
            skip_if_scope=_skip_csrf,
            send_csrf_failed=_csrf_refused,
        )(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

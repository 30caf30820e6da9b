"""Sign in (local password, or OpenID Connect where a council configures it) and sign out."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.auth import (
    CurrentPerson,
    authenticate,
    optional_person,
    sign_in_session,
    sign_out_session,
)
from api.directory_sign_in import DirectorySignInRefused, directory_person
from api.routes.second_factor_pages import start_pending
from api.second_factor import has_second_factor
from api.templating import flash, long_date, render
from api.web_settings import WebSettings

router = APIRouter(include_in_schema=False)


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.web_settings
    return settings


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", timed_out: str = "") -> Response:
    if optional_person(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request,
        "auth/sign_in.html",
        {
            "next": _safe_next(next),
            "timed_out": _settings(request).idle_minutes if timed_out else None,
            "errors": {},
            "oidc": _settings(request).oidc_enabled,
            "oidc_label": _settings(request).oidc_label,
        },
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    settings = _settings(request)
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 - a message, not a secret
    if not errors:
        now = datetime.now(UTC)
        result = authenticate(request.app.state.runtime.engine, settings, email, password, now)
        if result.ok and result.person is not None and result.person.id is not None:
            engine = request.app.state.runtime.engine
            if settings.require_second_factor or has_second_factor(engine, result.person.id):
                return start_pending(request, result.person.id, _safe_next(next))
            sign_in_session(request, result.person)
            return RedirectResponse(_safe_next(next), status_code=303)
        if result.locked_until is not None:
            errors["email"] = (
                "You have entered the wrong details too many times. Try again after "
                f"{result.locked_until.astimezone(UTC):%H:%M} UTC on {long_date(result.locked_until)}"
            )
        else:
            errors["email"] = "Enter a correct email address and password"
    context: dict[str, Any] = {
        "next": _safe_next(next),
        "errors": errors,
        "email": email,
        "oidc": settings.oidc_enabled,
        "oidc_label": settings.oidc_label,
    }
    return render(request, "auth/sign_in.html", context, status_code=400)


@router.post("/session/keep-alive")
def keep_alive(person: CurrentPerson) -> Response:
    """'Stay signed in' on the timeout warning: the request itself renews the session."""
    return Response(status_code=204)


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    sign_out_session(request)
    flash(request, "You have signed out.", "Signed out")
    return RedirectResponse("/sign-in", status_code=303)


# -- OpenID Connect --------------------------------------------------------------------


def _oauth(request: Request) -> Any:
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        import authlib.deprecate  # noqa: F401  (installs an "always" filter when first imported)

        with warnings.catch_warnings():
            # authlib 1.9 warns that its httpx integration will move to httpx2; it works.
            warnings.simplefilter("ignore")
            from authlib.integrations.starlette_client import OAuth

        settings = _settings(request)
        oauth = OAuth()
        oauth.register(
            "council",
            server_metadata_url=settings.oidc_metadata_url,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            client_kwargs={"scope": "openid email profile"},
        )
        client = oauth.create_client("council")
        request.app.state.oidc_client = client
    return client


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    if not _settings(request).oidc_enabled:
        return RedirectResponse("/sign-in", status_code=303)
    redirect_uri = str(request.url_for("oidc_callback"))
    response: Response = await _oauth(request).authorize_redirect(request, redirect_uri)
    return response


@router.get("/sign-in/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    if not _settings(request).oidc_enabled:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        token = await _oauth(request).authorize_access_token(request)
    except Exception:  # authlib raises several kinds: a failed sign-in is one answer
        return _oidc_refused(request, "Single sign-on did not complete. Try again.")
    claims = token.get("userinfo") or {}
    engine = request.app.state.runtime.engine
    try:
        # The sign-in's only database work: in the thread pool, never on the event loop.
        person = await run_in_threadpool(
            directory_person, engine, claims, _settings(request).group_roles
        )
    except DirectorySignInRefused as refused:
        return _oidc_refused(request, str(refused))
    sign_in_session(request, person)
    return RedirectResponse("/", status_code=303)


def _oidc_refused(request: Request, message: str) -> Response:
    settings = _settings(request)
    return render(
        request,
        "auth/sign_in.html",
        {
            "next": "/",
            "errors": {"email": message},
            "oidc": True,
            "oidc_label": settings.oidc_label,
        },
        status_code=403,
    )

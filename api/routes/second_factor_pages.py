"""The second step of signing in (an authenticator code or a recovery code), setting up an
authenticator, and showing the recovery codes once.

Between the password and the code the browser holds only a pending mark in its signed
cookie (who, when, where next), good for 5 minutes and 5 wrong codes; no session exists
until the code is right.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.auth import CurrentPerson, sign_in_session
from api.second_factor import check_code, enrol, has_second_factor, new_secret, setup_uri
from api.templating import render
from workflow.tables import Person

router = APIRouter(include_in_schema=False)
PENDING = "pending_sign_in"
PENDING_FOR = timedelta(minutes=5)
MAX_WRONG_CODES = 5


def start_pending(request: Request, person_id: int, next_path: str) -> Response:
    request.session.clear()
    request.session[PENDING] = {"person_id": person_id, "at": datetime.now(UTC).isoformat(),
                                "next": next_path, "wrong": 0}  # fmt: skip
    return RedirectResponse("/sign-in/second-factor", status_code=303)


def _pending(request: Request) -> dict[str, Any] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if datetime.fromisoformat(pending["at"]) + PENDING_FOR < datetime.now(UTC):
        request.session.pop(PENDING, None)
        return None
    return pending


def _person(request: Request, person_id: int) -> Person | None:
    with Session(request.app.state.runtime.engine) as session:
        person = session.get(Person, person_id)
    return person if person is not None and person.active else None


def _page(
    request: Request, action: str, person: Person, error: str = "", status: int = 200
) -> Response:
    engine = request.app.state.runtime.engine
    context: dict[str, Any] = {"action": action, "error": error}
    assert person.id is not None
    if not has_second_factor(engine, person.id):
        secret = request.session.get("totp_setup") or new_secret()
        request.session["totp_setup"] = secret
        context.update(secret=secret, uri=setup_uri(secret, person.email))
    return render(request, "auth/second_factor.html", context, status_code=status)


@router.get("/sign-in/second-factor")
def code_page(request: Request) -> Response:
    pending = _pending(request)
    person = _person(request, pending["person_id"]) if pending else None
    if person is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _page(request, "/sign-in/second-factor", person)


@router.post("/sign-in/second-factor")
def code_submit(request: Request, code: str = Form("")) -> Response:
    pending = _pending(request)
    person = _person(request, pending["person_id"]) if pending else None
    if person is None or person.id is None or pending is None:
        return RedirectResponse("/sign-in", status_code=303)
    engine, now = request.app.state.runtime.engine, datetime.now(UTC)
    setup = request.session.get("totp_setup")
    codes: list[str] | None
    if has_second_factor(engine, person.id):
        codes = None if not check_code(engine, person.id, code, now) else []
    else:
        codes = enrol(engine, person.id, str(setup or ""), code, now) if setup else None
    if codes is None:
        pending["wrong"] = int(pending.get("wrong", 0)) + 1
        if pending["wrong"] >= MAX_WRONG_CODES:
            request.session.clear()
            return RedirectResponse("/sign-in", status_code=303)
        request.session[PENDING] = pending
        return _page(request, "/sign-in/second-factor", person, _WRONG, 400)
    sign_in_session(request, person)
    return _after(request, codes, str(pending["next"]))


_WRONG = "Enter the 6-digit code from your authenticator app, or a recovery code"


def _after(request: Request, codes: list[str], next_path: str) -> Response:
    if codes:
        return render(request, "auth/recovery_codes.html", {"codes": codes, "next": next_path})
    return RedirectResponse(next_path, status_code=303)


@router.get("/account/second-factor")
def own_setup_page(request: Request, person: CurrentPerson) -> Response:
    return _page(request, "/account/second-factor", person)


@router.post("/account/second-factor")
def own_setup_submit(request: Request, person: CurrentPerson, code: str = Form("")) -> Response:
    assert person.id is not None
    setup = request.session.get("totp_setup")
    codes = enrol(request.app.state.runtime.engine, person.id, str(setup or ""), code,
                  datetime.now(UTC)) if setup else None  # fmt: skip
    if codes is None:
        return _page(request, "/account/second-factor", person, _WRONG, 400)
    request.session.pop("totp_setup", None)
    return _after(request, codes, "/")

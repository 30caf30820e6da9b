"""Setting a password from an invitation or reset link, and "Forgotten your password?".

The forgotten-password answer is the same whether or not the email has an account, so
the page cannot be used to find out who works here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.accounts import AccountLinkProblem, check_link, request_reset, use_link
from api.password_policy import MIN_LENGTH, WeakPassword
from api.templating import flash, render
from notifications.settings import get_mail_settings

router = APIRouter(include_in_schema=False)


def _now() -> datetime:
    return datetime.now(UTC)


def _link_problem(request: Request, problem: AccountLinkProblem) -> Response:
    return render(
        request,
        "account/link_problem.html",
        {"detail": problem.why},
        status_code=404 if "not recognised" in problem.why else 410,
    )


def _set_page(
    request: Request, token: str, name: str, errors: dict[str, str], status: int = 200
) -> Response:
    context = {"token": token, "name": name, "errors": errors, "min_length": MIN_LENGTH}
    return render(request, "account/set_password.html", context, status_code=status)


@router.get("/account/set-password/{token}")
def set_password_page(request: Request, token: str) -> Response:
    try:
        person = check_link(request.app.state.runtime.engine, token, _now())
    except AccountLinkProblem as problem:
        return _link_problem(request, problem)
    return _set_page(request, token, person.name, {})


@router.post("/account/set-password/{token}")
def set_password_submit(
    request: Request, token: str, password: str = Form(""), confirm: str = Form("")
) -> Response:
    engine = request.app.state.runtime.engine
    try:
        person = check_link(engine, token, _now())
    except AccountLinkProblem as problem:
        return _link_problem(request, problem)
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = "Enter a new password"  # noqa: S105 - a message, not a secret
    elif password != confirm:
        errors["confirm"] = "The passwords do not match"
    if not errors:
        try:
            use_link(engine, token, password, _now())
        except WeakPassword as weak:
            errors["password"] = str(weak)
        except AccountLinkProblem as problem:
            return _link_problem(request, problem)
        else:
            flash(request, "Your password is set. Sign in with it now.", "Password set")
            return RedirectResponse("/sign-in", status_code=303)
    return _set_page(request, token, person.name, errors, 400)


@router.get("/sign-in/forgotten-password")
def forgotten_page(request: Request) -> Response:
    return render(request, "account/forgotten.html", {"errors": {}, "sent": False})


@router.post("/sign-in/forgotten-password")
def forgotten_submit(request: Request, email: str = Form("")) -> Response:
    if "@" not in email or len(email) > 320:
        errors = {"email": "Enter an email address in the correct format, like name@council.gov.uk"}
        return render(
            request, "account/forgotten.html", {"errors": errors, "sent": False}, status_code=400
        )
    request_reset(request.app.state.runtime.engine, get_mail_settings(), email, _now())
    return render(request, "account/forgotten.html", {"errors": {}, "sent": True, "email": email})

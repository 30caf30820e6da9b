"""Your own API tokens, on a page: create (shown once), see when each was last used, revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.auth import CurrentPerson, RuntimeDep
from api.forms import rule_error
from api.templating import flash, render
from api.tokens import DEFAULT_DAYS, BadToken, create_own_token, own_tokens, revoke

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, person: CurrentPerson, runtime: RuntimeDep, **extra: object
) -> Response:
    assert person.id is not None
    context = {"tokens": own_tokens(runtime.engine, person.id), "errors": {}, "issued": None,
               "days": DEFAULT_DAYS, **extra}  # fmt: skip
    status = 400 if extra.get("errors") else 200
    return render(request, "account/tokens.html", context, status_code=status)


@router.get("/account/tokens")
def tokens_page(request: Request, person: CurrentPerson, runtime: RuntimeDep) -> Response:
    return _page(request, person, runtime)


@router.post("/account/tokens")
def create(
    request: Request, person: CurrentPerson, runtime: RuntimeDep,
    label: str = Form(""), days: str = Form(str(DEFAULT_DAYS)),
) -> Response:  # fmt: skip
    assert person.id is not None
    try:
        with Session(runtime.engine) as session:
            secret = create_own_token(session, person.id, label, datetime.now(UTC),
                                      int(days) if days.isdigit() else 0)  # fmt: skip
            session.commit()
    except BadToken as bad:
        return _page(request, person, runtime, errors=rule_error(bad))
    return _page(request, person, runtime, issued=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_own(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    person: CurrentPerson,
    runtime: RuntimeDep,
) -> Response:
    assert person.id is not None
    revoke(runtime.engine, token_id, datetime.now(UTC), owner_id=person.id)
    flash(request, "The token was revoked.", "Revoked")
    return RedirectResponse("/account/tokens", status_code=303)

"""Your account: who you are signed in as, your authenticator and your API tokens.

The page a person looks for when they want to set up a second factor; the header's
"Your account" link leads here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.auth import CurrentPerson, RuntimeDep
from api.second_factor import has_second_factor
from api.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/account")
def account_page(request: Request, person: CurrentPerson, runtime: RuntimeDep) -> Response:
    assert person.id is not None
    context = {"person": person, "has_second_factor": has_second_factor(runtime.engine, person.id),
               "sso": request.app.state.web_settings.oidc_enabled}  # fmt: skip
    return render(request, "account/index.html", context)

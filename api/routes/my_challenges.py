"""Everyone's own list: every challenge a person may see, open and ended, to filter and
search. IROs find what they raised; responders what waits for them and what they answered.
The Head of Service, senior managers and admins have the challenge log instead."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import CurrentPerson, ReadSession, RuntimeDep
from api.log_filters import parse_filters, status_label
from api.presenters import stage_name, state_tag_class
from api.templating import render
from api.views import visibility
from escalation_rules.model import Role
from workflow import queries
from workflow.routing import reach

router = APIRouter(include_in_schema=False)
STATUS_CHOICES = ("", "open", "ended")
PER_PAGE = 25


@router.get("/challenges")
def my_challenges(
    request: Request, person: CurrentPerson, session: ReadSession, runtime: RuntimeDep
) -> Response:
    role = Role(person.role)
    if role in queries.SEE_ALL_ROLES:
        return RedirectResponse("/log", status_code=303)
    if role is Role.SMT_READER:
        return RedirectResponse("/reports", status_code=303)
    assert person.id is not None
    filters, errors = parse_filters(request.query_params, per_page=PER_PAGE)
    now = datetime.now(UTC)
    page = queries.challenge_log(
        session, filters, now, visibility(session, person), Role(person.role)
    )
    found = reach(session, person.id, among=[row.id for row in page.rows])
    ladder = runtime.ladders.current
    return render(
        request,
        "home/all.html",
        {
            "page": page,
            "f": filters,
            "errors": errors,
            "now": now,
            "statuses": [(s, status_label(s) if s else "Any") for s in STATUS_CHOICES],
            "stage_name": lambda key: stage_name(ladder, key),
            "tag": state_tag_class,
            "what": (lambda row: found.what(row.id)) if found.ids else None,
            "url": lambda **ch: "/challenges?" + urlencode(filters.query_args(**ch)),
        },
    )

"""The home page: each person's own dashboard."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import CurrentPerson, ReadSession, RuntimeDep
from api.presenters import stage_name, state_tag_class
from api.templating import render
from escalation_rules.model import Role
from notifications.quarantine import waiting_count
from workflow import queries
from workflow.routing import reach, reach_condition

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request, person: CurrentPerson, session: ReadSession, runtime: RuntimeDep
) -> Response:
    role = Role(person.role)
    if role is Role.SMT_READER:
        return RedirectResponse("/reports", status_code=303)
    assert person.id is not None
    now = datetime.now(UTC)
    board = queries.dashboard(session, person.id, role, now)
    through_posts = reach_condition(session, person.id)
    reached = [] if through_posts is None else queries.rows_where(session, through_posts)
    found = reach(session, person.id, among=[r.id for r in reached])
    # A challenge a post reaches is listed once, with what the person can do on it.
    board = replace(board, through_posts=reached,
                    answered_before=[r for r in board.answered_before if r.id not in found.ids])  # fmt: skip
    ladder = runtime.ladders.current
    return render(
        request,
        "home/dashboard.html",
        {
            "board": board,
            "now": now,
            "role": role,
            "oversight": role in queries.SEE_ALL_ROLES,
            "stage_name": lambda key: stage_name(ladder, key),
            "tag": state_tag_class,
            "what": lambda row: found.what(row.id),
            "mail_waiting": waiting_count(session) if role is Role.ADMIN else 0,
        },
    )

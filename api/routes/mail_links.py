"""Answering a challenge from the link in an email, without signing in.

GET only shows: it reads through a query-only connection on SQLite, so even a
bug could not make it write, and mail scanners that open every link change
nothing. POST (with the CSRF field) records the answer and uses the link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import select

from api.action_forms import ACTION_FIELDS, field_id, read_params
from api.auth import RuntimeDep, record_access
from api.forms import FormFields, rule_error
from api.presenters import stage_name, timeline_entries
from api.templating import render
from api.views import reading_uow
from escalation_rules.model import Ladder
from notifications.links import (
    LinkError,
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    answer_via_link,
    open_link,
)
from workflow import queries
from workflow.errors import ConcurrentUpdate, RuleViolation, TransitionNotAllowed
from workflow.read_scope import reading
from workflow.runtime import Runtime
from workflow.services import lifecycle
from workflow.states import Action
from workflow.tables import ChallengeRecord

router = APIRouter(include_in_schema=False)


def _now() -> datetime:
    return datetime.now(UTC)


def _problem(request: Request, error: LinkError) -> Response:
    status = 404 if isinstance(error, LinkInvalid) else 410
    kind = (
        "used"
        if isinstance(error, LinkUsed)
        else "expired"
        if isinstance(error, LinkExpired)
        else "invalid"
    )
    return render(
        request, "mail/link_problem.html", {"detail": str(error), "kind": kind}, status_code=status
    )


def _form(
    request: Request,
    token: str,
    view: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "mail/respond.html",
        {
            **_context(request, view),
            "token": token,
            "view": view,
            "fields": ACTION_FIELDS[Action.RESPOND],
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


def _ladder(runtime: Runtime, reference: str) -> Ladder:
    with reading_uow(runtime) as uow:
        return lifecycle(uow, uow.challenges.get(reference)).ladder


def _context(request: Request, view: Any) -> dict[str, Any]:
    """What the person answering needs to judge it: the review, who raised it, the story so far.

    The link already proves they are the responder, so they see what the page shows them."""
    runtime = request.app.state.runtime
    with reading(runtime.engine) as session:
        row = queries.challenge_row(session, view.reference)
        if row is None:
            return {}
        record = session.exec(
            select(ChallengeRecord).where(ChallengeRecord.reference == view.reference)
        ).one()
        ladder = _ladder(runtime, view.reference)
        return {
            "row": row,
            "stage": stage_name(ladder, row.stage_key),
            "review_date": record.review_date,
            "timeline": timeline_entries(session, row.id, ladder),
        }


@router.get("/respond/{token}")
def respond_page(request: Request, token: str, runtime: RuntimeDep) -> Response:
    with reading_uow(runtime) as uow:
        try:
            view = open_link(uow, token, _now())
        except LinkError as error:
            return _problem(request, error)
        record = uow.session.exec(
            select(ChallengeRecord).where(ChallengeRecord.reference == view.reference)
        ).one()
    # The link stands in for signing in: the view is logged against the person it was sent to.
    record_access(runtime.engine, view.person_id, "email link", record.id, record.child_id,
                  f"challenge {view.reference}")  # fmt: skip
    return _form(request, token, view, {}, {})


@router.post("/respond/{token}")
def respond_submit(request: Request, token: str, runtime: RuntimeDep, form: FormFields) -> Response:
    with reading_uow(runtime) as uow:
        try:
            view = open_link(uow, token, _now())
        except LinkError as error:
            return _problem(request, error)
    params, errors = read_params(Action.RESPOND, form)
    if errors:
        return _form(request, token, view, form, errors, 422)
    try:
        with runtime.uow() as uow:
            challenge = answer_via_link(
                uow, token, {**params, "version": form.get("version")}, _now()
            )
    except LinkError as error:
        return _problem(request, error)
    except RuleViolation as error:
        ids = {"target_date": field_id(Action.RESPOND, "target_date")}
        return _form(request, token, view, form, rule_error(error, ids), 422)
    except (ConcurrentUpdate, TransitionNotAllowed) as error:
        return _form(request, token, view, form, {"form": str(error)}, 409)
    return render(request, "mail/answered.html", {"reference": challenge.reference, "view": view})

"""A challenge's page (stage, responder, deadline, footprint, the actions allowed now)
and one form per action, each posting the version it was shown so a conflict is caught."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.action_forms import ACTION_FIELDS, GROUNDS, field_id, read_params
from api.auth import CurrentPerson, ReadSession, RuntimeDep
from api.forms import FormFields, rule_error
from api.presenters import stage_name, state_tag_class, timeline_entries
from api.reports.access import may_see_child
from api.templating import action_label, flash, render
from api.views import (
    offered_actions,
    page_facts,
    reading_uow,
    view_and_record,
    view_and_record_with_record,
    viewable,
)
from notifications.inbound_files import inbound_attachments
from notifications.quarantine import replies_with_files, waiting_for_challenge
from notifications.tables import InboundMail, InboundStatus
from workflow import queries
from workflow.errors import NotFound, NotPermitted, RuleViolation, TransitionNotAllowed
from workflow.outcome_kinds import offered_outcome_kinds
from workflow.runtime import Runtime
from workflow.services import lifecycle, take_action
from workflow.states import Action
from workflow.tables import Person

router = APIRouter(include_in_schema=False)
RECORDED = (InboundStatus.MATCHED.value, InboundStatus.ASSIGNED.value)


@router.get("/challenges/{reference}")
def challenge_page(
    request: Request,
    reference: str,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    # One read of the challenge for the row, the ladder, the buttons and its text, through
    # the request's own session (it used to be read four times over three connections).
    row, record = view_and_record_with_record(runtime, session, person, reference, "page")
    facts = page_facts(runtime, session, person, row, record)
    ladder = facts.ladder
    return render(
        request,
        "challenges/show.html",
        {
            "c": row,
            "now": datetime.now(UTC),
            "stage_name": lambda key: stage_name(ladder, key),
            "no_overall_cap": ladder.overall_cap_working_days is None,
            "tag": state_tag_class,
            "timeline": timeline_entries(session, row.id, ladder),
            "actions": facts.actions,
            "record": facts.challenge,
            "may_see_footprint": may_see_child(session, person, row.child_id),
            "mail_waiting": waiting_for_challenge(session, row.id),
            "mail_files": replies_with_files(session, row.id),
        },
    )


@router.get("/challenges/{reference}/mail/{inbound_id}/files/{position}")
def reply_file(
    reference: str,
    inbound_id: int,
    position: int,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    """A file that came with an email reply, for whoever may see the challenge."""
    row = view_and_record(runtime, session, person, reference, "mail-file")
    mail = session.get(InboundMail, inbound_id)
    if mail is None or mail.challenge_id != row.id or mail.status not in RECORDED:
        raise NotFound("file", f"{inbound_id}/{position}")
    files = inbound_attachments(mail.raw)
    if not 0 <= position < len(files):
        raise NotFound("file", f"{inbound_id}/{position}")
    found = files[position]
    quoted = urllib.parse.quote(found.filename)
    return Response(
        found.content,
        media_type="application/octet-stream",  # never rendered in our origin
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"},
    )


def _stages(runtime: Runtime, reference: str) -> list[tuple[str, str]]:
    with reading_uow(runtime) as uow:
        challenge = uow.challenges.get(reference)
        return [(s.key, s.name) for s in lifecycle(uow, challenge).target_stages(challenge)]


def _action_or_404(
    person: Person, row: queries.ChallengeRow, runtime: Runtime, name: str
) -> Action:
    try:
        action = Action(name)
    except ValueError:
        raise NotFound("action", name) from None
    if action not in ACTION_FIELDS:
        raise NotFound("action", name)
    offered = offered_actions(runtime, row.reference)
    if action not in offered.iro + offered.responder:
        raise TransitionNotAllowed(row.reference, action.value, row.state)
    if action not in offered.for_person(person, row, runtime):
        raise NotPermitted(person.name, action.value, row.reference)
    return action


def _outcome_kinds(runtime: Runtime) -> list[tuple[str, str]]:
    with reading_uow(runtime) as uow:
        return offered_outcome_kinds(uow.session)


def _form_page(
    request: Request,
    runtime: Runtime,
    row: queries.ChallengeRow,
    action: Action,
    values: dict[str, Any],
    errors: dict[str, str],
    version: int,
    status: int = 200,
) -> Response:
    return render(
        request,
        "challenges/action.html",
        {
            "c": row,
            "action": action,
            "title": action_label(action.value, row.state),
            "fields": ACTION_FIELDS.get(action, ()),
            "values": values,
            "errors": errors,
            "version": version,
            "grounds": GROUNDS,
            "outcome_kinds": _outcome_kinds(runtime) if action is Action.ACCEPT else [],
            "stages": _stages(runtime, row.reference)
            if action in (Action.ESCALATE, Action.REJECT)
            else [],
        },
        status_code=status,
    )


@router.get("/challenges/{reference}/actions/{name}")
def action_form(
    request: Request,
    reference: str,
    name: str,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    row = viewable(session, person, reference)
    action = _action_or_404(person, row, runtime, name)
    return _form_page(request, runtime, row, action, {}, {}, row.version)


@router.post("/challenges/{reference}/actions/{name}")
def take_action_from_form(
    request: Request,
    reference: str,
    name: str,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
    form: FormFields,
) -> Response:
    row = viewable(session, person, reference)
    action = _action_or_404(person, row, runtime, name)
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = -1
    params, errors = read_params(action, form)
    if not errors:
        try:
            with runtime.uow() as uow:
                take_action(uow, reference, action, person.id, params, datetime.now(UTC), version)
        except RuleViolation as error:
            errors = rule_error(error, {error.field or "": field_id(action, error.field or "")})
    if errors:
        return _form_page(request, runtime, row, action, form, errors, version, status=422)
    flash(request, f"{action_label(action.value, row.state)}: done for {reference}.", "Saved")
    return RedirectResponse(f"/challenges/{reference}", status_code=303)

"""Admin: messages we gave up sending, mail alerts (bounces), and the quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import ReadSession, RuntimeDep, require_roles
from api.templating import flash, render
from escalation_rules.model import Role
from notifications.admin import mail_overview, resolve_alert, retry_failed
from notifications.inbound import assign
from workflow.errors import DomainError
from workflow.tables import Person

router = APIRouter(include_in_schema=False, prefix="/admin/mail")
Admin = Annotated[Person, require_roles(Role.ADMIN)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("")
def mail_page(request: Request, person: Admin, session: ReadSession) -> Response:
    overview = mail_overview(session)
    return render(request, "mail/admin.html", {"o": overview, "errors": {}})


@router.post("/outbox/{outbox_id}/retry")
def retry(request: Request, outbox_id: int, person: Admin, runtime: RuntimeDep) -> Response:
    if retry_failed(runtime.engine, outbox_id, _now()):
        flash(request, f"Message {outbox_id} will be sent again.")
    return RedirectResponse("/admin/mail", status_code=303)


@router.post("/alerts/{alert_id}/resolve")
def resolve(request: Request, alert_id: int, person: Admin, runtime: RuntimeDep) -> Response:
    if resolve_alert(runtime.engine, alert_id, _now()):
        flash(request, "Alert marked as dealt with.")
    return RedirectResponse("/admin/mail", status_code=303)


@router.post("/inbound/{inbound_id}/assign")
def assign_reply(
    request: Request,
    inbound_id: int,
    person: Admin,
    runtime: RuntimeDep,
    session: ReadSession,
    reference: Annotated[str, Form()] = "",
    actions: Annotated[str, Form()] = "",
    target_date: Annotated[str, Form()] = "",
    response: Annotated[str, Form()] = "",
) -> Response:
    reference = reference.strip().upper()
    errors: dict[str, str] = {}
    if not reference:
        errors[f"reference-{inbound_id}"] = "Enter the challenge reference, like IRO-2027-0042"
    else:
        assert person.id is not None
        try:
            with runtime.uow() as uow:
                assign(uow, inbound_id, reference, person.id, _now(), actions,
                       target_date.strip(), response)  # fmt: skip
        except DomainError as error:
            errors[f"reference-{inbound_id}"] = str(error)
    if errors:
        overview = mail_overview(session)
        return render(
            request, "mail/admin.html", {"o": overview, "errors": errors}, status_code=400
        )
    flash(request, f"The reply was recorded as the response on {reference}.")
    return RedirectResponse("/admin/mail", status_code=303)

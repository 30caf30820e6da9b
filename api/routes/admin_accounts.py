"""Admin account actions for one person: invite or send a reset link, unlock, deactivate,
reactivate, see and end their sessions; and recording an IRO's cover for another IRO."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from api.account_tables import SecondFactor
from api.accounts import INVITE, RESET, deactivate, issue_link, reactivate, unlock
from api.auth import ReadSession, RuntimeDep, require_roles
from api.forms import parse_date, rule_error
from api.second_factor import remove as remove_second_factor
from api.sessions import end_session_by_id, end_sessions_of, live_sessions
from api.tables import PasswordCredential
from api.templating import flash, render
from escalation_rules.model import Role
from notifications.settings import get_mail_settings
from workflow.access_tables import IroCover
from workflow.child_access import BadCover, record_cover
from workflow.errors import NotFound
from workflow.tables import Person

router = APIRouter(include_in_schema=False, prefix="/admin")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _now() -> datetime:
    return datetime.now(UTC)


def _target(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    return person


@router.get("/people/{person_id}/account")
def account(
    request: Request, person_id: RowId, admin: Admin, session: ReadSession, runtime: RuntimeDep
) -> Response:
    target = _target(session, person_id)
    cred = session.get(PasswordCredential, person_id)
    now = _now()
    context = {
        "p": target,
        "has_password": cred is not None,
        "locked": cred is not None and cred.locked_until is not None and cred.locked_until > now,
        "second_factor": session.get(SecondFactor, person_id) is not None,
        "sessions": live_sessions(runtime.engine, person_id, request.app.state.web_settings, now),
    }
    return render(request, "admin/account.html", context)


def _back(request: Request, person_id: int, message: str) -> Response:
    flash(request, message)
    return RedirectResponse(f"/admin/people/{person_id}/account", status_code=303)


@router.post("/people/{person_id}/account/{action}")
def account_action(
    request: Request, person_id: RowId, action: str, admin: Admin, runtime: RuntimeDep
) -> Response:
    engine, now = runtime.engine, _now()
    with Session(engine) as session:
        target = _target(session, person_id)
    if action in (INVITE, RESET):
        link = issue_link(engine, get_mail_settings(), person_id, action, now)
        what = "an invitation" if action == INVITE else "a password reset link"
        return _back(request, person_id, f"We have emailed {what} to {link.email}.")
    if action == "unlock":
        unlock(engine, person_id)
        return _back(request, person_id, f"{target.name} can sign in again.")
    if action == "deactivate":
        ended = deactivate(engine, person_id, now, admin.id)
        return _back(request, person_id, f"{target.name} is deactivated; {ended} session(s) ended.")
    if action == "reactivate":
        reactivate(engine, person_id, now, admin.id)
        return _back(request, person_id, f"{target.name} is active again.")
    if action == "remove-second-factor":
        remove_second_factor(engine, person_id)
        return _back(request, person_id, f"{target.name} will set up an authenticator again.")
    if action == "end-sessions":
        with Session(engine) as session:
            ended = end_sessions_of(session, person_id, now, "ended by an admin")
            session.commit()
        return _back(request, person_id, f"{ended} session(s) ended.")
    raise NotFound("account action", action)


@router.post("/people/{person_id}/sessions/{session_id}/end")
def end_one_session(
    request: Request, person_id: RowId, session_id: RowId, admin: Admin, runtime: RuntimeDep
) -> Response:
    end_session_by_id(runtime.engine, session_id, _now(), "ended by an admin", person_id)
    return _back(request, person_id, "The session has ended.")


# -- IRO cover ---------------------------------------------------------------------------


def _cover_page(
    request: Request, session: Session, a: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    iros = session.exec(
        select(Person)
        .where(Person.role == Role.IRO.value, col(Person.active))
        .order_by(Person.name)
    ).all()
    names = {p.id: p.name for p in session.exec(select(Person)).all()}
    covers = session.exec(select(IroCover).order_by(col(IroCover.ends_on).desc())).all()
    context = {"iros": iros, "names": names, "covers": covers, "a": a, "errors": errors}
    return render(request, "admin/cover.html", context, status_code=status)


@router.get("/cover")
def cover_page(request: Request, admin: Admin, session: ReadSession) -> Response:
    return _cover_page(request, session, {}, {})


@router.post("/cover")
async def cover_submit(request: Request, admin: Admin, runtime: RuntimeDep) -> Response:
    a = {k: str(v) for k, v in (await request.form()).items()}
    errors: dict[str, str] = {}
    starts = parse_date(a, "starts_on", "the date the cover starts", errors)
    ends = parse_date(a, "ends_on", "the date the cover ends", errors)
    ids = {k: int(a[k]) if a.get(k, "").isdigit() else 0 for k in ("covering_iro_id", "for_iro_id")}
    for key, message in (("covering_iro_id", "Select the IRO who is covering"),
                         ("for_iro_id", "Select the IRO they are covering for")):  # fmt: skip
        if not ids[key]:
            errors[key] = message
    with Session(runtime.engine) as session:
        if not errors and starts and ends and admin.id is not None:
            try:
                record_cover(session, ids["covering_iro_id"], ids["for_iro_id"], (starts, ends),
                             admin.id, _now())  # fmt: skip
                session.commit()
            except BadCover as bad:
                errors = rule_error(bad, {"ends_on": "ends_on-day"})
            else:
                flash(request, "The cover is recorded.")
                return RedirectResponse("/admin/cover", status_code=303)
        return _cover_page(request, session, a, errors, 400)

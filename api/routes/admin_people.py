"""Admin pages to add and edit a person (role, team, line manager, deputy, away) and to
see each person's record with its change history. The rules and the history live in
`workflow.people_records`; these routes only translate forms. Account actions (invite,
unlock, deactivate, sessions) stay on the account page in `admin_accounts`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from api.auth import ReadSession, RuntimeDep, require_roles
from api.forms import FormFields, rule_error
from api.templating import flash, render
from escalation_rules.model import Role
from workflow.change_history import history
from workflow.errors import NotFound
from workflow.people_records import (
    BadRecord,
    PersonDetails,
    person_shown,
    posts_from,
    save_person,
)
from workflow.read_scope import end_reads
from workflow.tables import Person, Team

router = APIRouter(include_in_schema=False, prefix="/admin/people")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
FIELDS = ("name", "email", "role", "team_id", "manager_id", "deputy_id", "absent", "posts")


def _target(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    return person


def _answers(session: Session, person: Person) -> dict[str, str]:
    values = {name: getattr(person, name) for name in FIELDS if name != "posts"}
    shown = {k: "" if v is None else str(v) for k, v in values.items()}
    shown["absent"] = "yes" if person.absent else "no"
    shown["posts"] = person_shown(session, person)["Posts"]
    return shown


def _id_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2_147_483_648 else None


def _details(a: dict[str, str]) -> PersonDetails:
    return PersonDetails(
        name=a.get("name", ""), email=a.get("email", ""), role=a.get("role", ""),
        team_id=_id_or_none(a.get("team_id", "")), manager_id=_id_or_none(a.get("manager_id", "")),
        deputy_id=_id_or_none(a.get("deputy_id", "")), absent=a.get("absent") == "yes",
        posts=posts_from(a.get("posts", "").split(";")),
    )  # fmt: skip


def _form(
    request: Request, session: Session, target: Person | None, a: dict[str, str],
    errors: dict[str, str],
) -> Response:  # fmt: skip
    others = session.exec(select(Person).where(col(Person.active)).order_by(Person.name)).all()
    context = {
        "p": target, "a": a, "errors": errors, "roles": list(Role),
        "teams": session.exec(select(Team).order_by(Team.name)).all(),
        "people": [o for o in others if target is None or o.id != target.id],
    }  # fmt: skip
    return render(request, "admin/person_form.html", context, status_code=422 if errors else 200)


@router.get("/new")
def new_person(request: Request, admin: Admin, session: ReadSession) -> Response:
    return _form(request, session, None, {"absent": "no"}, {})


@router.get("/{person_id}")
def person_page(request: Request, person_id: RowId, admin: Admin, session: ReadSession) -> Response:
    target = _target(session, person_id)
    team = session.get(Team, target.team_id) if target.team_id is not None else None
    context = {
        "p": target, "shown": person_shown(session, target), "team": team,
        "changes": history(session, "person", person_id),
    }  # fmt: skip
    return render(request, "admin/person.html", context)


@router.get("/{person_id}/edit")
def edit_person(request: Request, person_id: RowId, admin: Admin, session: ReadSession) -> Response:
    target = _target(session, person_id)
    return _form(request, session, target, _answers(session, target), {})


def _save(
    request: Request, runtime: RuntimeDep, admin: Person, person_id: int | None,
    form: dict[str, str],
) -> Response:  # fmt: skip
    assert admin.id is not None
    a = {name: form.get(name, "").strip() for name in FIELDS}
    end_reads()  # one connection per request: the sign-in check's reads give theirs back
    with Session(runtime.engine) as session:
        target = _target(session, person_id) if person_id is not None else None
        try:
            saved = save_person(session, person_id, _details(a), admin.id, datetime.now(UTC))
            session.commit()
        except BadRecord as bad:
            session.rollback()
            return _form(request, session, target, a, rule_error(bad))
        flash(request, f"{saved.name}'s record is saved.", "Saved")
        return RedirectResponse(f"/admin/people/{saved.id}", status_code=303)


@router.post("/new")
def add_person(request: Request, admin: Admin, runtime: RuntimeDep, form: FormFields) -> Response:
    return _save(request, runtime, admin, None, form)


@router.post("/{person_id}/edit")
def change_person(
    request: Request, person_id: RowId, admin: Admin, runtime: RuntimeDep, form: FormFields
) -> Response:
    return _save(request, runtime, admin, person_id, form)

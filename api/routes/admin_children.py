"""Admin pages for children: find a child, see their allocation and its change history,
and change their legal status, social worker and IRO. The child's team is their social
worker's. The rules and the history live in `workflow.people_records`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from api.auth import ReadSession, RuntimeDep, require_roles
from api.forms import FormFields, parse_date, rule_error
from api.templating import flash, render
from escalation_rules.model import LegalStatus, Role
from workflow.change_history import history
from workflow.errors import NotFound
from workflow.people_records import Allocation, BadRecord, allocate_child, child_shown
from workflow.read_scope import end_reads
from workflow.tables import Child, Person, Team

router = APIRouter(include_in_schema=False, prefix="/admin/children")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
FIELDS = ("legal_status", "social_worker_id", "iro_id", "team_id")
DATES = {"looked_after_from": "the date they became looked after",
         "looked_after_until": "the date they stopped being looked after"}  # fmt: skip
FIELD_IDS = {name: f"{name}-day" for name in DATES}
PAGE_SIZE = 100


def _child(session: Session, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound("child", child_id)
    return child


@router.get("")
def children(
    request: Request, admin: Admin, session: ReadSession,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:  # fmt: skip
    c, p = Child.__table__, Person.__table__  # type: ignore[attr-defined]
    sw, iro = p.alias("sw"), p.alias("iro")
    query = (
        sa.select(c.c.id, c.c.case_reference, c.c.display_name, c.c.legal_status,
                  sw.c.name.label("social_worker"), iro.c.name.label("iro"))
        .select_from(c.outerjoin(sw, sw.c.id == c.c.social_worker_id)
                     .outerjoin(iro, iro.c.id == c.c.iro_id))
        .order_by(c.c.display_name, c.c.id)
    )  # fmt: skip
    if q.strip():
        like = f"%{q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(c.c.display_name).like(like),
                                   sa.func.lower(c.c.case_reference).like(like)))  # fmt: skip
    rows = session.execute(query.limit(PAGE_SIZE + 1)).all()
    context = {"children": rows[:PAGE_SIZE], "more": len(rows) > PAGE_SIZE, "q": q.strip(),
               "statuses": {s.value: s.label for s in LegalStatus}}  # fmt: skip
    return render(request, "admin/children.html", context)


@router.get("/{child_id}")
def child_page(request: Request, child_id: RowId, admin: Admin, session: ReadSession) -> Response:
    child = _child(session, child_id)
    team = session.get(Team, child.team_id) if child.team_id else None
    context = {"child": child, "shown": child_shown(session, child), "team": team,
               "changes": history(session, "child", child_id)}  # fmt: skip
    return render(request, "admin/child.html", context)


def _form(
    request: Request, session: Session, child: Child, a: dict[str, str], errors: dict[str, str]
) -> Response:
    def holders(role: Role) -> list[Person]:
        return list(session.exec(select(Person).where(Person.role == role.value, col(Person.active))
                                 .order_by(Person.name)).all())  # fmt: skip

    team_rows = session.exec(select(Team).order_by(Team.name)).all()
    teams = {t.id: t.name for t in team_rows}
    context = {"child": child, "a": a, "errors": errors, "statuses": list(LegalStatus),
               "team_rows": team_rows,
               "workers": holders(Role.SOCIAL_WORKER), "iros": holders(Role.IRO), "teams": teams}  # fmt: skip
    return render(request, "admin/child_form.html", context, status_code=422 if errors else 200)


@router.get("/{child_id}/edit")
def edit_child(request: Request, child_id: RowId, admin: Admin, session: ReadSession) -> Response:
    child = _child(session, child_id)
    a = {name: "" if getattr(child, name) is None else str(getattr(child, name)) for name in FIELDS}
    for name in DATES:
        day = getattr(child, name)
        if day is not None:
            a |= {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
                  f"{name}-year": str(day.year)}  # fmt: skip
    return _form(request, session, child, a, {})


def _id_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2_147_483_648 else None


@router.post("/{child_id}/edit")
def change_child(
    request: Request, child_id: RowId, admin: Admin, runtime: RuntimeDep, form: FormFields
) -> Response:
    assert admin.id is not None
    a = {name: value.strip() for name, value in form.items()}
    errors: dict[str, str] = {}
    dates = {name: parse_date(form, name, label, errors, required=False)
             for name, label in DATES.items()}  # fmt: skip
    allocation = Allocation(a.get("legal_status", ""), _id_or_none(a.get("social_worker_id", "")),
                            _id_or_none(a.get("iro_id", "")), _id_or_none(a.get("team_id", "")),
                            **dates)  # fmt: skip
    end_reads()  # one connection per request: the sign-in check's reads give theirs back
    with Session(runtime.engine) as session:
        child = _child(session, child_id)
        if errors:
            return _form(request, session, child, a, errors)
        try:
            allocate_child(session, child_id, allocation, admin.id, datetime.now(UTC))
            session.commit()
        except BadRecord as bad:
            session.rollback()
            return _form(request, session, child, a, rule_error(bad, FIELD_IDS))
        flash(request, f"The allocation of {child.display_name} is saved.", "Saved")
        return RedirectResponse(f"/admin/children/{child_id}", status_code=303)

"""The page on which an IRO records good practice without a challenge: about one of their
children, a worker or a team. The rules live in `workflow.good_practice`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from api.auth import ReadSession, RuntimeDep, require_roles
from api.forms import FormFields, parse_date, require_text, rule_error
from api.templating import flash, render
from escalation_rules.model import Role
from workflow.child_access import iro_children, london_today
from workflow.good_practice import GoodPracticeRefused, NewGoodPractice, record_good_practice
from workflow.read_scope import end_reads
from workflow.tables import Child, Person, Team

router = APIRouter(include_in_schema=False)
Iro = Annotated[Person, require_roles(Role.IRO)]
ABOUT = {"child": "A child", "worker": "A worker", "team": "A team"}
FIELD_IDS = {"occurred_on": "occurred_on-day", "about": "about", "what": "what",
             "child_reference": "child_reference", "person_id": "person_id", "team_id": "team_id"}  # fmt: skip


def _form(request: Request, session: Session, iro: Person, a: dict[str, str],
          errors: dict[str, str]) -> Response:  # fmt: skip
    assert iro.id is not None
    child = Child.__table__  # type: ignore[attr-defined]
    children = session.execute(
        sa.select(child.c.case_reference, child.c.display_name)
        .where(iro_children(iro.id, london_today())).order_by(child.c.display_name)
    ).all()  # fmt: skip
    workers = session.exec(select(Person).where(col(Person.active), Person.role != Role.IRO.value)
                           .order_by(Person.name)).all()  # fmt: skip
    context = {"a": a, "errors": errors, "about": ABOUT, "children": children,
               "workers": workers, "teams": session.exec(select(Team).order_by(Team.name)).all()}  # fmt: skip
    return render(request, "good_practice/new.html", context, status_code=422 if errors else 200)


@router.get("/good-practice/new")
def new_good_practice(
    request: Request, iro: Iro, session: ReadSession,
    child: Annotated[str, Query(max_length=40)] = "",
) -> Response:  # fmt: skip
    return _form(
        request, session, iro, {"about": "child" if child else "", "child_reference": child}, {}
    )


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2_147_483_648 else None


@router.post("/good-practice/new")
def record(request: Request, iro: Iro, runtime: RuntimeDep, form: FormFields) -> Response:
    assert iro.id is not None
    errors: dict[str, str] = {}
    a = dict(form)
    about = a.get("about", "")
    if about not in ABOUT:
        errors["about"] = "Select who the good practice is about"
    on = parse_date(form, "occurred_on", "the date of the good practice", errors)
    what = require_text(form, "what", "Enter what was done well", errors)
    picked = {"child": "child_reference", "worker": "person_id", "team": "team_id"}.get(about)
    if picked and not a.get(picked, "").strip():
        errors[picked] = f"Select the {about}"
    if not errors and on is not None:
        new = NewGoodPractice(on, what,
                              child_reference=a.get("child_reference") if about == "child" else None,
                              person_id=_id(a.get("person_id", "")) if about == "worker" else None,
                              team_id=_id(a.get("team_id", "")) if about == "team" else None)  # fmt: skip
        end_reads()  # one connection per request: the sign-in check's reads give theirs back
        try:
            with runtime.uow() as uow:
                record_good_practice(uow, new, iro.id, datetime.now(UTC))
        except GoodPracticeRefused as refused:
            errors = rule_error(refused, FIELD_IDS)
        else:
            flash(request, f"Good practice on {on:%-d %B %Y} recorded", "Recorded")
            if about == "child":
                return RedirectResponse(f"/children/{new.child_reference}/footprint",
                                        status_code=303)  # fmt: skip
            return RedirectResponse("/good-practice/new", status_code=303)
    with Session(runtime.engine) as session:
        return _form(request, session, iro, a, errors)

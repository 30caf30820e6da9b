"""The access log for admins: search by child (for a subject access request) and by person
(for an investigation), page through it, and export what the search finds as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import ReadSession, require_roles
from api.reports.tables import csv_cell
from api.tables import AccessLogEntry
from api.templating import london_time, render
from escalation_rules.model import Role
from workflow.tables import ChallengeRecord, Child, Person

router = APIRouter(include_in_schema=False, prefix="/admin")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
PER_PAGE, MAX_EXPORT = 100, 100_000
_LOG = AccessLogEntry.__table__  # type: ignore[attr-defined]
_P = Person.__table__  # type: ignore[attr-defined]
_C = ChallengeRecord.__table__  # type: ignore[attr-defined]
_CH = Child.__table__  # type: ignore[attr-defined]


# A row about a child whose record a retention run removed keeps the child's number only
# (the access log goes by its own period): say so rather than show nothing.
REMOVED = "record removed (retention)"


def _query(child: str, person: str) -> sa.Select[Any]:
    who = sa.case((_P.c.name.is_(None), _LOG.c.actor), else_=_P.c.name)
    removed = sa.and_(_CH.c.id.is_(None), _LOG.c.child_id.is_not(None))
    case_reference = sa.case((removed, sa.literal(REMOVED)), else_=_CH.c.case_reference)
    query = (
        sa.select(_LOG.c.viewed_at, _LOG.c.via, _LOG.c.what, _LOG.c.ip, who.label("name"),
                  _P.c.email, _C.c.reference, case_reference.label("case_reference"))
        .select_from(_LOG.outerjoin(_P, _P.c.id == _LOG.c.person_id)
                     .outerjoin(_C, _C.c.id == _LOG.c.challenge_id)
                     .outerjoin(_CH, _CH.c.id == _LOG.c.child_id))
        .order_by(_LOG.c.viewed_at.desc(), _LOG.c.id.desc())
    )  # fmt: skip
    if child.strip():
        query = query.where(_CH.c.case_reference == child.strip())
    if person.strip():
        query = query.where(sa.func.lower(_P.c.email) == person.strip().lower())
    return query


@router.get("/access-log")
def access_log(
    request: Request, admin: Admin, session: ReadSession,
    child: Annotated[str, Query(max_length=40)] = "",
    person: Annotated[str, Query(max_length=320)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:  # fmt: skip
    rows = session.execute(
        _query(child, person).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    return render(request, "admin/access_log.html", {
        "rows": rows[:PER_PAGE], "page": page, "more": len(rows) > PER_PAGE,
        "child": child.strip(), "person": person.strip()})  # fmt: skip


@router.get("/access-log.csv")
def access_log_csv(
    admin: Admin, session: ReadSession,
    child: Annotated[str, Query(max_length=40)] = "",
    person: Annotated[str, Query(max_length=320)] = "",
) -> Response:  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when (London)", "who", "email", "child", "challenge", "what", "how", "from"])
    for r in session.execute(_query(child, person).limit(MAX_EXPORT)):
        writer.writerow([csv_cell(v) for v in (london_time(r.viewed_at), r.name, r.email,
                         r.case_reference, r.reference, r.what, r.via, r.ip)])  # fmt: skip
    name = "-".join(x for x in ("access-log", child.strip(), person.strip()) if x)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})  # fmt: skip

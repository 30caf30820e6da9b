"""The JSON API for the SMT report, its drill-downs, and a child's footprint and activity.

Same rules as the pages: reports for SMT readers, the Head of Service, senior managers and
admins; a footprint for whoever may see that child's challenges; activity by the child's IRO.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import CurrentPerson, RuntimeDep, record_access
from api.reports.access import ReportReader, as_at_from, check_may_see_child, period_from
from api.reports.children_shown import CHILDREN_FIGURES, children_behind, may_name_children
from api.reports.footprint_export import footprint_json
from api.reports.good_practice import good_practice_behind
from api.reports.monthly import last_month
from api.reports.tables import report_json
from workflow.activity import NewActivity, record_activity
from workflow.activity_tables import ActivityKind
from workflow.db import read_only_engine
from workflow.footprint import child_footprint
from workflow.good_practice import NewGoodPractice, record_good_practice
from workflow.report_queries import drilldown, smt_report

router = APIRouter(tags=["reports"])
_HELP = "YYYY-MM-DD; give both dates, or neither for last month"
From = Annotated[str | None, Query(alias="from", description=_HELP)]
To = Annotated[str | None, Query(alias="to", description=_HELP)]
AsAt = Annotated[
    str | None,
    Query(description="The report as the log stood at this moment: a date (the end of that "
          "day) or a date and time, London time unless it has an offset; default now"),
]  # fmt: skip


@router.get("/reports/smt")
def smt(
    person: ReportReader, runtime: RuntimeDep, start: From = None, end: To = None,
    as_at: AsAt = None,
) -> dict[str, Any]:  # fmt: skip
    """Every figure for the period and the previous one, with its definition and drill-down keys."""
    now = datetime.now(UTC)
    period = period_from(start, end, last_month(now))
    moment = as_at_from(as_at, now)
    engine = read_only_engine(runtime.engine)
    report = smt_report(
        engine, runtime.ladders.current, period, now, moment, roll_with=runtime.engine
    )
    return report_json(report)


@router.get("/reports/smt/drilldown")
def smt_drilldown(
    person: ReportReader, runtime: RuntimeDep, cell: str, start: From = None, end: To = None,
    as_at: AsAt = None,
) -> dict[str, Any]:  # fmt: skip
    """The challenge references (children, for contacts and caseloads) behind one cell."""
    now = datetime.now(UTC)
    period = period_from(start, end, last_month(now))
    moment = as_at_from(as_at, now)
    refs = drilldown(runtime.engine, runtime.ladders.current, period, cell, moment or now,
                     rebuilt=moment is not None and moment < now)  # fmt: skip
    found: dict[str, Any] = {
        "cell": cell,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "references": refs,
    }
    if cell.partition(":")[0] in CHILDREN_FIGURES:  # references are children's
        if may_name_children(person):
            children_behind(runtime.engine, person, refs, "api", cell)  # logs each child
        else:  # SMT readers learn how many children, not which
            found["references"] = []
            found["count"] = len(refs)
            found["children_not_named"] = True
    if cell.partition(":")[0] == "good_practice_recorded":  # references are the records' ids
        shown = good_practice_behind(runtime.engine, person, refs, "api", cell)
        found["good_practice"] = [g.as_json() for g in shown]
    return found


@router.get("/children/{reference}/footprint")
def footprint(
    reference: str, person: CurrentPerson, runtime: RuntimeDep, as_at: AsAt = None
) -> dict[str, Any]:
    child_id = check_may_see_child(runtime.engine, person, reference)
    moment = as_at_from(as_at, datetime.now(UTC))
    footprint = child_footprint(runtime.engine, runtime.ladders.current, reference, moment)
    assert person.id is not None
    record_access(
        runtime.engine, person.id, "api", child_id=child_id, what=f"footprint of child {reference}"
    )
    return footprint_json(footprint)


class ActivityCreate(BaseModel):
    kind: ActivityKind
    occurred_on: date
    note: str = Field(min_length=1, max_length=10_000)


class ActivityPublic(BaseModel):
    id: int
    child_reference: str
    kind: ActivityKind
    occurred_on: date
    note: str


class GoodPracticeCreate(BaseModel):
    """About exactly one of a child (case reference), a worker (person id) or a team (id)."""

    occurred_on: date
    what: str = Field(min_length=1, max_length=10_000)
    child_reference: str | None = Field(default=None, max_length=40)
    person_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    team_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class GoodPracticePublic(GoodPracticeCreate):
    id: int


@router.post("/good-practice", status_code=201)
def add_good_practice(
    body: GoodPracticeCreate, person: CurrentPerson, runtime: RuntimeDep
) -> GoodPracticePublic:
    """Record good practice without a challenge (an IRO; about a child, only the child's IRO
    or one covering for them)."""
    assert person.id is not None
    with runtime.uow() as uow:
        row = record_good_practice(uow, NewGoodPractice(**body.model_dump()), person.id,
                                   datetime.now(UTC))  # fmt: skip
        assert row.id is not None
        return GoodPracticePublic(id=row.id, **body.model_dump())


@router.post("/children/{reference}/activities", status_code=201)
def add_activity(
    reference: str, body: ActivityCreate, person: CurrentPerson, runtime: RuntimeDep
) -> ActivityPublic:
    """Record an IRO's activity between reviews; only the child's IRO may."""
    assert person.id is not None
    with runtime.uow() as uow:
        row = record_activity(
            uow,
            NewActivity(reference, body.kind, body.occurred_on, body.note),
            person.id,
            datetime.now(UTC),
        )
    assert row.id is not None
    return ActivityPublic(
        id=row.id,
        child_reference=reference,
        kind=ActivityKind(row.kind),
        occurred_on=row.occurred_on,
        note=row.note,
    )

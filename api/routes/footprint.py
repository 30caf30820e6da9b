"""A child's footprint page: every challenge step and IRO activity in date order, the
form on which the child's IRO records activity between reviews, and the exports."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.auth import CurrentPerson, RuntimeDep, reader_engine, record_access
from api.forms import FormFields, parse_date, require_text, rule_error
from api.reports.access import as_at_from, check_may_see_child, child_iro_id
from api.reports.footprint_export import footprint_csv, footprint_pdf
from api.templating import flash, render
from escalation_rules.model import Role
from workflow.activity import ActivityRefused, NewActivity, record_activity
from workflow.activity_tables import ActivityKind
from workflow.footprint import Footprint, child_footprint
from workflow.page_queries import visible_references
from workflow.runtime import Runtime
from workflow.tables import Person

router = APIRouter(include_in_schema=False)
FIELD_IDS = {"occurred_on": "occurred_on-day", "kind": "kind", "note": "note"}


def _footprint(runtime: Runtime, person: Person, reference: str, via: str,
               request: Request | None = None) -> Footprint:  # fmt: skip
    """The footprint; `?as_at=` on the request: only what had happened by then."""
    child_id = check_may_see_child(runtime.engine, person, reference)
    as_at = as_at_from(request.query_params.get("as_at"), datetime.now(UTC)) if request else None
    fp = child_footprint(runtime.engine, runtime.ladders.current, reference, as_at)
    assert person.id is not None
    record_access(
        runtime.engine, person.id, via, child_id=child_id, what=f"footprint of child {reference}"
    )
    return fp


def _may_record(runtime: Runtime, person: Person, reference: str) -> bool:
    return person.role == Role.IRO.value and child_iro_id(runtime.engine, reference) == person.id


def _linkable(runtime: Runtime, person: Person, fp: Footprint) -> set[str]:
    """The footprint's challenges this person may open: only those are links."""
    assert person.id is not None
    references = {e.challenge for e in fp.entries if e.challenge}
    with Session(reader_engine(runtime.engine)) as session:
        return visible_references(session, person.id, Role(person.role), references)


def _page(
    request: Request,
    runtime: Runtime,
    person: Person,
    fp: Footprint,
    a: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "footprint/show.html",
        {
            "fp": fp,
            "a": a,
            "errors": errors,
            "kinds": [(k.value, k.label) for k in ActivityKind],
            "may_record": _may_record(runtime, person, fp.child_reference),
            "linkable": _linkable(runtime, person, fp),
        },
        status_code=status,
    )


@router.get("/children/{reference}/footprint")
def footprint_page(
    request: Request, reference: str, person: CurrentPerson, runtime: RuntimeDep
) -> Response:
    fp = _footprint(runtime, person, reference, "page", request)
    return _page(request, runtime, person, fp, {}, {})


@router.post("/children/{reference}/activity")
def record_activity_form(
    request: Request, reference: str, person: CurrentPerson, runtime: RuntimeDep, form: FormFields
) -> Response:
    errors: dict[str, str] = {}
    on = parse_date(form, "occurred_on", "the date of the activity", errors)
    kind = form.get("kind", "")
    if kind not in {k.value for k in ActivityKind}:
        errors["kind"] = "Select what the activity was"
    note = require_text(form, "note", "Enter a note of what happened", errors)
    if not errors and on is not None:
        assert person.id is not None
        try:
            with runtime.uow() as uow:
                record_activity(
                    uow, NewActivity(reference, kind, on, note), person.id, datetime.now(UTC)
                )
        except ActivityRefused as refused:
            errors = rule_error(refused, FIELD_IDS)
        else:
            flash(request, f"{ActivityKind(kind).label} on {on:%-d %B %Y} recorded")
            return RedirectResponse(f"/children/{reference}/footprint", status_code=303)
    fp = _footprint(runtime, person, reference, "page")
    return _page(request, runtime, person, fp, form, errors, status=422)


@router.get("/children/{reference}/footprint.{suffix}")
def footprint_export(
    request: Request, reference: str, suffix: str, person: CurrentPerson, runtime: RuntimeDep
) -> Response:
    if suffix not in ("csv", "pdf"):
        return Response(status_code=404)
    fp = _footprint(runtime, person, reference, suffix, request)
    if suffix == "csv":
        body, media = footprint_csv(fp).encode(), "text/csv; charset=utf-8"
    else:
        body, media = footprint_pdf(fp), "application/pdf"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="footprint-{reference}.{suffix}"'},
    )

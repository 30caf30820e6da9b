"""The challenge log for the Head of Service, senior managers and admins: filter, search,
sort, page through, and export the same selection to CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from api.auth import ReadSession, RuntimeDep, reader_engine, record_access, require_roles
from api.log_filters import STATUSES, parse_filters, selected_filters, status_label
from api.presenters import stage_name, state_tag_class
from api.templating import render
from escalation_rules.model import Role
from workflow import queries
from workflow.read_scope import end_reads
from workflow.tables import Person

router = APIRouter(include_in_schema=False)
STATUS_CHOICES = tuple((s, status_label(s)) for s in STATUSES)
Overseer = Annotated[Person, require_roles(Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN)]
CSV_COLUMNS = (
    "reference",
    "child_reference",
    "status",
    "stage",
    "theme",
    "team",
    "iro",
    "responder",
    "raised_at",
    "due_at",
    "overdue",
)


@router.get("/log")
def log_page(
    request: Request, person: Overseer, session: ReadSession, runtime: RuntimeDep
) -> Response:
    filters, errors = parse_filters(request.query_params)
    now = datetime.now(UTC)
    page = queries.challenge_log(session, filters, now)
    ladder = runtime.ladders.current
    choices = runtime.log_lists.choices(session)
    # Everything is read: give the connection back here, in this thread, before rendering,
    # rather than after it in a thread of its own (api.one_connection.give_back).
    end_reads()
    dates = _date_parts(request.query_params, filters)
    menus = request.app.state.log_menus.menus(choices)
    stages = [(s.key, s.name) for s in ladder.stages]
    return render(
        request,
        "log/log.html",
        {
            "filter_form": request.app.state.log_forms.form(
                filters, dates, errors, menus, STATUS_CHOICES, stages
            ),
            "selected": selected_filters(filters, choices, ladder),
            "page": page,
            "f": filters,
            "errors": errors,
            "now": now,
            "stage_name": lambda k: stage_name(ladder, k),
            "tag": state_tag_class,
            "url": lambda **ch: "/log?" + urlencode(filters.query_args(**ch)),
            "csv_url": "/log.csv?" + urlencode(filters.query_args(page=1)),
        },
    )


def _date_parts(args: Mapping[str, str], f: queries.LogFilters) -> dict[str, str]:
    """What the date inputs show: what was typed, or the filter's date from a link."""
    parts: dict[str, str] = {}
    for name, value in (("from", f.raised_from), ("to", f.raised_to)):
        for part in ("day", "month", "year"):
            typed = args.get(f"{name}-{part}")
            shown = typed if typed is not None else (str(getattr(value, part)) if value else "")
            parts[f"{name}-{part}"] = shown
    return parts


@router.get("/log.csv")
def log_csv(request: Request, person: Overseer, runtime: RuntimeDep) -> Response:
    filters, _ = parse_filters(request.query_params)
    assert person.id is not None
    record_access(
        runtime.engine,
        person.id,
        "csv",
        what="challenge log export " + str(request.url.query)[:150],
    )
    ladder = runtime.ladders.current
    engine = reader_engine(runtime.engine)

    def rows() -> Iterator[str]:
        now = datetime.now(UTC)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with Session(engine) as session:
            for n, r in enumerate(queries.iter_log(session, filters, now), start=1):
                writer.writerow(
                    [
                        r.reference,
                        _safe(r.child_reference),
                        r.state,
                        stage_name(ladder, r.stage_key),
                        r.theme,
                        _safe(r.team_name or ""),
                        _safe(r.iro_name),
                        _safe(r.responder_name or ""),
                        r.raised_at.isoformat(),
                        r.due_at.isoformat() if r.due_at else "",
                        "yes" if r.overdue(now) else "no",
                    ]
                )
                if n % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="challenge-log-{stamp}.csv"'},
    )


def _safe(value: str) -> str:
    """No formula injection when the CSV is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

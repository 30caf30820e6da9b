"""The JSON API: list (the log, with the same filters), read, raise and act on challenges.

Authenticated only by personal API tokens (`Authorization: Bearer ...`). The same
visibility rule as the pages applies; a challenge a caller may not see is a 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import CurrentPerson, ReadSession, RuntimeDep
from api.log_filters import parse_filters
from api.logs import get_logger
from api.views import actions_for, view_and_record, viewable, visibility
from escalation_rules.model import Role
from workflow import queries
from workflow.errors import NotPermitted
from workflow.people_records import posts_held
from workflow.read_scope import end_reads
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge, take_action
from workflow.states import Action
from workflow.tables import Person

log = get_logger("iro_disputes.api")

router = APIRouter(tags=["challenges"])
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API token", **_PROBLEM},
    403: {"description": "Not permitted", **_PROBLEM},
    404: {"description": "No such challenge (or not one you may see)", **_PROBLEM},
}


class ChallengePublic(BaseModel):
    reference: str
    child_reference: str
    state: str
    stage: str | None
    theme: str
    theme_label: str
    iro: str
    responder: str | None
    team: str | None
    raised_at: datetime
    due_at: datetime | None
    cap_due_at: datetime | None
    overdue: bool
    version: int

    @classmethod
    def of(cls, row: queries.ChallengeRow, now: datetime) -> ChallengePublic:
        return cls(**cls.fields_of(row, now))

    @classmethod
    def fields_of(cls, row: queries.ChallengeRow, now: datetime) -> dict[str, Any]:
        return dict(
            reference=row.reference,
            child_reference=row.child_reference,
            state=row.state,
            stage=row.stage_key,
            theme=row.theme_key,
            theme_label=row.theme,
            iro=row.iro_name,
            responder=row.responder_name,
            team=row.team_name,
            raised_at=row.raised_at,
            due_at=row.due_at,
            cap_due_at=row.cap_due_at,
            overdue=row.overdue(now),
            version=row.version,
        )


class EventPublic(BaseModel):
    seq: int
    kind: str
    occurred_at: datetime
    actor: str | None
    from_state: str
    to_state: str
    stage: str | None
    details: dict[str, Any]


class ChallengeDetail(ChallengePublic):
    allowed_actions: list[str]
    events: list[EventPublic]


class ChallengeList(BaseModel):
    total: int = Field(description="How many match, counted up to 10,000 (see `more`)")
    more: bool = Field(
        default=False,
        description="More than `total` match: `total` and `pages` cover the first 10,000; "
        "later pages still answer",
    )
    page: int
    per_page: int
    pages: int
    items: list[ChallengePublic]
    next: str | None = Field(
        default=None,
        description="The cursor of the next page: pass it back as `cursor` (also in the "
        "Link header, rel=next); none on the last page. Pages by number reach the first 10.",
    )


class InformalIn(BaseModel):
    discussed_with: str = Field(min_length=1, max_length=200)
    discussed_on: date
    agreed_actions: str = Field(min_length=1, max_length=10_000)
    agreed_by: date


class ChallengeCreate(BaseModel):
    child_reference: str = Field(min_length=1, max_length=40)
    theme_key: str = Field(min_length=1, max_length=60)
    what_is_wrong: str = Field(min_length=1, max_length=10_000)
    impact_on_child: str = Field(min_length=1, max_length=10_000)
    outcome_wanted: str = Field(min_length=1, max_length=10_000)
    review_date: date | None = None
    formal: bool = False
    stage: str | None = Field(default=None, max_length=60)
    informal: InformalIn | None = None
    high_risk_reason: str | None = Field(
        default=None,
        max_length=10_000,
        pattern=r"^[^\x00]*$",
        description="Why informal resolution is skipped where risk is high (if the ladder allows)",
    )


class ActionRequest(BaseModel):
    version: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="The version you read; a stale one is a 409"
    )
    params: dict[str, str | int | None] = Field(default_factory=dict)


class LogQuery(BaseModel):
    status: str | None = None
    stage: str | None = None
    theme: str | None = None
    team: int | None = Field(default=None, ge=1, le=2**31 - 1)
    iro: int | None = Field(default=None, ge=1, le=2**31 - 1)
    responder: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overdue: bool = False
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    child: str | None = None
    sort: Literal["raised", "due", "reference", "status", "stage"] = "raised"
    order: Literal["asc", "desc"] = "desc"
    page: int = Field(
        default=1, ge=1, le=100_000, description="Up to 10; after that, follow `next`"
    )
    per_page: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None, max_length=400, description="A page's `next` cursor, from the page before"
    )


async def _log_query(q: Annotated[LogQuery, Query()]) -> LogQuery:  # no I/O: no thread
    return q


LIST_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"description": "A page number past 10 (follow `next`), or a bad cursor", **_PROBLEM},
}


@router.get("/challenges", response_model=ChallengeList, responses=LIST_ERRORS)
def list_challenges(
    request: Request,
    person: CurrentPerson,
    session: ReadSession,
    q: Annotated[LogQuery, Depends(_log_query)],
) -> Response:
    """The challenges you may see, filtered, sorted and paginated like the challenge log."""
    args = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in q.model_dump(by_alias=True).items()
        if v is not None
    }
    filters, _ = parse_filters(args)
    assert person.id is not None
    now = datetime.now(UTC)
    page = queries.challenge_log(
        session, filters, now, visibility(session, person), Role(person.role)
    )
    end_reads()  # all read: the connection goes back in this thread, not in one of its own
    headers = {}
    if page.next_cursor:
        following = request.url.include_query_params(cursor=page.next_cursor).remove_query_params(
            "page"
        )
        headers["Link"] = f'<{following}>; rel="next"'
    # Built without validating again what the typed rows already are, and written straight
    # to JSON: returned as a model, FastAPI would validate all fifty items once more (in
    # another thread) before writing them. `response_model` still documents the answer.
    listed = ChallengeList.model_construct(
        total=page.total,
        more=page.more,
        page=page.filters.page,
        per_page=filters.per_page,
        pages=page.pages,
        items=[
            ChallengePublic.model_construct(**ChallengePublic.fields_of(r, now)) for r in page.rows
        ],
        next=page.next_cursor,
    )
    return Response(listed.model_dump_json(), media_type="application/json", headers=headers)


def _detail(
    runtime: Any, session: Any, person: Person, row: queries.ChallengeRow
) -> ChallengeDetail:
    now = datetime.now(UTC)
    events = [
        EventPublic(
            seq=e.seq,
            kind=e.kind,
            occurred_at=e.occurred_at,
            actor=e.actor_name,
            from_state=e.from_state,
            to_state=e.to_state,
            stage=e.stage_key,
            details=e.details,
        )
        for e in queries.timeline(session, row.id)
    ]
    actions = [a.value for a in actions_for(runtime, person, row, session)]
    return ChallengeDetail(
        **ChallengePublic.of(row, now).model_dump(), allowed_actions=actions, events=events
    )


@router.get("/challenges/{reference}", response_model=ChallengeDetail, responses=ERRORS)
def get_challenge(
    reference: str, person: CurrentPerson, session: ReadSession, runtime: RuntimeDep
) -> ChallengeDetail:
    """One challenge with its footprint and the actions you may take now (recorded in the access log)."""
    row = view_and_record(runtime, session, person, reference, "api")
    return _detail(runtime, session, person, row)


@router.post(
    "/challenges",
    status_code=201,
    response_model=ChallengeDetail,
    responses={**ERRORS, 422: {"description": "A field is missing or wrong", **_PROBLEM}},
)
def create_challenge(
    body: ChallengeCreate,
    request: Request,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
) -> ChallengeDetail | JSONResponse:
    """Raise a challenge (IROs only)."""
    if Role(person.role) is not Role.IRO or person.id is None:
        raise NotPermitted(person.name, "raise", "a new challenge")
    informal = InformalDiscussion(**body.informal.model_dump()) if body.informal else None
    new = NewChallenge(**body.model_dump(exclude={"informal"}), informal=informal)
    with runtime.uow() as uow:
        reference = raise_challenge(uow, new, person.id, datetime.now(UTC)).reference
    return _saved(runtime, session, person, reference, 201)


@router.post(
    "/challenges/{reference}/actions/{action}",
    response_model=ChallengeDetail,
    responses={
        **ERRORS,
        409: {
            "description": "Not allowed in the current state, or changed by "
            "someone else since you read it",
            **_PROBLEM,
        },
        422: {"description": "A parameter is missing or wrong", **_PROBLEM},
    },
)
def act(
    reference: str,
    action: Action,
    body: ActionRequest,
    person: CurrentPerson,
    session: ReadSession,
    runtime: RuntimeDep,
) -> ChallengeDetail | JSONResponse:
    """Take an action: the same rules as the page buttons. Send the version you read."""
    viewable(session, person, reference)
    with runtime.uow() as uow:
        take_action(uow, reference, action, person.id, body.params, datetime.now(UTC), body.version)
    return _saved(runtime, session, person, reference, 200)


def _saved(
    runtime: Any, session: Any, person: Person, reference: str, status: int
) -> ChallengeDetail | JSONResponse:
    """The challenge as it is now; if reading it back fails, still say it was saved.

    The action has committed: answering 5xx would tell the client it failed and invite
    a second attempt. The answer names what to GET for the details instead."""
    try:
        return _detail(runtime, session, person, viewable(session, person, reference))
    except sa.exc.SQLAlchemyError as error:
        log.warning("saved, but reading it back failed", reference=reference,
                    error=str(error).splitlines()[0])  # fmt: skip
        url = f"/api/v1/challenges/{reference}"
        body = {"reference": reference, "saved": True,
                "detail": f"Saved. Reading it back failed just now: GET {url} for the details."}  # fmt: skip
        return JSONResponse(body, status_code=status, headers={"Location": url})


class Me(BaseModel):
    id: int
    name: str
    email: str
    role: str
    posts: list[str] = Field(description="The ladder's posts this person holds, by key")


@router.get("/me", response_model=Me, responses=ERRORS, tags=["people"])
def me(person: CurrentPerson, session: ReadSession) -> Me:
    """Who the token belongs to, and the posts they hold."""
    assert person.id is not None
    return Me(id=person.id, name=person.name, email=person.email, role=person.role,
              posts=posts_held(session, person.id))  # fmt: skip

"""Raise a challenge: a short form, then check your answers, then the confirmation.

The answers travel in the form itself (hidden fields on the check page), so
nothing half-made is stored and a long description never overflows a cookie.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from api.auth import ReadSession, RuntimeDep, require_roles
from api.check_answers import answer_rows, child_rows, where_it_goes
from api.forms import FormFields, parse_date, require_text, rule_error
from api.templating import render
from escalation_rules.model import Ladder, Role
from workflow import queries
from workflow.challenge_dates import date_problems
from workflow.child_access import london_today
from workflow.errors import NoResponder, NotFound, RuleViolation
from workflow.runtime import Runtime
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge
from workflow.tables import Child, Person, Theme

router = APIRouter(include_in_schema=False)
Iro = Annotated[Person, require_roles(Role.IRO)]
FIELDS = (
    "child_reference",
    "route",
    "stage",
    "theme_key",
    "what_is_wrong",
    "impact_on_child",
    "outcome_wanted",
    "discussed_with",
    "agreed_actions",
    "high_risk_reason",
)
DATES = ("review_date", "discussed_on", "agreed_by")
DATE_FIELD_IDS = {f: f"{f}-day" for f in DATES}


def _themes(session: Session) -> list[tuple[str, str]]:
    rows = session.exec(select(Theme).where(Theme.active == True).order_by(Theme.position))  # type: ignore[arg-type]  # noqa: E712
    return [(t.key, t.label) for t in rows]


def _answers(form: Mapping[str, Any]) -> dict[str, str]:
    keys = [*FIELDS, *(f"{d}-{p}" for d in DATES for p in ("day", "month", "year"))]
    return {k: str(form.get(k, "")).strip() for k in keys}


def _validate(
    answers: dict[str, str], session: Session, ladder: Ladder, today: date
) -> tuple[NewChallenge | None, dict[str, str]]:
    errors: dict[str, str] = {}
    ref = require_text(answers, "child_reference", "Enter the child's case reference", errors, 40)
    if ref and session.exec(select(Child).where(Child.case_reference == ref)).first() is None:
        errors["child_reference"] = f"There is no child with the case reference {ref}"
    route = answers.get("route")
    if route not in ("informal", "formal"):
        errors["route"] = "Select whether this is informal resolution or a formal challenge"
    starting = {s.key for s in ladder.starting_stages}
    if route == "formal" and answers.get("stage") not in starting:
        errors["stage"] = "Select the stage the challenge starts at"
    themes = {k for k, _ in _themes(session)}
    if answers.get("theme_key") not in themes:
        errors["theme_key"] = "Select a theme"
    what = require_text(answers, "what_is_wrong", "Enter what is wrong", errors)
    review = parse_date(answers, "review_date", "the date of the review", errors)
    _date_rules(errors, today, review_date=review)
    impact = require_text(answers, "impact_on_child", "Enter the impact on the child", errors)
    outcome = require_text(answers, "outcome_wanted", "Enter the outcome wanted", errors)
    high_risk = answers.get("high_risk_reason", "") if ladder.high_risk_may_skip_informal else ""
    skips = route == "formal" and bool(high_risk)
    informal = _informal(
        answers, errors, today, needed=route == "informal" or (ladder.informal_first and not skips)
    )
    if errors:
        return None, errors
    return NewChallenge(
        child_reference=ref,
        theme_key=answers["theme_key"],
        what_is_wrong=what,
        impact_on_child=impact,
        outcome_wanted=outcome,
        review_date=review,
        formal=route == "formal",
        stage=answers.get("stage") if route == "formal" else None,
        informal=informal,
        high_risk_reason=high_risk if skips else None,
    ), {}


def _informal(
    answers: dict[str, str], errors: dict[str, str], today: date, needed: bool
) -> InformalDiscussion | None:
    given = any(
        answers.get(k)
        for k in ("discussed_with", "agreed_actions", "discussed_on-day", "agreed_by-day")
    )
    if not (needed or given):
        return None
    who = require_text(answers, "discussed_with", "Enter who you discussed it with", errors, 200)
    on = parse_date(answers, "discussed_on", "the date of the informal discussion", errors)
    actions = require_text(answers, "agreed_actions", "Enter the actions agreed", errors)
    by = parse_date(answers, "agreed_by", "the date the actions were due", errors)
    _date_rules(errors, today, discussed_on=on, agreed_by=by)
    if who and on and actions and by:
        return InformalDiscussion(who, on, actions, by)
    return None


def _date_rules(errors: dict[str, str], today: date, **dates: date | None) -> None:
    """The domain's date rules, shown beside the field (never over a parse error)."""
    for problem in date_problems(today, **dates):
        for field, message in rule_error(problem, DATE_FIELD_IDS).items():
            errors.setdefault(field, message)


def _form(
    request: Request,
    session: Session,
    ladder: Ladder,
    answers: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "challenges/new.html",
        {
            "a": answers,
            "errors": errors,
            "themes": _themes(session),
            "stages": [(s.key, s.name) for s in ladder.starting_stages],
            "informal_first": ladder.informal_first,
            "high_risk": ladder.high_risk_may_skip_informal,
        },
        status_code=status,
    )


@router.get("/challenges/new")
def new_challenge(
    request: Request, person: Iro, session: ReadSession, runtime: RuntimeDep, child: str = ""
) -> Response:
    return _form(request, session, runtime.ladders.current, {"child_reference": child.strip()}, {})


@router.post("/challenges/new")
def check_answers(
    request: Request, person: Iro, session: ReadSession, runtime: RuntimeDep, form: FormFields
) -> Response:
    answers = _answers(form)
    ladder = runtime.ladders.current
    now = datetime.now(UTC)
    new, errors = _validate(answers, session, ladder, london_today(now))
    if new is None or request.query_params.get("change"):
        return _form(request, session, ladder, answers, errors, 422 if errors else 200)
    assert person.id is not None
    child = session.exec(select(Child).where(Child.case_reference == new.child_reference)).one()
    route, missing = where_it_goes(session, ladder, new, child, person.id, datetime.now(UTC))
    return render(
        request,
        "challenges/check.html",
        {
            "a": answers,
            "child_rows": child_rows(session, child),
            "route_rows": route,
            "missing": missing,
            "answer_rows": answer_rows(session, new),
            "errors": {"choose-stage": missing} if missing else {},
        },
        status_code=422 if missing else 200,
    )


@router.post("/challenges/new/confirm")
def confirm(
    request: Request, person: Iro, session: ReadSession, runtime: RuntimeDep, form: FormFields
) -> Response:
    answers = _answers(form)
    ladder = runtime.ladders.current
    now = datetime.now(UTC)
    new, errors = _validate(answers, session, ladder, london_today(now))
    if new is not None:
        try:
            reference = _raise(runtime, new, person, now)
            return RedirectResponse(f"/challenges/new/done/{reference}", status_code=303)
        except RuleViolation as error:
            errors = rule_error(
                error,
                {"informal": "discussed_with", "informal_discussion": "discussed_with"}
                | DATE_FIELD_IDS,
            )
        except NoResponder as error:
            errors = {"stage": str(error)}
    return _form(request, session, ladder, answers, errors, 422)


def _raise(runtime: Runtime, new: NewChallenge, person: Person, now: datetime) -> str:
    assert person.id is not None
    with runtime.uow() as uow:
        return raise_challenge(uow, new, person.id, now).reference


@router.get("/challenges/new/done/{reference}")
def done(request: Request, reference: str, person: Iro, session: ReadSession) -> Response:
    assert person.id is not None
    if not queries.may_view(session, person.id, Role.IRO, reference):
        raise NotFound("challenge", reference)
    return render(request, "challenges/done.html", {"reference": reference})

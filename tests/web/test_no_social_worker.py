"""A child with no allocated social worker, through the API and the pages: the ladder's
fallback answers; when nobody can, a 422 naming the stage and who is missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from tests.web.test_api import _body
from workflow.tables import ChallengeRecord, Child, Person, Team

TODAY = datetime.now(UTC).date()


def _unallocate(runtime, case_reference: str = "LL1001") -> None:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as s:
        child = s.exec(select(Child).where(Child.case_reference == case_reference)).one()
        team = s.exec(select(Team)).first()
        assert team is not None
        child.social_worker_id, child.team_id = None, team.id
        s.add(child)
        s.commit()


def _set(runtime, email: str, **values: object) -> None:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as s:
        person = s.exec(select(Person).where(Person.email == email)).one()
        for key, value in values.items():
            setattr(person, key, value)
        s.add(person)
        s.commit()


def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as s:
        return s.exec(select(func.count()).select_from(ChallengeRecord)).one()


def test_the_api_raises_to_the_ladders_fallback(anonymous, people, token_for, runtime):
    _unallocate(runtime)
    created = anonymous.post(
        "/api/v1/challenges", headers=token_for(people.council.iro), json=_body()
    )
    assert created.status_code == 201, created.text
    # The handbook's social worker stage falls back to the manager of the child's team.
    assert created.json()["responder"] == "Tara Manager"
    assert created.json()["stage"] == "social_worker"


def test_the_api_answers_422_naming_the_stage_and_who_is_missing(
    anonymous, people, token_for, runtime
):
    _unallocate(runtime)
    for email in ("tm@council.test", "dtm@council.test", "hos@council.test"):
        _set(runtime, email, active=False)
    answer = anonymous.post(
        "/api/v1/challenges", headers=token_for(people.council.iro), json=_body()
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["stage"] == "social_worker"
    assert problem["missing"][0] == ("social worker (the child has no allocated social worker)")
    assert problem["missing"][1] == "team manager in the child's team"
    assert problem["errors"][0]["field"] == "stage"
    assert "IRO-" not in problem["detail"]  # nothing was created, so no reference is quoted
    assert _count(runtime) == 0


def _answers(**changes: str) -> dict[str, str]:
    review = TODAY - timedelta(days=10)
    talk = TODAY - timedelta(days=9)
    agreed = TODAY - timedelta(days=2)
    answers = {
        "child_reference": "LL1001",
        "route": "formal",
        "stage": "social_worker",
        "theme_key": "health_assessments",
        "what_is_wrong": "No health assessment for 14 months",
        "impact_on_child": "Asthma unmonitored",
        "outcome_wanted": "Assessment booked",
        "discussed_with": "Sam Worker",
        "agreed_actions": "Book it",
    }
    for name, day in (("review_date", review), ("discussed_on", talk), ("agreed_by", agreed)):
        answers |= {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
                    f"{name}-year": str(day.year)}  # fmt: skip
    return answers | changes


def test_check_your_answers_says_who_it_goes_to_and_when(login, runtime):
    _unallocate(runtime)
    page = login("iro@council.test").post("/challenges/new", data=_answers())
    assert page.status_code == 200
    assert "It will go to" in page.text and "Tara Manager (fallback for Social worker)" in page.text
    assert "Response due" in page.text


def test_check_your_answers_shows_who_is_missing_and_keeps_the_answers(login, runtime):
    _unallocate(runtime)
    for email in ("tm@council.test", "dtm@council.test", "hos@council.test"):
        _set(runtime, email, active=False)
    iro = login("iro@council.test")
    page = iro.post("/challenges/new", data=_answers())
    assert page.status_code == 422
    assert "govuk-error-summary" in page.text
    assert "Nobody can answer at Social worker" in page.text
    assert "the child has no allocated social worker" in page.text
    assert "No health assessment for 14 months" in page.text  # the typed answers are kept
    # Confirming anyway (the page was open before the post fell vacant) creates nothing.
    confirmed = iro.post("/challenges/new/confirm", data=_answers(), follow_redirects=False)
    assert confirmed.status_code == 422
    assert "Nobody can answer at Social worker" in confirmed.text
    assert _count(runtime) == 0


def test_the_pages_raise_it_to_the_fallback_responder(login, runtime):
    _unallocate(runtime)
    confirmed = login("iro@council.test").post(
        "/challenges/new/confirm", data=_answers(), follow_redirects=False
    )
    assert confirmed.status_code == 303, confirmed.text
    with Session(runtime.engine) as s:
        created = s.exec(select(ChallengeRecord)).one()
        tara = s.exec(select(Person).where(Person.email == "tm@council.test")).one()
    assert (created.stage_key, created.responder_id) == ("social_worker", tara.id)
    assert confirmed.headers["location"].endswith(created.reference) or created.reference

"""Raising a challenge through the pages, the challenge page, and acting on it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.web.conftest import error_links, version_of
from workflow.services import allowed_actions

TODAY = datetime.now(UTC).date()


def _answers(**changes: str) -> dict[str, str]:
    past, due = TODAY - timedelta(days=20), TODAY - timedelta(days=5)
    review = TODAY - timedelta(days=30)
    answers = {
        "child_reference": "LL1001",
        "route": "formal",
        "stage": "team_manager",
        "theme_key": "health_assessments",
        "what_is_wrong": "<script>alert('x')</script> No assessment booked",
        "impact_on_child": "Asthma not monitored",
        "outcome_wanted": "Assessment within 10 days",
        "review_date-day": str(review.day),
        "review_date-month": str(review.month),
        "review_date-year": str(review.year),
        "discussed_with": "Sam Worker",
        "discussed_on-day": str(past.day),
        "discussed_on-month": str(past.month),
        "discussed_on-year": str(past.year),
        "agreed_actions": "Book it",
        "agreed_by-day": str(due.day),
        "agreed_by-month": str(due.month),
        "agreed_by-year": str(due.year),
    }
    answers.update(changes)
    return answers


def test_raise_with_a_mistake_then_check_answers_then_confirmation(login):
    iro = login("iro@council.test")
    wrong = iro.post(
        "/challenges/new",
        data=_answers(
            **{
                "review_date-day": "",
                "review_date-month": "",
                "review_date-year": "",
                "impact_on_child": "",
            }
        ),
    )
    assert wrong.status_code == 422
    assert error_links(wrong.text) == [
        ("review_date-day", "Enter the date of the review"),
        ("impact_on_child", "Enter the impact on the child"),
    ]
    assert 'id="review_date-day"' in wrong.text and "govuk-error-message" in wrong.text
    check = iro.post("/challenges/new", data=_answers())
    assert check.status_code == 200 and "Check your answers" in check.text
    done = iro.post("/challenges/new/confirm", data=_answers(), follow_redirects=False)
    assert done.status_code == 303
    confirmation = iro.get(done.headers["location"])
    reference = re.search(r'data-testid="reference">([^<]+)<', confirmation.text)
    assert reference is not None and reference.group(1).startswith("IRO-")
    page = iro.get(f"/challenges/{reference.group(1)}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Tara Manager" in page  # the team manager stage's responder


def test_future_review_date_and_unknown_child_are_refused(login):
    iro = login("iro@council.test")
    later = TODAY + timedelta(days=3)
    response = iro.post(
        "/challenges/new",
        data=_answers(
            **{
                "child_reference": "NOPE1",
                "review_date-day": str(later.day),
                "review_date-month": str(later.month),
                "review_date-year": str(later.year),
            }
        ),
    )
    assert dict(error_links(response.text)) == {
        "child_reference": "There is no child with the case reference NOPE1",
        "review_date-day": "The date of the review must be today or in the past",
    }


def test_change_answers_keeps_what_was_typed(login):
    iro = login("iro@council.test")
    response = iro.post("/challenges/new?change=1", data=_answers(outcome_wanted="Keep this text"))
    assert (
        response.status_code == 200
        and "Keep this text" in response.text
        and "Raise a challenge" in response.text
    )


def test_buttons_are_exactly_the_allowed_actions(login, raised, runtime):
    page = login("iro@council.test").get(f"/challenges/{raised}").text
    shown = re.findall(r'data-action="([^"]+)"', page)
    with runtime.uow() as uow:
        allowed = [
            a.value
            for a in allowed_actions(uow, uow.challenges.get(raised))
            if a.value != "respond"
        ]
    assert shown == allowed
    assert re.findall(
        r'data-action="([^"]+)"', login("sw@council.test").get(f"/challenges/{raised}").text
    ) == ["respond"]
    assert (
        re.findall(
            r'data-action="([^"]+)"', login("hos@council.test").get(f"/challenges/{raised}").text
        )
        == []
    )


def test_a_stale_version_is_a_conflict(login, raised):
    iro = login("iro@council.test")
    version = version_of(iro.get(f"/challenges/{raised}/actions/pause").text)
    assert (
        iro.post(
            f"/challenges/{raised}/actions/pause",
            data={"version": version, "reason": "Court"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    again = iro.post(
        f"/challenges/{raised}/actions/withdraw", data={"version": version, "reason": "x"}
    )
    assert again.status_code == 409


def test_an_action_the_state_does_not_allow_is_a_conflict(login, raised):
    iro = login("iro@council.test")
    assert iro.get(f"/challenges/{raised}/actions/close").status_code == 409
    assert iro.get(f"/challenges/{raised}/actions/no_such_thing").status_code == 404
    assert iro.get("/challenges/IRO-1999-9999").status_code == 404


def test_action_errors_name_the_field_in_govuk_words(login, raised):
    iro = login("iro@council.test")
    version = version_of(iro.get(f"/challenges/{raised}/actions/extend").text)
    response = iro.post(
        f"/challenges/{raised}/actions/extend",
        data={"version": version, "working_days": "99", "reason": "Waiting for court"},
    )
    assert response.status_code == 422
    assert error_links(response.text) == [
        ("working_days", "The number of working days must be between 1 and 60")
    ]


def test_the_timeline_shows_the_footprint(login, raised):
    sw = login("sw@council.test")
    version = version_of(sw.get(f"/challenges/{raised}/actions/respond").text)
    sw.post(
        f"/challenges/{raised}/actions/respond",
        data={
            "version": version,
            "response": "Booked for Tuesday",
            "actions": "Assessment",
            "target_date-day": "1",
            "target_date-month": "1",
            "target_date-year": "2031",
        },
    )
    page = login("iro@council.test").get(f"/challenges/{raised}").text
    timeline = page[page.index('data-testid="timeline"') :]
    assert timeline.index("Response received") < timeline.index("Challenge raised")
    assert "Booked for Tuesday" in timeline and "1 January 2031" in timeline


def test_the_sweeps_entries_have_human_titles_and_dates_in_words(login, raised, runtime, people):
    """Reminders and the overall cap, as the deadline sweep records them (details included)."""
    import json

    import sqlalchemy as sa

    remind = {"reminder": "2 working days before", "stage_due_at": "2026-12-02T17:00:00+00:00",
              "responder_id": people.council.social_worker, "copy": []}  # fmt: skip
    cap = {"cap_due_at": "2026-12-24T17:00:00+00:00", "cap_working_days": 20,
           "alert_to": "head_of_service", "head_of_service_id": people.council.head_of_service}  # fmt: skip
    with runtime.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at,"
                " from_state, to_state, changes, details) SELECT id, :seq, :kind, raised_at,"
                " raised_at, state, state, '{}', :details FROM challenge WHERE reference=:r"
            ),
            [{"r": raised, "seq": 90, "kind": "remind", "details": json.dumps(remind)},
             {"r": raised, "seq": 91, "kind": "alert_cap", "details": json.dumps(cap)}],
        )  # fmt: skip
    page = login("iro@council.test").get(f"/challenges/{raised}").text
    timeline = page[page.index('data-testid="timeline"') :]
    assert "Reminder sent" in timeline
    assert "Overall time limit passed: Head of Service alerted" in timeline
    assert "2 December 2026 at 5:00pm" in timeline and "24 December 2026 at 5:00pm" in timeline
    assert "Hugh Service" in timeline and "by The system" in timeline
    assert not re.search(r">\s*(remind|alert_cap)\s*<", timeline)
    iso = re.search(r".{200}\d{4}-\d{2}-\d{2}.{50}", timeline, re.S)
    assert iso is None, iso.group(0)

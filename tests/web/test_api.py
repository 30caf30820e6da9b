"""The JSON API: raise, read, act, and precise 4xx answers; the token command."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from api.tables import ApiToken
from api.wiring import build

TODAY = datetime.now(UTC).date()


def _body(**changes):
    body = {
        "child_reference": "LL1001",
        "theme_key": "health_assessments",
        "what_is_wrong": "No assessment",
        "impact_on_child": "Asthma",
        "outcome_wanted": "Booked",
        "formal": True,
        "stage": "social_worker",
        "review_date": str(TODAY - timedelta(days=10)),
        "informal": {
            "discussed_with": "Sam",
            "discussed_on": str(TODAY - timedelta(days=9)),
            "agreed_actions": "Book",
            "agreed_by": str(TODAY - timedelta(days=2)),
        },
    }
    body.update(changes)
    return body


def test_raise_read_and_act_through_the_api(anonymous, people, token_for):
    iro = token_for(people.council.iro)
    created = anonymous.post("/api/v1/challenges", headers=iro, json=_body())
    assert created.status_code == 201
    challenge = created.json()
    assert challenge["state"] == "awaiting_response" and challenge["responder"] == "Sam Worker"
    ref = challenge["reference"]
    sw = token_for(people.council.social_worker)
    answered = anonymous.post(
        f"/api/v1/challenges/{ref}/actions/respond",
        headers=sw,
        json={
            "version": challenge["version"],
            "params": {
                "response": "Booked",
                "actions": "Assessment",
                "target_date": str(TODAY + timedelta(days=9)),
            },
        },
    )
    assert answered.status_code == 200 and answered.json()["state"] == "response_received"
    accepted = anonymous.post(
        f"/api/v1/challenges/{ref}/actions/accept",
        headers=iro,
        json={
            "params": {"outcome_kind": "plan_updated", "outcome": "Booked", "impact": "Monitored"}
        },
    )
    assert accepted.json()["state"] == "resolved"
    assert [e["kind"] for e in accepted.json()["events"]] == ["raise_formal", "respond", "accept"]


def test_precise_client_errors(anonymous, people, token_for, raised):
    iro = token_for(people.council.iro)
    assert anonymous.get("/api/v1/challenges/IRO-1999-0001", headers=iro).status_code == 404
    conflict = anonymous.post(
        f"/api/v1/challenges/{raised}/actions/accept", headers=iro, json={"params": {}}
    )
    assert conflict.status_code == 409 and conflict.json()["state"] == "awaiting_response"
    stale = anonymous.post(
        f"/api/v1/challenges/{raised}/actions/pause",
        headers=iro,
        json={"version": 99, "params": {"reason": "x"}},
    )
    assert stale.status_code == 409
    missing = anonymous.post(
        f"/api/v1/challenges/{raised}/actions/pause", headers=iro, json={"params": {}}
    )
    assert missing.status_code == 422 and missing.json()["errors"] == [
        {"field": "reason", "message": "enter the reason"}
    ]
    invalid = anonymous.post(
        "/api/v1/challenges", headers=iro, json=_body(review_date="31/02/2026", what_is_wrong="")
    )
    assert invalid.status_code == 422
    # Validation errors are problem details like every other API error, naming the fields.
    assert invalid.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in invalid.json()["errors"]} == {"review_date", "what_is_wrong"}
    sw = token_for(people.council.social_worker)
    assert anonymous.post("/api/v1/challenges", headers=sw, json=_body()).status_code == 403
    withdraw = anonymous.post(
        f"/api/v1/challenges/{raised}/actions/withdraw",
        headers=sw,
        json={"params": {"reason": "x"}},
    )
    assert withdraw.status_code == 403


def test_revoked_tokens_stop_working(anonymous, people, token_for, runtime, login):
    headers = token_for(people.council.iro)
    assert anonymous.get("/api/v1/me", headers=headers).json()["email"] == "iro@council.test"
    with Session(runtime.engine) as s:
        token_id = s.exec(select(ApiToken.id)).one()
    admin = login("admin@council.test")
    assert admin.post(f"/admin/tokens/{token_id}/revoke", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_cannot_mint_a_token_that_acts_as_a_named_person(login, people, runtime):
    # The form that once took a person now makes only scoped service tokens.
    page = login("admin@council.test").post(
        "/admin/tokens", data={"person_id": str(people.council.iro), "label": "Reporting script"}
    )
    assert page.status_code == 400 and "name of the service" in page.text
    with Session(runtime.engine) as s:
        assert s.exec(select(ApiToken)).all() == []


def test_token_command_issues_a_working_token(engine, people, anonymous, monkeypatch):
    from typer.testing import CliRunner

    import api.commands.token as token_command
    from api.cli import cli as cli_app
    from workflow.settings import WorkflowSettings

    monkeypatch.setattr(
        token_command,
        "runtime",
        lambda: nullcontext(build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)),
    )
    result = CliRunner().invoke(
        cli_app, ["token", "create", "hos@council.test", "--label", "SMT pack"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert (
        anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"]
        == "head_of_service"
    )
    missing = CliRunner().invoke(cli_app, ["token", "create", "nobody@council.test"])
    assert missing.exit_code == 1


def test_the_api_refuses_a_review_date_after_todays_in_london(anonymous, people, token_for):
    """The same domain rule as the page: the review date cannot be in the future."""
    iro = token_for(people.council.iro)
    london_today = datetime.now(ZoneInfo("Europe/London")).date()
    refused = anonymous.post(
        "/api/v1/challenges", headers=iro, json=_body(review_date=str(london_today + timedelta(1)))
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "review_date", "message": "the date of the review must be today or in the past"}
    ]
    held_today = anonymous.post(
        "/api/v1/challenges", headers=iro, json=_body(review_date=str(london_today))
    )
    assert held_today.status_code == 201

"""Issue 12 item 4: the kind of outcome an IRO picks when accepting, on the page, in the API
and from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import cli
from tests.web.conftest import error_links, version_of
from workflow.settings import get_settings
from workflow.tables import ChallengeEvent, OutcomeKind

TARGET = datetime.now(UTC).date() + timedelta(days=9)


def _responded(runtime, people, raised: str) -> None:
    from workflow.services import take_action

    params = {"response": "Booked", "actions": "Assessment", "target_date": TARGET.isoformat()}
    with runtime.uow() as uow:
        take_action(uow, raised, "respond", people.council.social_worker, params, datetime.now(UTC))


def _retire(runtime, key: str) -> None:
    with Session(runtime.engine) as s:
        kind = s.get(OutcomeKind, key)
        assert kind is not None
        kind.active = False
        s.commit()


def _accept_form(iro, raised: str, **fields: str):
    version = version_of(iro.get(f"/challenges/{raised}/actions/accept").text)
    data = {"version": version, "outcome": "Assessment booked", "impact": "Asthma monitored"}
    return iro.post(f"/challenges/{raised}/actions/accept", data=data | fields,
                    follow_redirects=False)  # fmt: skip


def test_the_accept_page_offers_the_active_kinds_and_requires_one(login, runtime, people, raised):
    _responded(runtime, people, raised)
    _retire(runtime, "no_change")
    iro = login("iro@council.test")
    form = iro.get(f"/challenges/{raised}/actions/accept").text
    assert "What changed for the child" in form
    assert 'value="plan_updated"' in form and "Contact arranged" in form
    assert 'value="no_change"' not in form  # retired: no longer offered
    missing = _accept_form(iro, raised)
    assert missing.status_code == 422
    assert error_links(missing.text) == [("outcome_kind", "Select what changed for the child")]
    retired = _accept_form(iro, raised, outcome_kind="no_change")
    assert retired.status_code == 422
    assert [f for f, _ in error_links(retired.text)] == ["outcome_kind"]
    done = _accept_form(iro, raised, outcome_kind="contact_arranged")
    assert done.status_code == 303
    page = iro.get(f"/challenges/{raised}").text
    timeline = page[page.index('data-testid="timeline"') :]
    assert "What changed for the child" in timeline and "Contact arranged" in timeline
    with Session(runtime.engine) as s:
        accept = s.exec(ChallengeEvent.__table__.select().where(  # type: ignore[attr-defined]
            ChallengeEvent.kind == "accept")).one()  # fmt: skip
    assert accept.details["outcome_kind"] == "contact_arranged"


@pytest.mark.parametrize(("kind", "problem"), [
    (None, "enter the outcome kind"), ("made_up", "there is no kind of outcome 'made_up'")])  # fmt: skip
def test_the_api_refuses_a_missing_or_unknown_kind(anonymous, people, token_for, runtime,
                                                   raised, kind, problem):  # fmt: skip
    _responded(runtime, people, raised)
    params = {"outcome": "Booked", "impact": "Monitored"} | ({"outcome_kind": kind} if kind else {})
    refused = anonymous.post(f"/api/v1/challenges/{raised}/actions/accept",
                             headers=token_for(people.council.iro), json={"params": params})  # fmt: skip
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem in refused.text
    with Session(runtime.engine) as s:
        kinds = s.exec(ChallengeEvent.__table__.select().with_only_columns(  # type: ignore[attr-defined]
            ChallengeEvent.kind)).all()  # fmt: skip
    assert [k for (k,) in kinds] == ["raise_formal", "respond"]  # nothing half-done


@pytest.fixture
def cli_database(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_list_is_edited_from_the_command_line(cli_database, runtime):
    run = CliRunner()
    listed = run.invoke(cli, ["outcome-kinds", "list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == [
        "plan_updated", "decision_made", "service_provided", "contact_arranged", "no_change"]  # fmt: skip
    added = run.invoke(cli, ["outcome-kinds", "add", "education_support", "Education support"])
    assert added.exit_code == 0
    assert run.invoke(cli, ["outcome-kinds", "retire", "no_change"]).exit_code == 0
    bad = run.invoke(cli, ["outcome-kinds", "add", "Bad Key", "x"])
    assert bad.exit_code == 1 and "lower case" in bad.output
    unknown = run.invoke(cli, ["outcome-kinds", "retire", "nothing_here"])
    assert unknown.exit_code == 1 and "there is no kind of outcome" in unknown.output
    listed = run.invoke(cli, ["outcome-kinds", "list"]).output
    assert "education_support" in listed.splitlines()[-1] and "Education support" in listed
    assert "No change  (retired)" in listed

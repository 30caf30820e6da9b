"""The ladder's rules through the JSON API under the bundled `qa_led` ladder, on SQLite and
PostgreSQL: routes (any of, the IRO's line), copies and notices, raisers, the informal
rules and the high-risk route, each answered as the use cases answer them."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.wiring import build
from notifications.tables import OutboxMessage
from tests.web.test_api import _body
from workflow.runtime import Runtime
from workflow.settings import WorkflowSettings
from workflow.tables import ChallengeRecord, Person, PersonPost


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="qa_led"), engine=engine)


@pytest.fixture
def holders(runtime: Runtime, people) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The IRO's manager holds the IRO manager post; a QA service manager, the Head of QA
    and a service manager in the child's team."""
    found: dict[str, int] = {}
    with Session(runtime.engine) as s:
        sam = s.get(Person, people.council.social_worker)
        assert sam is not None
        for key, post, team in (("iro_manager", "iro_manager", None),
                                ("qa_sm", "qa_service_manager", None),
                                ("head_of_qa", "head_of_qa", None),
                                ("service_manager", None, sam.team_id)):  # fmt: skip
            person = Person(email=f"{key}@council.test", name=key.replace("_", " ").title(),
                            role="service_manager", team_id=team)  # fmt: skip
            s.add(person)
            s.flush()
            assert person.id is not None
            if post:
                s.add(PersonPost(person_id=person.id, post=post))
            found[key] = person.id
        iro = s.get(Person, people.council.iro)
        assert iro is not None
        iro.manager_id = found["iro_manager"]
        s.commit()
    return found


def _mail(runtime: Runtime, reference: str) -> list[str]:
    with Session(runtime.engine) as s:
        rows = s.exec(
            select(OutboxMessage.to_address)
            .join(ChallengeRecord, ChallengeRecord.id == OutboxMessage.challenge_id)
            .where(OutboxMessage.kind == "stage_opened", ChallengeRecord.reference == reference)
        ).all()
        return sorted(rows)


def _raise(anonymous, headers, **changes):  # type: ignore[no-untyped-def]
    body = _body(**{"stage": "team_alert", **changes})
    return anonymous.post("/api/v1/challenges", headers=headers, json=body)


def test_routes_copies_and_notices_through_the_api(anonymous, people, token_for, holders,
                                                   runtime):  # fmt: skip
    iro = token_for(people.council.iro)
    team = _raise(anonymous, iro)
    assert team.status_code == 201, team.text
    assert team.json()["responder"] == "Tara Manager"  # any of: no ATM, the team manager
    assert _mail(runtime, team.json()["reference"]) == ["sw@council.test", "tm@council.test"]
    up = _raise(anonymous, iro, stage="iro_manager")
    assert up.status_code == 201 and up.json()["responder"] == "Iro Manager"  # the IRO's line
    assert _mail(runtime, up.json()["reference"]) == [
        "head_of_qa@council.test",  # told that the stage opened
        "iro_manager@council.test",
    ]


def test_raisers_through_the_api(anonymous, people, token_for, holders):
    ref = _raise(anonymous, token_for(people.council.iro)).json()["reference"]
    url = f"/api/v1/challenges/{ref}/actions/escalate"
    sw = anonymous.post(url, headers=token_for(people.council.social_worker),
                        json={"params": {"stage": "service_alert"}})  # fmt: skip
    assert sw.status_code in (403, 404) and sw.headers["content-type"] == "application/problem+json"
    qa = anonymous.post(url, headers=token_for(holders["qa_sm"]),
                        json={"params": {"stage": "service_alert"}})  # fmt: skip
    assert qa.status_code == 200, qa.text
    assert (qa.json()["stage"], qa.json()["responder"]) == ("service_alert", "Service Manager")
    iro = anonymous.post(url, headers=token_for(people.council.iro),
                         json={"params": {"stage": "head_of_service"}})  # fmt: skip
    assert iro.status_code == 422
    assert "only the Head of Quality Assurance may move" in iro.json()["detail"]
    head = anonymous.post(url, headers=token_for(holders["head_of_qa"]),
                          json={"params": {"stage": "head_of_service"}})  # fmt: skip
    assert head.status_code == 200 and head.json()["stage"] == "head_of_service"


def test_informal_rules_and_the_high_risk_route_through_the_api(anonymous, people, token_for,
                                                                holders):  # fmt: skip
    iro = token_for(people.council.iro)
    informal = {"formal": False, "stage": None}
    missing = _raise(anonymous, iro, review_date=None, **informal)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "review_date"
    ok = _raise(anonymous, iro, **informal)
    assert ok.status_code == 201 and ok.json()["state"] == "informal"
    skipped = _raise(anonymous, iro, informal=None)
    assert skipped.status_code == 422 and "why the risk is too high" in skipped.json()["detail"]
    risky = _raise(anonymous, iro, informal=None, high_risk_reason="Risk of significant harm")
    assert risky.status_code == 201, risky.text
    raised = risky.json()["events"][0]
    assert raised["kind"] == "raise_formal"
    assert raised["details"]["high_risk_reason"] == "Risk of significant harm"
    assert risky.json()["cap_due_at"] is None  # no overall cap on this ladder
    assert ok.json()["due_at"] is not None

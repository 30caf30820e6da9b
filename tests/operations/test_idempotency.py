"""Idempotency-Key on the JSON API: a retried request never acts twice."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, func, select

from tests.web.test_api import _body
from workflow.tables import ChallengeRecord


def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as s:
        return s.exec(select(func.count()).select_from(ChallengeRecord)).one()


def test_a_retried_raise_with_the_same_key_raises_one_challenge(
    anonymous, people, token_for, runtime
):
    iro = {**token_for(people.council.iro), "Idempotency-Key": "raise-LL1001-0001"}
    first = anonymous.post("/api/v1/challenges", headers=iro, json=_body())
    again = anonymous.post("/api/v1/challenges", headers=iro, json=_body())
    assert first.status_code == 201
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(runtime) == 1


def test_the_same_key_for_a_different_request_is_refused(anonymous, people, token_for, runtime):
    iro = {**token_for(people.council.iro), "Idempotency-Key": "k-000000001"}
    assert anonymous.post("/api/v1/challenges", headers=iro, json=_body()).status_code == 201
    other = anonymous.post("/api/v1/challenges", headers=iro, json=_body(child_reference="LL1002"))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert _count(runtime) == 1


def test_keys_belong_to_their_caller_and_requests_without_one_act_each_time(
    anonymous, people, token_for, runtime
):
    key = {"Idempotency-Key": "shared-key-42"}
    iro = token_for(people.council.iro)
    assert anonymous.post("/api/v1/challenges", headers={**iro, **key},
                          json=_body()).status_code == 201  # fmt: skip
    # Another token with the same key is another caller: its request runs.
    iro2 = token_for(people.council.iro)
    again = anonymous.post("/api/v1/challenges", headers={**iro2, **key}, json=_body())
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert anonymous.post("/api/v1/challenges", headers=iro, json=_body()).status_code == 201
    assert _count(runtime) == 3


def test_a_refused_request_is_replayed_as_refused_and_an_overlong_key_is_refused(
    anonymous, people, token_for
):
    iro = {**token_for(people.council.iro), "Idempotency-Key": "bad-body-1"}
    first = anonymous.post("/api/v1/challenges", headers=iro, json=_body(theme_key="nope"))
    again = anonymous.post("/api/v1/challenges", headers=iro, json=_body(theme_key="nope"))
    assert first.status_code == again.status_code == 422
    long_key = {**iro, "Idempotency-Key": "x" * 256}
    assert anonymous.post("/api/v1/challenges", headers=long_key, json=_body()).status_code == 400


def test_an_action_retried_after_its_answer_was_lost_is_not_applied_twice(
    anonymous, people, token_for, raised
):
    sw = {**token_for(people.council.social_worker), "Idempotency-Key": "respond-once"}
    body = {
        "params": {
            "response": "Booked",
            "actions": "Assessment",
            "target_date": str(date.today() + timedelta(days=14)),
        }
    }
    first = anonymous.post(f"/api/v1/challenges/{raised}/actions/respond", headers=sw, json=body)
    again = anonymous.post(f"/api/v1/challenges/{raised}/actions/respond", headers=sw, json=body)
    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json() == first.json()
    events = anonymous.get(f"/api/v1/challenges/{raised}", headers=sw).json()
    assert events["version"] == first.json()["version"]


def test_a_saved_action_is_reported_saved_even_if_reading_it_back_fails(
    anonymous, people, token_for, raised, runtime, monkeypatch
):
    import sqlalchemy as sa

    import api.v1.challenges as routes

    def pool_exhausted(*_args, **_kwargs):
        raise sa.exc.TimeoutError("QueuePool limit reached")

    monkeypatch.setattr(routes, "_detail", pool_exhausted)
    sw = token_for(people.council.social_worker)
    body = {"params": {"response": "Booked", "actions": "Assessment",
                       "target_date": str(date.today() + timedelta(days=14))}}  # fmt: skip
    answer = anonymous.post(f"/api/v1/challenges/{raised}/actions/respond", headers=sw, json=body)
    assert answer.status_code == 200
    assert answer.json()["saved"] is True
    assert answer.headers["location"] == f"/api/v1/challenges/{raised}"
    monkeypatch.undo()
    read = anonymous.get(f"/api/v1/challenges/{raised}", headers=sw).json()
    assert read["state"] == "response_received"

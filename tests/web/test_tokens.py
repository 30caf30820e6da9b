"""Tokens that belong to their owner: people make and revoke their own (page and API), with
expiry and last use; admins make only scoped service tokens that act as nobody."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from api.tables import AccessLogEntry, ApiToken
from tests.web.conftest import TestClient


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_person_creates_uses_and_revokes_their_own_token_on_a_page(app, login, runtime):
    iro = login("iro@council.test")
    page = iro.post("/account/tokens", data={"label": "My script", "days": "30"})
    token = page.text.split('data-testid="token">', 1)[1].split("<", 1)[0]
    client = TestClient(app)
    assert client.get("/api/v1/me", headers=_bearer(token)).json()["email"] == "iro@council.test"
    listed = iro.get("/account/tokens").text
    assert "My script" in listed and "Not used" not in listed, "last used is shown"
    with Session(runtime.engine) as s:
        row = s.exec(select(ApiToken)).one()
    assert (row.expires_at - row.created_at).days == 30
    iro.post(f"/account/tokens/{row.id}/revoke")
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_the_api_manages_only_your_own_tokens(app, people, token_for):
    client = TestClient(app)
    mine = token_for(people.council.iro)
    made = client.post("/api/v1/tokens", json={"label": "CI job", "days": 7}, headers=mine)
    assert made.status_code == 201 and made.json()["token"].startswith("iro_")
    new_id = made.json()["id"]
    listed = client.get("/api/v1/tokens", headers=mine).json()
    assert {t["label"] for t in listed} == {"tests", "CI job"} and "token" not in listed[0]
    theirs = token_for(people.council.social_worker)
    assert client.delete(f"/api/v1/tokens/{new_id}", headers=theirs).status_code == 404
    assert client.delete(f"/api/v1/tokens/{new_id}", headers=mine).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(made.json()["token"])).status_code == 401
    bad = client.post("/api/v1/tokens", json={"label": "x", "days": 999}, headers=mine)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/")


def test_an_expired_token_stops_working(app, people, token_for, runtime):
    headers = token_for(people.council.iro)
    client = TestClient(app)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(ApiToken).values(expires_at=ApiToken.created_at))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_service_token_reads_only_its_scope_and_is_named_in_the_access_log(app, login, runtime):
    page = login("admin@council.test").post(
        "/admin/tokens",
        data={"service_name": "Reporting warehouse", "scope": "reports:read", "days": "30"},
    )
    token = page.text.split('data-testid="token">', 1)[1].split("<", 1)[0]
    client = TestClient(app)
    assert client.get("/api/v1/reports/smt", headers=_bearer(token)).status_code == 200
    for path in (
        "/api/v1/challenges",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/reports/smt/drilldown?cell=raised",
    ):
        assert client.get(path, headers=_bearer(token)).status_code == 403, path
    assert (
        client.post("/api/v1/tokens", json={"label": "x"}, headers=_bearer(token)).status_code
        == 403
    )
    with Session(runtime.engine) as s:
        row = s.exec(select(ApiToken)).one()
        assert row.person_id is None and row.scope == "reports:read" and row.created_by_id
        assert (
            s.exec(select(AccessLogEntry).where(AccessLogEntry.person_id.is_not(None))).all() == []
        )


def test_validation_errors_are_problem_details_as_published(app, people, token_for):
    client = TestClient(app)
    bad = client.post(
        "/api/v1/tokens", json={"label": "", "days": 0}, headers=token_for(people.council.iro)
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    body = bad.json()
    assert body["status"] == 422 and {e["field"] for e in body["errors"]} == {"label", "days"}
    published = client.get("/openapi.json").json()
    answer = published["paths"]["/api/v1/tokens"]["post"]["responses"]["422"]["content"]
    assert list(answer) == ["application/problem+json"]

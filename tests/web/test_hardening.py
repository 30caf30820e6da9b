"""Hardening: no copy of child data in any cache; the API description behind sign-in in
production; security headers on errors too."""

from __future__ import annotations

from api.app import create_app
from tests.factories import STRONG_SECRET_KEY
from tests.web.conftest import CSRF, PASSWORD, TestClient, web_settings


def test_pages_exports_and_api_answers_are_never_stored(login, raised, people, token_for, app):
    iro = login("iro@council.test")
    for url in (
        f"/challenges/{raised}",
        "/children/LL1001/footprint",
        "/children/LL1001/footprint.csv",
    ):
        response = iro.get(url)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", url
    api = TestClient(app).get("/api/v1/challenges", headers=token_for(people.council.iro))
    assert api.headers["cache-control"] == "no-store"
    missing = iro.get("/challenges/IRO-1999-0001")
    assert missing.status_code == 404 and missing.headers["cache-control"] == "no-store"
    assert missing.headers["x-frame-options"] == "DENY"
    assert "no-store" not in iro.get("/static/app.css").headers.get("cache-control", "")


def test_the_api_description_needs_sign_in_in_production(runtime, people, tmp_path):
    app = create_app(runtime, web_settings(tmp_path, IRO_DISPUTES_ENV="production",
                                           IRO_DISPUTES_SECRET_KEY=STRONG_SECRET_KEY))  # fmt: skip
    anonymous = TestClient(app, base_url="https://testserver")
    refused = anonymous.get("/openapi.json")
    assert (
        refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    )
    assert anonymous.get("/docs", follow_redirects=False).status_code == 303
    client = TestClient(app, base_url="https://testserver")
    token = CSRF.search(client.get("/sign-in").text).group(1)
    signed = client.post("/sign-in", data={"email": "iro@council.test", "password": PASSWORD,
                                           "csrftoken": token}, follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303
    assert "paths" in client.get("/openapi.json").json()
    assert client.get("/docs").status_code == 200

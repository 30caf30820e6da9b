"""NUL and other control characters are refused with a 400 on both databases, by the API
(problem+json) and the pages, before anything reaches the database."""

from __future__ import annotations

import pytest

from tests.web.conftest import TestClient


@pytest.mark.parametrize("bad", ["\u0000", "LL\u00001001", "a\u001bb", "\u007f"])
def test_the_api_refuses_control_characters_in_json(app, people, token_for, bad):
    response = TestClient(app).post(
        "/api/v1/challenges",
        json={
            "child_reference": bad,
            "theme_key": "health_assessments",
            "what_is_wrong": "x",
            "impact_on_child": "x",
            "outcome_wanted": "x",
            "formal": True,
        },
        headers=token_for(people.council.iro),
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "control characters" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff", "headers on errors too"


def test_query_strings_and_paths_are_checked(app, people, token_for):
    client = TestClient(app)
    headers = token_for(people.council.iro)
    assert client.get("/api/v1/challenges?child=%00", headers=headers).status_code == 400
    assert client.get("/api/v1/challenges/IRO%00", headers=headers).status_code == 400


def test_pages_refuse_control_characters_in_forms(login):
    iro = login("iro@council.test")
    response = iro.post("/challenges/new", data={"child_reference": "LL1001\u0000"})
    assert response.status_code == 400 and "control characters" in response.text


def test_tabs_and_new_lines_are_ordinary_text(app, people, token_for):
    response = TestClient(app).get(
        "/api/v1/challenges?child=LL1001%0A", headers=token_for(people.council.iro)
    )
    assert response.status_code == 200

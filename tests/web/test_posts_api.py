"""Posts through the JSON API, on SQLite and PostgreSQL: the ladder's posts and who holds
each, a person's posts, and an administrator setting them with the admin page's rules and
change history; problem+json for every refusal; the OpenAPI schema says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.wiring import build
from tests.factories import new_challenge
from workflow.change_history import history
from workflow.runtime import Runtime
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings
from workflow.tables import Person

PROBLEM = "application/problem+json"


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="qa_led"), engine=engine)


def test_the_ladders_posts_and_who_holds_them(anonymous, people, token_for):
    iro = token_for(people.council.iro)
    listed = anonymous.get("/api/v1/posts", headers=iro)
    assert listed.status_code == 200
    body = listed.json()
    assert body["ladder"] == "qa_led"
    posts = {p["key"]: p for p in body["items"]}
    assert posts["head_of_qa"] == {"key": "head_of_qa", "name": "Head of Quality Assurance",
                                   "route": "council", "holders": []}  # fmt: skip
    assert posts["iro_manager"]["route"] == "iro_line"
    assert len(posts) == 8
    admin = token_for(people.admin)
    hugh = people.council.head_of_service
    put = anonymous.put(f"/api/v1/people/{hugh}/posts", headers=admin,
                        json={"posts": ["Head_of_QA ", "director", "head_of_qa"]})  # fmt: skip
    assert put.status_code == 200, put.text
    assert put.json() == {"id": hugh, "name": "Hugh Service", "posts": [
        {"key": "director", "name": "Director of Children's Services"},
        {"key": "head_of_qa", "name": "Head of Quality Assurance"}]}  # fmt: skip
    posts = {p["key"]: p for p in anonymous.get("/api/v1/posts", headers=iro).json()["items"]}
    assert posts["head_of_qa"]["holders"] == [{"id": hugh, "name": "Hugh Service"}]
    assert posts["director"]["holders"] == [{"id": hugh, "name": "Hugh Service"}]
    read = anonymous.get(f"/api/v1/people/{hugh}/posts", headers=iro)
    assert read.status_code == 200 and read.json() == put.json()
    me = anonymous.get("/api/v1/me", headers=token_for(hugh)).json()
    assert me["posts"] == ["director", "head_of_qa"] and me["role"] == "head_of_service"


def test_an_api_change_is_in_the_change_history_like_the_admin_page(
    anonymous, people, token_for, runtime, login
):
    admin = token_for(people.admin)
    tara = people.council.team_manager
    for posts in (["assistant_team_manager"], ["assistant_team_manager", "head_of_qa"], []):
        answer = anonymous.put(f"/api/v1/people/{tara}/posts", headers=admin, json={"posts": posts})
        assert answer.status_code == 200
    with Session(runtime.engine) as s:
        changes = [(c.field, c.before, c.after, who) for c, who in history(s, "person", tara)]
    assert changes == [
        ("Posts", "assistant_team_manager; head_of_qa", "", "Adam Min"),
        ("Posts", "assistant_team_manager", "assistant_team_manager; head_of_qa", "Adam Min"),
        ("Posts", "", "assistant_team_manager", "Adam Min"),
    ]
    # The same unchanged list writes no history.
    anonymous.put(f"/api/v1/people/{tara}/posts", headers=admin, json={"posts": []})
    with Session(runtime.engine) as s:
        assert len(history(s, "person", tara)) == 3
    page = login("admin@council.test").get(f"/admin/people/{tara}")
    assert page.status_code == 200 and "assistant_team_manager; head_of_qa" in page.text


def test_refusals_are_problem_details_naming_the_field(anonymous, people, token_for):
    admin, iro = token_for(people.admin), token_for(people.council.iro)
    sam = people.council.social_worker
    url = f"/api/v1/people/{sam}/posts"
    for bad, message in (
        (["Head of QA"], "'head of qa' is not a post key, such as head_of_qa"),
        (["team_manager"], "'team_manager' is not a post key, such as head_of_qa"),
        (["x" * 61], "is not a post key"),
    ):
        answer = anonymous.put(url, headers=admin, json={"posts": bad})
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
        [error] = answer.json()["errors"]
        assert error["field"] == "posts" and message in error["message"], answer.json()
    shape = anonymous.put(url, headers=admin, json={"posts": "head_of_qa"})
    assert shape.status_code == 422 and shape.headers["content-type"] == PROBLEM
    assert shape.json()["errors"][0]["field"] == "posts"
    refused = anonymous.put(url, headers=iro, json={"posts": ["head_of_qa"]})
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert "only administrators may" in refused.json()["detail"]
    missing = anonymous.put("/api/v1/people/999999/posts", headers=admin, json={"posts": []})
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert anonymous.get("/api/v1/people/999999/posts", headers=iro).status_code == 404
    assert anonymous.get("/api/v1/posts").status_code == 401
    assert anonymous.get(url, headers=iro).json()["posts"] == []  # nothing was written


def test_a_post_set_through_the_api_answers_its_stage(anonymous, people, token_for, runtime):
    """The IRO manager stage goes up the IRO's line to whoever holds the post."""
    council = people.council
    with Session(runtime.engine) as s:
        iro = s.get(Person, council.iro)
        assert iro is not None
        iro.manager_id = council.senior_manager  # Ada manages the IROs
        s.commit()
    put = anonymous.put(f"/api/v1/people/{council.senior_manager}/posts",
                        headers=token_for(people.admin), json={"posts": ["iro_manager"]})  # fmt: skip
    assert put.status_code == 200
    at = datetime.now(UTC)
    with runtime.uow() as uow:
        new = replace(new_challenge(at, stage="iro_manager"))
        assert raise_challenge(uow, new, council.iro, at).responder_id == council.senior_manager


def test_the_schema_publishes_the_posts_api(anonymous):
    schema = anonymous.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/people/{person_id}/posts"]) == {"get", "put"}
    assert "get" in paths["/api/v1/posts"]
    put = paths["/api/v1/people/{person_id}/posts"]["put"]
    for status in ("403", "404", "422"):
        assert PROBLEM in put["responses"][status]["content"], status
    post = schema["components"]["schemas"]["PostPublic"]["properties"]
    assert set(post) == {"key", "name", "route", "holders"}
    assert "posts" in schema["components"]["schemas"]["Me"]["properties"]

"""Post holders' own lists under the bundled `qa_led` ladder, on SQLite and PostgreSQL:
challenges a post reaches (copied on the stage, or below a stage the post may raise) are
on the person's dashboard and in "All your challenges" (page and API) with what they can
do, and every challenge linked there opens; nothing else is listed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.tables import PasswordCredential
from api.wiring import build
from tests.factories import new_challenge
from tests.statements import sent
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.tables import Child, Person, PersonPost


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="qa_led"), engine=engine)


@pytest.fixture
def posts(runtime: Runtime, people) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A QA service manager and the Head of QA (no team), a service manager in the child's
    service area with no post, and a Director; all can sign in."""
    found: dict[str, int] = {}
    with Session(runtime.engine) as s:
        hashed = s.get(PasswordCredential, people.admin).password_hash  # type: ignore[union-attr]
        sam = s.get(Person, people.council.social_worker)
        assert sam is not None
        for key, role, post, team in (
            ("qa_sm", "service_manager", "qa_service_manager", None),
            ("head_of_qa", "service_manager", "head_of_qa", None),
            ("plain_sm", "service_manager", None, sam.team_id),
            ("director", "senior_manager", "director", None),
        ):
            person = Person(email=f"{key}@council.test", name=key.replace("_", " ").title(),
                            role=role, team_id=team)  # fmt: skip
            s.add(person)
            s.flush()
            assert person.id is not None
            if post:
                s.add(PersonPost(person_id=person.id, post=post))
            s.add(PasswordCredential(person_id=person.id, password_hash=hashed,
                                     changed_at=datetime.now(UTC)))  # fmt: skip
            found[key] = person.id
        s.commit()
    return found


@pytest.fixture
def ref(runtime: Runtime, people) -> str:  # type: ignore[no-untyped-def]
    """A Team Alert: the team manager answers, the social worker is copied."""
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        return raise_challenge(
            uow, new_challenge(now, stage="team_alert"), people.council.iro, now
        ).reference


def _listed(browser, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = browser.get(url)
    assert page.status_code == 200
    links = re.findall(r'href="/challenges/(IRO-[^"]+)"', page.text)
    for linked in links:  # nothing linked that the person may not open
        assert browser.get(f"/challenges/{linked}").status_code == 200, linked
    return links


def _what(html: str) -> list[str]:
    return [" ".join(w.split()) for w in re.findall(r'data-testid="what">([^<]*)<', html)]


def test_raisers_and_copied_people_find_the_challenge_with_what_they_can_do(
    login, token_for, anonymous, posts, ref, people
):
    qa_sm = login("qa_sm@council.test")
    home = qa_sm.get("/")
    assert 'data-testid="through-posts"' in home.text
    assert _listed(qa_sm, "/") == [ref] and _what(home.text) == [
        "Escalate to Service Manager Alert"
    ]
    assert _listed(qa_sm, "/challenges") == [ref]
    assert _what(qa_sm.get("/challenges").text) == ["Escalate to Service Manager Alert"]
    head = login("head_of_qa@council.test")
    assert _listed(head, "/") == [ref]
    assert _what(head.get("/").text) == [
        "Escalate to Head of Service Alert or Director Alert or Chief Executive Alert or "
        "Reported to the Strategic Director"
    ]
    sam = login("sw@council.test")  # copied on the Team Alert, not its responder
    assert _listed(sam, "/") == [ref] and _what(sam.get("/").text) == [
        "Read it: you are copied on this stage"
    ]
    assert ref in _listed(sam, "/challenges")
    api = anonymous.get("/api/v1/challenges", headers=token_for(posts["qa_sm"])).json()
    assert [c["reference"] for c in api["items"]] == [ref]
    detail = anonymous.get(f"/api/v1/challenges/{ref}", headers=token_for(posts["qa_sm"]))
    assert detail.status_code == 200 and detail.json()["allowed_actions"] == ["escalate"]
    copied = anonymous.get(
        f"/api/v1/challenges/{ref}", headers=token_for(people.council.social_worker)
    )
    assert copied.status_code == 200 and copied.json()["allowed_actions"] == []
    sam_api = anonymous.get("/api/v1/challenges", headers=token_for(people.council.social_worker))
    assert [c["reference"] for c in sam_api.json()["items"]] == [ref]


def test_nobody_else_sees_it_and_a_post_stops_reaching_above_its_stage(
    login, token_for, anonymous, posts, ref, runtime, people
):
    plain = login("plain_sm@council.test")
    assert 'data-testid="through-posts"' not in plain.get("/").text
    assert _listed(plain, "/challenges") == []
    assert plain.get(f"/challenges/{ref}").status_code == 404
    assert (
        anonymous.get("/api/v1/challenges", headers=token_for(posts["plain_sm"])).json()["items"]
        == []
    )
    # The Head of QA raises the Director Alert: above the QA service manager's stage, and
    # the Team Alert (which copied the social worker) is over.
    with runtime.uow() as uow:
        take_action(uow, ref, "escalate", posts["head_of_qa"], {"stage": "director"},
                    datetime.now(UTC))  # fmt: skip
    qa_sm = login("qa_sm@council.test")
    assert _listed(qa_sm, "/") == [] and _listed(qa_sm, "/challenges") == []
    assert qa_sm.get(f"/challenges/{ref}").status_code == 404
    sam = login("sw@council.test")
    assert _listed(sam, "/challenges") == [] and sam.get(f"/challenges/{ref}").status_code == 404
    head = login("head_of_qa@council.test")  # copied on the Director Alert, may go higher
    assert _listed(head, "/") == [ref]
    assert _what(head.get("/").text) == [
        "Escalate to Chief Executive Alert or Reported to the Strategic Director"
    ]
    director = login("director@council.test")
    assert ref in _listed(director, "/")  # the Director answers it now


def _statements(call) -> int:  # type: ignore[no-untyped-def]
    """How many statements `call` runs, on any engine (pages read through their own)."""
    return len(sent(Engine, call))


def test_a_post_holders_lists_cost_the_same_however_many_challenges_their_posts_reach(
    login, token_for, anonymous, posts, ref, runtime, people
):
    """What a post reaches is a condition in SQL and "what you can do" is worked out for the
    rows shown only: the statements a list runs do not grow with the open challenges."""
    qa_sm, head = login("qa_sm@council.test"), login("head_of_qa@council.test")
    sam = login("sw@council.test")  # copied on every Team Alert

    def costs() -> list[int]:
        def api() -> None:
            assert anonymous.get("/api/v1/challenges",
                                 headers=token_for(posts["qa_sm"])).status_code == 200  # fmt: skip

        return [_statements(call) for call in (
            lambda: qa_sm.get("/"), lambda: qa_sm.get("/challenges"), api,
            lambda: head.get("/"), lambda: sam.get("/challenges"),
        )]  # fmt: skip

    before = costs()
    now = datetime.now(UTC)
    with Session(runtime.engine) as s:
        for n in range(8):
            s.add(Child(case_reference=f"LL20{n:02}", display_name=f"Child LL20{n:02}",
                        legal_status="looked_after", social_worker_id=people.council.social_worker,
                        iro_id=people.council.iro))  # fmt: skip
        s.commit()
    with runtime.uow() as uow:
        more = [raise_challenge(uow, new_challenge(now, stage="team_alert", child=f"LL20{n:02}"),
                                people.council.iro, now).reference for n in range(8)]  # fmt: skip
    assert set(more) <= set(_listed(qa_sm, "/challenges")) | set(_listed(qa_sm, "/"))
    assert costs() == before

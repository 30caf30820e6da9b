"""Who may see what, on pages and in the API, and the access log of every view."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from api.tables import AccessLogEntry

PAGES_BY_ROLE = {
    # email: (/log, /admin, /challenges/new)
    "iro@council.test": (403, 403, 200),
    "sw@council.test": (403, 403, 403),
    "hos@council.test": (200, 403, 403),
    "ad@council.test": (200, 403, 403),
    "admin@council.test": (200, 200, 403),
    "smt@council.test": (403, 403, 403),
}


@pytest.mark.parametrize("email", sorted(PAGES_BY_ROLE))
def test_each_role_reaches_only_its_pages(login, email):
    browser = login(email)
    got = tuple(browser.get(url).status_code for url in ("/log", "/admin", "/challenges/new"))
    assert got == PAGES_BY_ROLE[email]


# Who sees a challenge raised by iro@ (the child's IRO) and addressed to sw@.
SEES_CHALLENGE = {
    "iro@council.test": True,
    "iro2@council.test": False,  # another IRO, not this child's
    "sw@council.test": True,  # addressed to them
    "tm@council.test": False,  # not addressed to them (yet)
    "hos@council.test": True,
    "ad@council.test": True,
    "admin@council.test": True,
    "smt@council.test": False,  # reports only
}


@pytest.mark.parametrize("email", sorted(SEES_CHALLENGE))
def test_challenge_page_visibility_by_role(login, raised, email):
    status = login(email).get(f"/challenges/{raised}").status_code
    assert status == (200 if SEES_CHALLENGE[email] else 404)


def test_api_visibility_matches_the_pages(people, raised, token_for, anonymous):
    c = people.council
    for person_id, sees in (
        (c.iro, True),
        (c.other_iro, False),
        (c.social_worker, True),
        (c.team_manager, False),
        (c.head_of_service, True),
        (people.smt_reader, False),
    ):
        headers = token_for(person_id)
        assert anonymous.get(f"/api/v1/challenges/{raised}", headers=headers).status_code == (
            200 if sees else 404
        )
        listed = anonymous.get("/api/v1/challenges", headers=headers).json()["items"]
        assert [i["reference"] for i in listed] == ([raised] if sees else [])


def test_a_responder_keeps_seeing_what_was_addressed_to_them_earlier(login, raised):
    sw = login("sw@council.test")
    form = sw.get(f"/challenges/{raised}/actions/respond").text
    from tests.web.conftest import version_of

    sw.post(
        f"/challenges/{raised}/actions/respond",
        data={
            "version": version_of(form),
            "response": "Booked",
            "actions": "Assessment on 9 Dec",
            "target_date-day": "1",
            "target_date-month": "1",
            "target_date-year": "2030",
        },
    )
    iro = login("iro@council.test")
    iro.post(
        f"/challenges/{raised}/actions/reject",
        data={
            "version": version_of(iro.get(f"/challenges/{raised}/actions/reject").text),
            "reason": "Not soon enough",
        },
    )
    assert login("tm@council.test").get(f"/challenges/{raised}").status_code == 200
    assert raised in sw.get("/").text
    assert sw.get(f"/challenges/{raised}").status_code == 200


def test_a_responder_may_not_take_the_iros_actions(login, raised):
    sw = login("sw@council.test")
    assert sw.get(f"/challenges/{raised}/actions/withdraw").status_code == 403
    response = sw.post(
        f"/challenges/{raised}/actions/withdraw", data={"version": "1", "reason": "x"}
    )
    assert response.status_code == 403


def test_the_api_refuses_without_a_token_and_with_a_bad_one(anonymous, raised):
    assert anonymous.get("/api/v1/challenges").status_code == 401
    bad = {"Authorization": "Bearer iro_not-a-real-token"}
    response = anonymous.get(f"/api/v1/challenges/{raised}", headers=bad)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_session_cookie_does_not_open_the_api(login, raised):
    assert login("hos@council.test").get("/api/v1/challenges").status_code == 401


def test_every_view_is_recorded_and_an_admin_can_read_it(
    login, raised, runtime, token_for, people, anonymous
):
    login("hos@council.test").get(f"/challenges/{raised}")
    anonymous.get(f"/api/v1/challenges/{raised}", headers=token_for(people.council.iro))
    login("iro2@council.test").get(f"/challenges/{raised}")  # refused: not recorded as a view
    with Session(runtime.engine) as s:
        rows = s.exec(select(AccessLogEntry).order_by(AccessLogEntry.id)).all()  # type: ignore[arg-type]
    assert [(r.person_id, r.via) for r in rows] == [
        (people.council.head_of_service, "page"),
        (people.council.iro, "api"),
    ]
    page = login("admin@council.test").get("/admin/access-log")
    assert page.status_code == 200
    assert "Hugh Service" in page.text and raised in page.text

"""Each child seen only by those with a reason: IROs raise challenges and open footprints
only for their own children or while recorded as covering; overseers see any child."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from tests.factories import new_challenge
from workflow.access_tables import IroCover
from workflow.child_access import BadCover, NotTheirChild, london_today, record_cover
from workflow.services import raise_challenge


def _raise(runtime, iro: int, child: str = "LL1001") -> str:
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(now, child=child), iro, now).reference


def _cover(runtime, council, starts: date, ends: date) -> None:
    with Session(runtime.engine) as s:
        record_cover(
            s, council.other_iro, council.iro, (starts, ends), council.iro, datetime.now(UTC)
        )
        s.commit()


def test_an_iro_cannot_raise_for_another_iros_child(runtime, council):
    with pytest.raises(NotTheirChild) as refused:
        _raise(runtime, council.other_iro)
    assert refused.value.field == "child_reference"
    assert "covering" in str(refused.value)


def test_cover_lets_an_iro_raise_until_its_end_date(runtime, council):
    today = london_today()
    _cover(runtime, council, today - timedelta(days=10), today - timedelta(days=1))
    with pytest.raises(NotTheirChild):
        _raise(runtime, council.other_iro)
    _cover(runtime, council, today, today + timedelta(days=7))
    assert _raise(runtime, council.other_iro).startswith("IRO-")


def test_cover_is_only_between_two_active_iros(runtime, council):
    today = london_today()
    with Session(runtime.engine) as s, pytest.raises(BadCover, match="not an active IRO"):
        record_cover(
            s, council.social_worker, council.iro, (today, today), council.iro, datetime.now(UTC)
        )
    with Session(runtime.engine) as s, pytest.raises(BadCover, match="end date"):
        record_cover(s, council.other_iro, council.iro, (today, today - timedelta(days=1)),
                     council.iro, datetime.now(UTC))  # fmt: skip


def test_the_footprint_follows_the_same_rule(runtime, people, login):
    council = people.council
    _raise(runtime, council.iro)
    assert login("iro@council.test").get("/children/LL1001/footprint").status_code == 200
    assert login("iro2@council.test").get("/children/LL1001/footprint").status_code == 403
    today = london_today()
    _cover(runtime, council, today, today + timedelta(days=1))
    assert login("iro2@council.test").get("/children/LL1001/footprint").status_code == 200


def test_overseers_open_any_childs_footprint_even_without_a_challenge(people, login):
    for email in ("hos@council.test", "ad@council.test", "admin@council.test"):
        assert login(email).get("/children/LL1002/footprint").status_code == 200, email
    assert login("smt@council.test").get("/children/LL1002/footprint").status_code == 403
    assert login("hos@council.test").get("/children/NOPE/footprint").status_code == 404


def test_the_challenge_page_links_the_footprint_only_for_those_who_may_open_it(
    runtime, people, login
):
    reference = _raise(runtime, people.council.iro)
    for email, linked in (("iro@council.test", True), ("hos@council.test", True),
                          ("tm@council.test", True), ("sw@council.test", True)):  # fmt: skip
        page = login(email).get(f"/challenges/{reference}")
        if page.status_code != 200:
            continue  # the team manager sees it only once it reaches them
        assert ('href="/children/LL1001/footprint"' in page.text) is linked, email


def test_when_cover_ends_the_raiser_keeps_the_challenge_but_loses_the_footprint_link(
    runtime, people, login
):
    council = people.council
    today = london_today()
    _cover(runtime, council, today, today + timedelta(days=3))
    reference = _raise(runtime, council.other_iro)
    with runtime.engine.begin() as conn:
        conn.execute(IroCover.__table__.update().values(ends_on=today - timedelta(days=1)))
    page = login("iro2@council.test").get(f"/challenges/{reference}")
    assert page.status_code == 200
    assert "/children/LL1001/footprint" not in page.text and "LL1001" in page.text

"""Opening an email link is a view of a child's challenge: it is in the access log."""

from __future__ import annotations

from sqlmodel import Session, select

from api.tables import AccessLogEntry
from tests.notifications.test_web import _link, app, live  # noqa: F401  (fixtures)
from tests.web.conftest import TestClient


def test_opening_an_email_link_records_who_which_child_and_from_where(app, runtime, live, council):  # noqa: F811
    client = TestClient(app)
    assert client.get(f"/respond/{_link(runtime)}").status_code == 200
    with Session(runtime.engine) as s:
        rows = s.exec(select(AccessLogEntry)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.person_id, row.via, row.child_id) == (
        council.social_worker,
        "email link",
        council.children["LL1001"],
    )
    assert row.challenge_id == live.id and row.what == f"challenge {live.reference}"
    assert row.ip == "testclient"


def test_a_bad_link_records_nothing(app, runtime, live):  # noqa: F811
    assert TestClient(app).get("/respond/not-a-token").status_code == 404
    with Session(runtime.engine) as s:
        assert s.exec(select(AccessLogEntry)).all() == []

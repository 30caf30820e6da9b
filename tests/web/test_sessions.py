"""Server-side sessions: signing out, deactivation and a password change end them; a
replayed cookie is refused; idle timeout and absolute lifetime; admins end sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from api.account_tables import UserSession
from api.accounts import deactivate, reactivate
from api.auth import set_password
from tests.web.conftest import PASSWORD, TestClient, sign_in


def _replay(app, browser) -> TestClient:
    """A second client holding a copy of the browser's cookie, as an attacker would."""
    copy = TestClient(app)
    copy.cookies.set("iro_session", browser.client.cookies.get("iro_session"))
    return copy


def _opens_home(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def test_a_copied_cookie_is_refused_after_sign_out(app, login):
    iro = login("iro@council.test")
    thief = _replay(app, iro)
    assert _opens_home(thief)
    iro.post("/sign-out")
    assert not _opens_home(iro.client)
    response = thief.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_deactivation_ends_every_session_and_token_at_once(app, runtime, people, token_for):
    council = people.council
    first, second = sign_in(app, "iro@council.test"), sign_in(app, "iro@council.test")
    headers = token_for(council.iro)
    client = TestClient(app)
    assert client.get("/api/v1/challenges", headers=headers).status_code == 200
    assert deactivate(runtime.engine, council.iro, datetime.now(UTC)) == 2
    assert not _opens_home(first.client) and not _opens_home(second.client)
    assert client.get("/api/v1/challenges", headers=headers).status_code == 401
    reactivate(runtime.engine, council.iro)
    assert not _opens_home(first.client), "reactivating does not bring old sessions back"
    assert client.get("/api/v1/challenges", headers=headers).status_code == 401
    assert _opens_home(sign_in(app, "iro@council.test").client)


def test_a_password_change_ends_every_session(app, runtime, people):
    browser = sign_in(app, "iro@council.test")
    with Session(runtime.engine) as s:
        set_password(s, people.council.iro, "a brand new passphrase for winter")
        s.commit()
    assert not _opens_home(browser.client)
    with Session(runtime.engine) as s:
        reasons = s.exec(select(UserSession.ended_reason)).all()
    assert reasons == ["password changed"]


def _shift(runtime, **columns: timedelta) -> None:
    with runtime.engine.begin() as conn:
        for name, delta in columns.items():
            rows = conn.execute(sa.select(UserSession.id, getattr(UserSession, name))).all()
            for row_id, value in rows:
                conn.execute(
                    sa.update(UserSession)
                    .where(UserSession.id == row_id)
                    .values({name: value - delta})
                )


def test_idle_timeout_ends_the_session(app, runtime, people):
    browser = sign_in(app, "iro@council.test")
    _shift(runtime, last_seen_at=timedelta(minutes=29))
    assert _opens_home(browser.client), "29 minutes idle is within the default 30"
    _shift(runtime, last_seen_at=timedelta(minutes=31))
    assert not _opens_home(browser.client)
    with Session(runtime.engine) as s:
        assert s.exec(select(UserSession.ended_reason)).one() == "idle timeout"


def test_absolute_lifetime_ends_a_busy_session(app, runtime, people):
    browser = sign_in(app, "iro@council.test")
    _shift(runtime, expires_at=timedelta(hours=10, seconds=1))
    assert not _opens_home(browser.client)
    with Session(runtime.engine) as s:
        assert s.exec(select(UserSession.ended_reason)).one() == "expired"


def test_the_cookie_holds_no_person_id_only_a_random_session_id(app, runtime, people):
    browser = sign_in(app, "iro@council.test")
    with Session(runtime.engine) as s:
        row = s.exec(select(UserSession)).one()
    assert row.person_id == people.council.iro
    assert row.ip and row.user_agent
    assert browser.client.cookies.get("iro_session")
    assert PASSWORD not in str(browser.client.cookies)


def test_the_timeout_warning_is_on_every_page_and_stay_signed_in_renews(app, runtime, people):
    browser = sign_in(app, "iro@council.test")
    page = browser.get("/")
    assert 'id="app-timeout-warning" data-idle-seconds="1800"' in page.text
    assert "You're about to be signed out" in page.text
    _shift(runtime, last_seen_at=timedelta(minutes=28))
    assert browser.post("/session/keep-alive").status_code == 204
    _shift(runtime, last_seen_at=timedelta(minutes=28))
    assert _opens_home(browser.client), "renewed: 28 more minutes are within the limit"
    signed_out = TestClient(app).post("/session/keep-alive", follow_redirects=False)
    assert signed_out.status_code == 303, "the page script treats anything but 204 as signed out"


def test_sign_in_page_says_why_after_a_timeout(anonymous, people):
    page = anonymous.get("/sign-in?timed_out=1")
    assert "had not done anything for 30 minutes" in page.text

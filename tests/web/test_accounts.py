"""Accounts without single sign-on: invitation, set password, forgotten password, unlock,
deactivate and reactivate, an admin seeing and ending sessions, IRO cover."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from api.account_tables import AccountLink, UserSession
from api.password_policy import WeakPassword, check_password
from notifications.tables import OutboxMessage
from tests.web.conftest import CSRF, PASSWORD, TestClient, sign_in
from workflow.access_tables import IroCover
from workflow.tables import Person

NEW_PASSWORD = "lantern orchard velvet kettle"


def _new_starter(runtime) -> int:
    with Session(runtime.engine) as s:
        person = Person(email="new.iro@council.test", name="Nia Starter", role="iro")
        s.add(person)
        s.commit()
        assert person.id is not None
        return person.id


def _mailed_token(runtime, to: str) -> str:
    with Session(runtime.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.to_address == to)).all()
    assert len(rows) == 1, [r.subject for r in rows]
    return rows[-1].secrets[0]


def _form(client: TestClient, url: str, data: dict[str, str]):
    token = CSRF.search(client.get(url).text)
    assert token is not None
    return client.post(url, data={"csrftoken": token.group(1), **data}, follow_redirects=False)


def test_invite_then_set_password_once_then_sign_in(app, runtime, people, login):
    starter = _new_starter(runtime)
    admin = login("admin@council.test")
    response = admin.post(f"/admin/people/{starter}/account/invite", follow_redirects=True)
    assert "We have emailed an invitation to new.iro@council.test" in response.text
    token = _mailed_token(runtime, "new.iro@council.test")
    url = f"/account/set-password/{token}"
    client = TestClient(app)
    assert "Nia Starter" in client.get(url).text
    weak = _form(client, url, {"password": "Password1234", "confirm": "Password1234"})
    assert weak.status_code == 400 and "list of common passwords" in weak.text
    mismatch = _form(client, url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    done = _form(client, url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert client.get(url).status_code == 410, "the link works once"
    assert sign_in(app, "new.iro@council.test", NEW_PASSWORD).get("/").status_code == 200


def test_an_invitation_expires_after_72_hours(app, runtime, people, login):
    starter = _new_starter(runtime)
    login("admin@council.test").post(f"/admin/people/{starter}/account/invite")
    token = _mailed_token(runtime, "new.iro@council.test")
    with runtime.engine.begin() as conn:
        (expires,) = conn.execute(sa.select(AccountLink.expires_at)).one()
        created = conn.execute(sa.select(AccountLink.created_at)).scalar_one()
        assert expires - created == timedelta(hours=72)
        conn.execute(sa.update(AccountLink).values(expires_at=created))
    page = TestClient(app).get(f"/account/set-password/{token}")
    assert page.status_code == 410 and "expired" in page.text
    assert TestClient(app).get("/account/set-password/made-up").status_code == 404


def test_forgotten_password_never_says_whether_the_email_exists(app, runtime, people):
    client = TestClient(app)
    known = _form(client, "/sign-in/forgotten-password", {"email": "iro@council.test"})
    unknown = _form(client, "/sign-in/forgotten-password", {"email": "nobody@council.test"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("iro@council.test", "X") == unknown.text.replace(
        "nobody@council.test", "X"
    )
    token = _mailed_token(runtime, "iro@council.test")
    with Session(runtime.engine) as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1
    url = f"/account/set-password/{token}"
    assert (
        _form(client, url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    )
    assert sign_in(app, "iro@council.test", NEW_PASSWORD)


def test_admin_unlocks_a_locked_account(app, runtime, people, login):
    client = TestClient(app)
    for _ in range(5):
        _form(client, "/sign-in", {"email": "iro@council.test", "password": "wrong guess"})
    admin = login("admin@council.test")
    page = admin.get(f"/admin/people/{people.council.iro}/account")
    assert "locked after too many wrong attempts" in page.text
    admin.post(f"/admin/people/{people.council.iro}/account/unlock")
    assert sign_in(app, "iro@council.test").get("/").status_code == 200


def test_admin_sees_and_ends_sessions_and_deactivates(app, runtime, people, login):
    iro_id = people.council.iro
    first, second = sign_in(app, "iro@council.test"), sign_in(app, "iro@council.test")
    admin = login("admin@council.test")
    page = admin.get(f"/admin/people/{iro_id}/account")
    assert page.text.count("this session</span>") == 2
    with Session(runtime.engine) as s:
        first_id = s.exec(select(UserSession.id).where(UserSession.person_id == iro_id)).first()
    admin.post(f"/admin/people/{iro_id}/sessions/{first_id}/end")
    assert first.get("/", follow_redirects=False).status_code == 303
    assert second.get("/", follow_redirects=False).status_code == 200
    done = admin.post(f"/admin/people/{iro_id}/account/deactivate", follow_redirects=True)
    assert "1 session(s) ended" in done.text and "Deactivated" in done.text
    assert second.get("/", follow_redirects=False).status_code == 303
    assert TestClient(app).post("/sign-in").status_code == 403  # no CSRF: refused anyway
    admin.post(f"/admin/people/{iro_id}/account/reactivate")
    assert sign_in(app, "iro@council.test").get("/").status_code == 200


def test_only_admins_take_account_actions(app, people, login):
    hos = login("hos@council.test")
    assert hos.post(f"/admin/people/{people.council.iro}/account/deactivate").status_code == 403
    assert hos.get(f"/admin/people/{people.council.iro}/account").status_code == 403
    assert login("iro@council.test").get("/", follow_redirects=False).status_code == 200


def test_admin_records_cover_with_clear_errors(runtime, people, login):
    admin = login("admin@council.test")
    bad = admin.post("/admin/cover", data={"covering_iro_id": str(people.council.iro),
                                           "for_iro_id": str(people.council.iro),
                                           "starts_on-day": "1", "starts_on-month": "12",
                                           "starts_on-year": "2026", "ends_on-day": "2",
                                           "ends_on-month": "12", "ends_on-year": "2026"})  # fmt: skip
    assert bad.status_code == 400 and "cannot cover for themselves" in bad.text
    good = admin.post("/admin/cover", data={"covering_iro_id": str(people.council.other_iro),
                                            "for_iro_id": str(people.council.iro),
                                            "starts_on-day": "1", "starts_on-month": "12",
                                            "starts_on-year": "2026", "ends_on-day": "24",
                                            "ends_on-month": "12", "ends_on-year": "2026"},
                      follow_redirects=True)  # fmt: skip
    assert "The cover is recorded" in good.text and "24 December 2026" in good.text
    with Session(runtime.engine) as s:
        assert len(s.exec(select(IroCover)).all()) == 1


@pytest.mark.parametrize(
    "password, why",
    [
        ("short one", "12 characters or more"),
        ("qwerty123456789", "common"),
        ("aaaaaaaaaaaaaaaa", "harder to guess"),
        ("x" * 257, "256 characters or fewer"),
    ],
)
def test_password_rules_follow_ncsc(password, why):
    with pytest.raises(WeakPassword, match=why):
        check_password(password)


def test_long_passphrases_pass_and_the_persons_name_does_not():
    check_password("correct horse battery staple")
    check_password("a very long passphrase " * 10)
    with pytest.raises(WeakPassword):
        check_password("imogenreviewer1", ("iro@council.test", "imogenreviewer"))
    assert PASSWORD

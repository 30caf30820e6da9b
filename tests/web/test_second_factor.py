"""A second factor for local accounts: TOTP set up at sign-in when the council requires
it, codes never accepted twice, recovery codes used once, wrong codes limited."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest

from api.app import create_app
from api.second_factor import check_code, enrol, new_secret
from tests.web.conftest import CSRF, PASSWORD, TestClient, web_settings


def _password_step(client: TestClient, email: str = "iro@council.test"):
    token = CSRF.search(client.get("/sign-in").text).group(1)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrftoken": token}, follow_redirects=False)  # fmt: skip
    return response, token


def _code(client: TestClient, token: str, code: str):
    return client.post("/sign-in/second-factor", data={"code": code, "csrftoken": token},
                       follow_redirects=False)  # fmt: skip


@pytest.fixture
def strict_app(runtime, tmp_path):
    return create_app(runtime, web_settings(tmp_path, IRO_DISPUTES_REQUIRE_SECOND_FACTOR="true"))


def test_required_second_factor_is_set_up_at_first_sign_in(strict_app, people):
    client = TestClient(strict_app)
    response, token = _password_step(client)
    assert response.headers["location"] == "/sign-in/second-factor"
    assert client.get("/", follow_redirects=False).status_code == 303, "no session yet"
    page = client.get("/sign-in/second-factor")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    assert "otpauth://totp/" in page.text
    assert _code(client, token, "000000").status_code == 400
    done = _code(client, token, pyotp.TOTP(secret).now())
    assert done.status_code == 200 and done.text.count("<code>") == 10
    assert client.get("/", follow_redirects=False).status_code == 200


def test_enrolled_people_give_a_code_each_time_and_it_is_not_reusable(app, runtime, people):
    secret = new_secret()
    now = datetime.now(UTC)
    codes = enrol(runtime.engine, people.council.iro, secret, pyotp.TOTP(secret).at(now), now)
    assert codes is not None and len(codes) == 10
    later = datetime.fromtimestamp(now.timestamp() + 30, UTC)
    current = pyotp.TOTP(secret).at(later)
    assert check_code(runtime.engine, people.council.iro, current, later)
    assert not check_code(runtime.engine, people.council.iro, current, later), "replayed code"
    assert check_code(runtime.engine, people.council.iro, codes[0], later)
    assert not check_code(runtime.engine, people.council.iro, codes[0], later), "used once"
    client = TestClient(app)
    response, token = _password_step(client)
    assert response.headers["location"] == "/sign-in/second-factor"
    assert "Enter your security code" in client.get("/sign-in/second-factor").text
    assert _code(client, token, codes[1]).headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200


def test_five_wrong_codes_send_you_back_to_the_password(app, runtime, people):
    secret = new_secret()
    now = datetime.now(UTC)
    enrol(runtime.engine, people.council.iro, secret, pyotp.TOTP(secret).at(now), now)
    client = TestClient(app)
    _, token = _password_step(client)
    for _ in range(4):
        assert _code(client, token, "123456").status_code == 400
    assert _code(client, token, "123456").headers["location"] == "/sign-in"
    assert client.get("/sign-in/second-factor", follow_redirects=False).status_code == 303


def test_without_the_password_step_there_is_no_code_page(app, people):
    client = TestClient(app)
    assert (
        client.get("/sign-in/second-factor", follow_redirects=False).headers["location"]
        == "/sign-in"
    )


def test_a_person_sets_up_an_authenticator_from_their_account(login, runtime, people):
    iro = login("iro@council.test")
    page = iro.get("/account/second-factor")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    done = iro.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "recovery codes" in done.text
    admin = login("admin@council.test")
    assert (
        "Authenticator app set up" in admin.get(f"/admin/people/{people.council.iro}/account").text
    )
    admin.post(f"/admin/people/{people.council.iro}/account/remove-second-factor")
    assert (
        "Authenticator app set up"
        not in admin.get(f"/admin/people/{people.council.iro}/account").text
    )


def test_the_account_page_is_in_the_header_and_leads_to_the_authenticator(login, anonymous):
    iro = login("iro@council.test")
    home = iro.get("/")
    assert 'href="/account" data-testid="your-account">Your account</a>' in home.text
    account = iro.get("/account")
    assert account.status_code == 200 and "Imogen Reviewer" in account.text
    assert 'href="/account/second-factor"' in account.text
    assert 'href="/account/tokens"' in account.text
    page = iro.get("/account/second-factor")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    iro.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    after = iro.get("/account")
    assert "Your authenticator app is set up" in after.text
    assert 'href="/account/second-factor"' not in after.text
    assert anonymous.get("/account", follow_redirects=False).status_code == 303

"""Sign-in, sign-out, lock-out, the session cookie, CSRF and the secret setting."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from api.web_settings import secret_weakness
from tests.factories import STRONG_SECRET_KEY
from tests.web.conftest import CSRF, PASSWORD, TestClient, web_settings


def _post_sign_in(client: TestClient, email: str, password: str):
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrftoken": token.group(1)},
        follow_redirects=False,
    )


def test_pages_redirect_to_sign_in_and_back(anonymous, people):
    response = anonymous.get("/log?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Flog%3Fstatus%3Dopen"


def test_sign_in_sets_a_protected_cookie_and_sign_out_ends_the_session(anonymous, people):
    response = _post_sign_in(anonymous, "IRO@council.test", PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "iro_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert anonymous.get("/").status_code == 200
    token = CSRF.search(anonymous.get("/").text)
    assert token is not None
    anonymous.post("/sign-out", data={"csrftoken": token.group(1)})
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_in_govuk_words(anonymous, people):
    response = _post_sign_in(anonymous, "iro@council.test", "not the password")
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_lock_out_after_repeated_failures_even_with_the_right_password(anonymous, people):
    for _ in range(5):
        _post_sign_in(anonymous, "iro@council.test", "wrong guess")
    response = _post_sign_in(anonymous, "iro@council.test", PASSWORD)
    assert response.status_code == 400
    assert "too many times" in response.text


def test_next_never_leaves_the_site(anonymous, people):
    token = CSRF.search(anonymous.get("/sign-in").text)
    assert token is not None
    response = anonymous.post(
        "/sign-in",
        data={
            "email": "iro@council.test",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrftoken": token.group(1),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_form_post_without_csrf_token_is_refused(login, raised):
    iro = login("iro@council.test")
    response = iro.client.post(
        f"/challenges/{raised}/actions/pause", data={"version": "1", "reason": "x"}
    )
    assert response.status_code == 403
    assert "expired" in response.text
    response = iro.post(
        f"/challenges/{raised}/actions/pause",
        data={"version": "1", "reason": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_sign_in_itself_needs_the_csrf_token(anonymous, people):
    response = anonymous.post("/sign-in", data={"email": "iro@council.test", "password": PASSWORD})
    assert response.status_code == 403


def test_placeholder_secret_is_refused_outside_development(tmp_path):
    with pytest.raises(ValidationError, match="IRO_DISPUTES_SECRET_KEY"):
        web_settings(tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY="changeme")
    settings = web_settings(
        tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY=STRONG_SECRET_KEY
    )
    assert settings.signing_secret() == STRONG_SECRET_KEY


def test_development_secret_is_made_once_and_kept(tmp_path):
    first = web_settings(tmp_path).signing_secret()
    assert len(first) >= 32
    assert web_settings(tmp_path).signing_secret() == first


def test_development_secret_made_at_once_by_several_is_one_secret(tmp_path):
    """Web processes starting together all sign with the one secret kept on disk."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        made = set(pool.map(lambda _: web_settings(tmp_path).signing_secret(), range(32)))
    assert made == {(tmp_path / "web-secret.txt").read_text()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["web-secret.txt"]


def test_cookie_is_secure_outside_development(runtime, people, tmp_path):
    from api.app import create_app

    app = create_app(
        runtime,
        web_settings(
            tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY=STRONG_SECRET_KEY
        ),
    )
    client = TestClient(app, base_url="https://testserver")
    response = _post_sign_in(client, "iro@council.test", PASSWORD)
    assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("k" * 48, "only 1 different characters"),
        ("Zq8#" * 12, "only 4 different characters"),
        ("abababab01010101" * 2 + "cdcdcdcd", "only 6 different characters"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "follows a pattern"),
        ("a1b2c3d4e5f6g7h8" * 3, "follows a pattern"),
        ("short-but-random-Q8z", "is 20 characters long"),
    ],
)
def test_a_guessable_secret_is_refused_outside_development(tmp_path, key, why):
    with pytest.raises(ValidationError, match=why):
        web_settings(tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY=key)


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(48), lambda: secrets.token_hex(16)])
def test_a_random_secret_is_accepted(make):
    for _ in range(50):
        assert secret_weakness(make()) is None

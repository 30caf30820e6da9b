"""Fixtures for the web tests: the app on the parametrised engine, people who can sign
in (one per role), and signed-in clients."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from html import unescape as html_unescape
from pathlib import Path

import pytest
from sqlmodel import Session

from api.app import create_app
from api.auth import create_api_token, hash_password
from api.tables import PasswordCredential
from api.web_settings import WebSettings
from tests.factories import Council, new_challenge
from workflow.runtime import Runtime
from workflow.services import raise_challenge
from workflow.tables import Person

with warnings.catch_warnings():
    # Starlette's TestClient warns that its httpx backend is deprecated; it still works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


@dataclass
class People:
    council: Council
    admin: int
    smt_reader: int


def web_settings(tmp_path: Path, **extra: str) -> WebSettings:
    values = {
        "IRO_DISPUTES_ENV": "development",
        "IRO_DISPUTES_DATA_DIR": str(tmp_path),
        "IRO_DISPUTES_COUNCIL_NAME": "Darlington Borough Council",
        "IRO_DISPUTES_COUNCIL_COLOUR": "#00703c",
        **extra,
    }
    return WebSettings(**values)  # type: ignore[arg-type]


@cache
def password_hash() -> str:
    """PASSWORD's argon2id hash, made once a process by the service's own hasher: a hash
    costs 0.1-0.8 s, and nearly every web test signs people in (`set_password` itself is
    run by test_sessions.py, test_accounts.py and the account journey)."""
    return hash_password(PASSWORD)


@pytest.fixture
def people(runtime: Runtime, council: Council) -> People:
    return add_people(runtime, council)


def add_people(runtime: Runtime, council: Council) -> People:
    """An admin and an SMT reader beside the council's people; everyone signs in with
    PASSWORD."""
    with Session(runtime.engine) as s:
        admin = Person(email="admin@council.test", name="Adam Min", role="admin")
        smt = Person(email="smt@council.test", name="Sue Reader", role="smt_reader")
        s.add(admin)
        s.add(smt)
        s.flush()
        assert admin.id is not None and smt.id is not None
        for person_id in (*vars(council).values(), admin.id, smt.id):
            if isinstance(person_id, int):
                s.add(
                    PasswordCredential(
                        person_id=person_id,
                        password_hash=password_hash(),
                        changed_at=datetime.now(UTC),
                    )
                )
        s.commit()
        return People(council, admin.id, smt.id)


@pytest.fixture
def app(runtime: Runtime, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(runtime, web_settings(tmp_path))


@pytest.fixture
def anonymous(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app)


class Browser:
    """A signed-in TestClient that knows its CSRF token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(url, data={"csrftoken": self.token, **(data or {})}, **kw)


def sign_in(app, email: str, password: str = PASSWORD) -> Browser:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrftoken": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return Browser(client, token.group(1))


@pytest.fixture
def login(app, people: People) -> Callable[[str], Browser]:  # type: ignore[no-untyped-def]
    return lambda email: sign_in(app, email)


@pytest.fixture
def raised(runtime: Runtime, council: Council) -> str:
    """A formal challenge at the social worker stage, raised by the IRO yesterday."""
    now = datetime.now(UTC) - timedelta(days=1)
    with runtime.uow() as uow:
        return raise_challenge(
            uow, new_challenge(now, formal=True, stage="social_worker"), council.iro, now
        ).reference


@pytest.fixture
def token_for(runtime: Runtime) -> Callable[[int], dict[str, str]]:
    def make(person_id: int) -> dict[str, str]:
        with Session(runtime.engine) as s:
            token = create_api_token(s, person_id, "tests")
            s.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found.group(1)


def error_links(html: str) -> list[tuple[str, str]]:
    """The error summary's (href, message) pairs."""
    if "govuk-error-summary" not in html:
        return []
    start = html.index("govuk-error-summary")
    html = html[start : html.index("</ul>", start)]
    return [
        (a, m.strip()) for a, m in re.findall(r'<a href="#([^"]+)"[^>]*>\s*([^<]+?)\s*</a>', html)
    ]


def summary_rows(html: str) -> dict[str, str]:
    """A page's GOV.UK summary list rows as {key: value text}."""
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        html,
        re.S,
    )
    return {
        html_unescape(k): html_unescape(" ".join(re.sub(r"<[^>]+>", " ", v).split()))
        for k, v in rows
    }

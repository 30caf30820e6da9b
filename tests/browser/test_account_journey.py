"""In Chromium: invited, set a password, sign in with a second factor, sign out, and a
copy of the old session cookie is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from sqlmodel import Session, select

from api.accounts import INVITE, issue_link
from api.app import create_app
from notifications.settings import get_mail_settings
from notifications.tables import OutboxMessage
from tests.serving import serve
from tests.web.conftest import web_settings
from workflow.tables import Person

pytestmark = pytest.mark.browser
NEW_PASSWORD = "marble lighthouse pepper violin"


@pytest.fixture
def strict_server(runtime, people, tmp_path):
    settings = web_settings(tmp_path, IRO_DISPUTES_REQUIRE_SECOND_FACTOR="true")
    with serve(create_app(runtime, settings)) as base:
        yield base


def _invite(runtime) -> str:
    with Session(runtime.engine) as s:
        person = Person(email="nia@council.test", name="Nia Starter", role="iro")
        s.add(person)
        s.commit()
        person_id = person.id
    issue_link(runtime.engine, get_mail_settings(), person_id, INVITE, datetime.now(UTC))
    with Session(runtime.engine) as s:
        message = s.exec(
            select(OutboxMessage).where(OutboxMessage.to_address == "nia@council.test")
        ).one()
    return message.secrets[0]


def test_invited_person_sets_a_password_signs_in_with_a_code_and_signs_out(
    chromium, strict_server, runtime
):
    token = _invite(runtime)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{strict_server}/account/set-password/{token}")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url("**/sign-in")
    assert "Your password is set" in page.content()
    page.fill("#email", "nia@council.test")
    page.fill("#password", NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/second-factor")
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("link", name="Continue").click()
    assert "Nia Starter" in page.content()
    cookies = context.cookies()
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/sign-in")
    thief = chromium.new_context()
    thief.add_cookies(cookies)
    stolen = thief.new_page()
    stolen.goto(f"{strict_server}/")
    assert "/sign-in" in stolen.url, "the copied cookie no longer opens anything"
    thief.close()
    context.close()

"""The manager's journey in Chromium: the email in the development sink, its link, the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.app import create_app
from notifications.sender import send_pending
from notifications.settings import use_settings
from notifications.sink import Sink
from tests.browser.conftest import chromium, module_chromium  # noqa: F401  (fixtures)
from tests.factories import new_challenge
from tests.notifications.conftest import free_port
from tests.serving import serve
from tests.web.conftest import web_settings
from workflow.services import raise_challenge
from workflow.states import State

pytestmark = pytest.mark.browser


@pytest.fixture
def site(runtime, mail_settings, tmp_path):
    port = free_port()
    sink_port = free_port()
    settings = mail_settings.model_copy(update={
        "base_url": f"http://127.0.0.1:{port}", "smtp_port": sink_port, "sink_port": sink_port,
    })  # fmt: skip
    use_settings(settings)
    with serve(create_app(runtime, web_settings(tmp_path)), port) as base:
        sink = Sink(settings)
        sink.start()
        yield base, settings
        sink.stop()


def test_a_manager_answers_from_the_link_in_the_captured_email(runtime, council, site, chromium):  # noqa: F811
    base, settings = site
    at = datetime.now(UTC) - timedelta(minutes=10)
    with runtime.uow() as uow:
        challenge = raise_challenge(uow, new_challenge(at, stage="social_worker"), council.iro, at)
    assert send_pending(runtime.engine, settings=settings).sent == 1
    page = chromium.new_page()
    page.goto(f"{base}/dev/mail")
    assert challenge.reference in page.inner_text("[data-testid=captured-message]")
    link = page.locator("[data-testid=captured-link]", has_text="/respond/").first
    link.click()
    page.wait_for_url("**/respond/**")
    assert "Answer the challenge" in page.inner_text("h1")
    # Opening the link changed nothing. Read inside a closed unit of work: a session left
    # open would keep SQLite's write lock and block the answer below.
    with runtime.uow() as uow:
        assert uow.challenges.get(challenge.reference).state is State.AWAITING_RESPONSE
    target = (datetime.now(UTC) + timedelta(days=14)).date()
    page.fill("#response", "The assessment is booked.")
    page.fill("#actions", "LAC nurse to complete it; SW to attend")
    page.fill("#target_date-day", str(target.day))
    page.fill("#target_date-month", str(target.month))
    page.fill("#target_date-year", str(target.year))
    page.click("[data-testid=send-answer]")
    assert "Answer sent" in page.inner_text("main")
    with runtime.uow() as uow:
        assert uow.challenges.get(challenge.reference).state is State.RESPONSE_RECEIVED
    page.go_back()
    page.reload()
    assert "already been used" in page.inner_text("h1")
    assert page.locator("[data-testid=sign-in-link]").count() == 1

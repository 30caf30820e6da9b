"""The manager's journey in Chromium: the email in the development sink, its link, the answer."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from notifications.sender import send_pending
from notifications.settings import use_settings
from notifications.sink import Sink
from tests.conftest import require
from tests.factories import new_challenge
from tests.notifications.conftest import free_port
from tests.web.conftest import web_settings
from workflow.services import raise_challenge
from workflow.states import State

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser


@pytest.fixture
def site(runtime, mail_settings, tmp_path):
    port = free_port()
    sink_port = free_port()
    settings = mail_settings.model_copy(update={
        "base_url": f"http://127.0.0.1:{port}", "smtp_port": sink_port, "sink_port": sink_port,
    })  # fmt: skip
    use_settings(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, web_settings(tmp_path)),
                                           host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    sink = Sink(settings)
    sink.start()
    yield f"http://127.0.0.1:{port}", settings
    sink.stop()
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def chromium():
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--headless"])  # fmt: skip
        yield browser
        browser.close()


def test_a_manager_answers_from_the_link_in_the_captured_email(runtime, council, site, chromium):
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

"""The mail pages: answer from a link, the development sink page, the admin page."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from api.app import create_app
from api.auth import set_password
from notifications.inbound import receive
from notifications.sender import send_pending
from notifications.sink import Sink
from notifications.tables import InboundMail, MailAlert, OutboxMessage
from tests.factories import STRONG_SECRET_KEY, new_challenge
from tests.notifications.conftest import free_port, outbox
from tests.web.conftest import CSRF, PASSWORD, error_links, sign_in, summary_rows, web_settings
from workflow.services import raise_challenge
from workflow.states import State
from workflow.tables import ChallengeEvent, Person

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def app(runtime, tmp_path, mail_settings):
    return create_app(runtime, web_settings(tmp_path))


@pytest.fixture
def live(runtime, council, mail_settings):
    """A challenge raised an hour ago by the wall clock (the pages use the real time)."""
    at = datetime.now(UTC) - timedelta(hours=1)
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(at, stage="social_worker"), council.iro, at)


@pytest.fixture
def admin(runtime, council):
    with Session(runtime.engine) as s:
        person = Person(email="admin@council.test", name="Adam Min", role="admin")
        s.add(person)
        s.flush()
        set_password(s, person.id, PASSWORD)
        s.commit()
        return person.id


def _link(runtime):
    return outbox(runtime, to_address="sw@council.test")[0].secrets[0]


def _state(runtime, reference):
    with runtime.uow() as uow:
        return uow.challenges.get(reference).state


def _target():
    day = (datetime.now(UTC) + timedelta(days=14)).date()
    return {"target_date-day": str(day.day), "target_date-month": str(day.month),
            "target_date-year": str(day.year)}  # fmt: skip


def test_the_link_page_shows_the_form_and_changes_nothing(app, runtime, live):
    client = TestClient(app)
    page = client.get(f"/respond/{_link(runtime)}")
    assert page.status_code == 200
    assert "Answer the challenge" in page.text and live.what_is_wrong in page.text
    assert "You are answering as Sam Worker" in page.text
    assert "Child LL1001" not in page.text
    assert _state(runtime, live.reference) is State.AWAITING_RESPONSE
    again = client.get(f"/respond/{_link(runtime)}")
    assert again.status_code == 200


def test_submitting_the_form_records_the_answer_once(app, runtime, live, council):
    token = _link(runtime)
    client = TestClient(app)
    csrf = CSRF.search(client.get(f"/respond/{token}").text).group(1)
    form = {"csrftoken": csrf, "response": "Booked.", "actions": "Nurse visit", **_target()}
    done = client.post(f"/respond/{token}", data=form)
    assert done.status_code == 200 and "Answer sent" in done.text
    assert _state(runtime, live.reference) is State.RESPONSE_RECEIVED
    with Session(runtime.engine) as s:
        event = s.exec(select(ChallengeEvent).where(ChallengeEvent.kind == "respond")).one()
    assert event.actor_id == council.social_worker
    used = client.get(f"/respond/{token}")
    assert used.status_code == 410 and "already been used" in used.text
    assert 'href="/sign-in"' in used.text
    assert client.post(f"/respond/{token}", data=form).status_code == 410


def test_form_errors_are_shown_in_gov_uk_wording(app, runtime, live):
    token = _link(runtime)
    client = TestClient(app)
    csrf = CSRF.search(client.get(f"/respond/{token}").text).group(1)
    page = client.post(
        f"/respond/{token}", data={"csrftoken": csrf, "response": "", "actions": "x"}
    )
    assert page.status_code == 422
    assert "There is a problem" in page.text and "Enter your response" in page.text
    assert _state(runtime, live.reference) is State.AWAITING_RESPONSE


def test_an_empty_answer_lists_every_missing_answer_in_the_error_summary(app, runtime, live):
    token = _link(runtime)
    client = TestClient(app)
    csrf = CSRF.search(client.get(f"/respond/{token}").text).group(1)
    page = client.post(f"/respond/{token}", data={"csrftoken": csrf})
    assert page.status_code == 422
    assert error_links(page.text) == [
        ("response", "Enter your response"),
        ("actions", "Enter the actions you commit to"),
        ("target_date-day", "Enter the target date"),
    ]
    assert page.text.startswith("<!DOCTYPE html>") and "<title>Error: " in page.text
    assert _state(runtime, live.reference) is State.AWAITING_RESPONSE


def test_the_answer_page_shows_the_review_who_raised_it_and_the_story_so_far(app, runtime, live):
    page = TestClient(app).get(f"/respond/{_link(runtime)}")
    text = " ".join(page.text.split())
    rows = summary_rows(page.text)
    review = live.review_date
    assert rows["Raised by"] == "Imogen Reviewer"
    assert rows["Date of the review"] == f"{review.day} {review:%B %Y}"
    assert rows["Stage"] == "Social worker"
    assert "What has happened so far" in text and "Challenge raised" in text
    assert "by Imogen Reviewer" in text


def test_a_post_without_the_csrf_field_is_refused(app, runtime, live):
    token = _link(runtime)
    client = TestClient(app)
    client.get(f"/respond/{token}")
    refused = client.post(f"/respond/{token}", data={"response": "x", "actions": "y", **_target()})
    assert refused.status_code == 403
    assert _state(runtime, live.reference) is State.AWAITING_RESPONSE


def test_an_unknown_link_says_so(app, live):
    page = TestClient(app).get("/respond/not-a-real-token")
    assert page.status_code == 404 and "not recognised" in page.text


def test_the_dev_page_lists_captured_mail_with_links(app, runtime, live, mail_settings):
    port = free_port()
    settings = mail_settings.model_copy(update={"smtp_port": port, "sink_port": port})
    sink = Sink(settings)
    sink.start()
    try:
        assert send_pending(runtime.engine, settings=settings).sent == 1
    finally:
        sink.stop()
    page = TestClient(app).get("/dev/mail")
    assert page.status_code == 200
    assert f"[{live.reference}]" in page.text and "sw@council.test" in page.text
    assert "/respond/" in page.text


def test_the_dev_page_does_not_exist_outside_development(runtime, tmp_path, mail_settings):
    production = create_app(runtime, web_settings(
        tmp_path, IRO_DISPUTES_ENV="production", IRO_DISPUTES_SECRET_KEY=STRONG_SECRET_KEY))  # fmt: skip
    assert TestClient(production).get("/dev/mail").status_code == 404


def test_admins_see_failures_and_quarantine_and_assign(app, runtime, live, admin, council):
    with Session(runtime.engine) as s:
        row = s.exec(select(OutboxMessage)).first()
        row.status, row.last_error = "failed", "550 5.1.1 User unknown"
        never_composed = row.due is not None and row.subject == ""
        s.add(row)
        s.add(
            MailAlert(
                kind="bounce", message="bounce: sw@council.test", created_at=datetime.now(UTC)
            )
        )
        s.commit()
    raw = (b"From: sw@council.test\r\nTo: disputes@council.test\r\nSubject: about it\r\n"
           b"Message-ID: <q1@client.test>\r\n\r\nBooked for next week.\r\n")  # fmt: skip
    with runtime.uow() as uow:
        quarantined = receive(uow, raw, "test", datetime.now(UTC))
    browser = sign_in(app, "admin@council.test")
    page = browser.get("/admin/mail")
    assert page.status_code == 200
    assert "550 5.1.1 User unknown" in page.text
    # The email was never composed (the sender writes it when it sends): say what it is.
    assert never_composed
    assert f"[{live.reference}] Challenge raised or escalated (written when sent)" in page.text
    assert "bounce: sw@council.test" in page.text
    assert "no reply token" in page.text and "Booked for next week." in page.text
    target = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    bad = browser.post(
        f"/admin/mail/inbound/{quarantined.inbound_id}/assign", data={"reference": ""}
    )
    assert bad.status_code == 400 and "Enter the challenge reference" in bad.text
    done = browser.post(f"/admin/mail/inbound/{quarantined.inbound_id}/assign",
                        data={"reference": live.reference.lower(), "target_date": target},
                        follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert _state(runtime, live.reference) is State.RESPONSE_RECEIVED
    with Session(runtime.engine) as s:
        assert s.get(InboundMail, quarantined.inbound_id).status == "assigned"


def test_only_admins_open_the_mail_page(app, runtime, live, admin, council):
    with Session(runtime.engine) as s:
        set_password(s, council.iro, PASSWORD)
        s.commit()
    assert sign_in(app, "iro@council.test").get("/admin/mail").status_code == 403

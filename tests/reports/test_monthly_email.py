"""The monthly SMT email end to end: queued by the worker's job, sent over real SMTP to an
aiosmtpd server on loopback, with last month's report attached as a PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from api.jobs import JobContext
from api.jobs.reports import monthly_report
from api.reports.monthly import queue_monthly_report
from notifications.attachments import AttachmentTooLarge
from notifications.sender import send_pending
from notifications.settings import MailSettings, use_settings
from notifications.tables import OutboxAttachment, OutboxMessage
from tests.notifications.conftest import RecordingHandler, mail_settings, smtp_server  # noqa: F401
from tests.reports.conftest import Scenario
from tests.web.conftest import People
from workflow.tables import Person

# 07:00 London on Tuesday 1 December 2026: the job's time; last month is November.
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
PDF_NAME = "IRO-challenge-report-SMT-2026-11.pdf"


def _to(handler: RecordingHandler, address: str) -> list[EmailMessage]:
    found = []
    for envelope in handler.received:
        if envelope.rcpt_tos == [address]:
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
    return found


def _reports(scenario: Scenario) -> list[OutboxMessage]:
    with Session(scenario.runtime.engine) as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == "smt_report")
        return list(s.exec(query.order_by(OutboxMessage.id)))  # type: ignore[arg-type]


def test_each_smt_reader_gets_last_months_pdf_once(
    scenario: Scenario, people: People, mail_settings: MailSettings,  # noqa: F811
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:  # fmt: skip
    rt = scenario.runtime
    # The scenario's own emails are due from when it ran (an email is never due before the
    # wall clock: `notifications.messages.on_events`), which on 1 December 2026 fell after
    # the job's 07:00 and before the later sends below: deliver them first, so what those
    # sends count is the report's alone, whatever the day the tests run.
    send_pending(rt.engine, now=datetime.now(UTC) + timedelta(minutes=1))
    monthly_report(JobContext(rt, FIRST_OF_DECEMBER))
    assert send_pending(rt.engine, now=FIRST_OF_DECEMBER + timedelta(minutes=1)).failed == 0

    [message] = _to(smtp_server, "smt@council.test")
    [row] = _reports(scenario)
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == "IRO challenge report to SMT: November 2026"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Sue Reader," in text
    assert f"is attached as a PDF for the SMT pack: {PDF_NAME}" in text
    assert "IROs raised 6 challenges (3 in the previous period" in text
    assert "https://disputes.council.test/reports?from=2026-11-01&to=2026-11-30" in text

    [attachment] = list(message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content_type()) == (
        PDF_NAME,
        "application/pdf",
    )
    pdf = attachment.get_content()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    pages = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    words = " ".join(pages.split())
    assert "IRO challenge: report to the Senior Management Team" in words
    assert "1 November 2026 to 30 November 2026" in words
    assert "IROs raised 6 challenges (3 in the previous period" in words

    # Exactly once per reader per month: again the same day, or later in the month.
    monthly_report(JobContext(rt, FIRST_OF_DECEMBER + timedelta(hours=2)))
    assert queue_monthly_report(rt, datetime(2026, 12, 20, 9, 0, tzinfo=UTC)) == 0
    assert send_pending(rt.engine, now=FIRST_OF_DECEMBER + timedelta(hours=3)).sent == 0
    assert len(_to(smtp_server, "smt@council.test")) == 1

    # A reader added mid-month gets November's report; the first reader nothing more.
    with Session(rt.engine) as s:
        s.add(Person(email="smt2@council.test", name="Second Reader", role="smt_reader"))
        s.commit()
    assert queue_monthly_report(rt, datetime(2026, 12, 9, 9, 0, tzinfo=UTC)) == 1
    send_pending(rt.engine, now=FIRST_OF_DECEMBER + timedelta(days=9))
    [second] = _to(smtp_server, "smt2@council.test")
    assert [a.get_filename() for a in second.iter_attachments()] == [PDF_NAME]
    assert len(_to(smtp_server, "smt@council.test")) == 1
    # January brings December's report.
    assert queue_monthly_report(rt, datetime(2027, 1, 1, 7, 0, tzinfo=UTC)) == 2
    assert sorted(r.dedupe_key.split(":")[1] for r in _reports(scenario)) == [
        "2026-11", "2026-11", "2026-12", "2026-12",
    ]  # fmt: skip


def test_a_report_over_the_size_limit_is_refused_with_the_figures(
    scenario: Scenario, people: People, mail_settings: MailSettings,  # noqa: F811
    caplog: Any,
) -> None:  # fmt: skip
    use_settings(mail_settings.model_copy(update={"mail_max_attachment_bytes": 1000}))
    with pytest.raises(AttachmentTooLarge) as refused:
        monthly_report(JobContext(scenario.runtime, FIRST_OF_DECEMBER))
    error = refused.value
    assert error.limit == 1000 and error.total > 1000
    assert str(error) == (
        f"Message 'smt_report:2026-11:{people.smt_reader}' not queued: its attachments total "
        f"{error.total:,} bytes ({PDF_NAME} {error.total:,} bytes), {error.total - 1000:,} "
        "bytes over the limit of 1,000 bytes (IRO_DISPUTES_MAIL_MAX_ATTACHMENT_BYTES)"
    )
    assert f"monthly SMT report not queued: {error}" in caplog.text
    with Session(scenario.runtime.engine) as s:
        assert s.exec(select(OutboxAttachment)).all() == []
    assert _reports(scenario) == []


def test_a_month_missed_while_the_worker_was_down_goes_once_when_it_starts(
    scenario: Scenario, people: People, mail_settings: MailSettings,  # noqa: F811
) -> None:  # fmt: skip
    """APScheduler's cron would skip 07:00 on the 1st had the worker been down then: the job
    is a frequent check of "due and not yet sent" instead."""
    rt = scenario.runtime

    def queued() -> int:
        with Session(rt.engine) as s:
            return len(
                s.exec(select(OutboxMessage).where(OutboxMessage.kind == "smt_report")).all()
            )

    monthly_report(JobContext(rt, FIRST_OF_DECEMBER - timedelta(minutes=1)))
    assert queued() == 0  # 06:59 on the 1st: not due yet
    started = FIRST_OF_DECEMBER + timedelta(days=2, hours=3)  # down from the 1st to the 3rd
    monthly_report(JobContext(rt, started))
    monthly_report(JobContext(rt, started + timedelta(minutes=15)))
    assert queued() == 1

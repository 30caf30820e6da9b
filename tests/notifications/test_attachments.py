"""Attachments: queued with the caller's work, sent as multipart/mixed over real SMTP."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from notifications.attachments import (
    Attachment,
    AttachmentRefused,
    AttachmentTooLarge,
    check_attachments,
)
from notifications.messages import add_message, queue_message
from notifications.sender import send_pending
from notifications.tables import OutboxAttachment
from tests.notifications.conftest import outbox
from workflow.tables import Person

CSV = Attachment("figures.csv", "text/csv", b"month,raised\n2026-11,6\n")
BLOB = Attachment("r\u00e9sum\u00e9 2026.bin", "application/octet-stream", bytes(range(256)) * 40)


def _head(runtime, council):
    with Session(runtime.engine) as s:
        person = s.get(Person, council.head_of_service)
        assert person is not None
        return person


def _context(name="Hugh"):
    return {
        "recipient": {"name": name, "role": "head_of_service", "is_iro": False},
        "now": None,
        "list_url": "https://disputes.council.test/challenges",
        "service_area": "",  # the digest names a Head of Service's area when it has one
        "open": [],
        "due": [],
        "overdue": [],
    }


def _attachments(runtime):
    with Session(runtime.engine) as s:
        return list(s.exec(select(OutboxAttachment).order_by(OutboxAttachment.id)))  # type: ignore[arg-type]


def _arrived(handler) -> list[EmailMessage]:
    return [message_from_bytes(e.original_content, policy=policy.default) for e in handler.received]


def test_queued_in_the_callers_transaction(runtime, council, mail_settings, now):
    head = _head(runtime, council)
    with pytest.raises(RuntimeError), runtime.uow() as uow:
        row = queue_message(uow.session, mail_settings, kind="digest", key="t:1", to=head,
                            context=_context(), now=now, attachments=[CSV])  # fmt: skip
        assert row is not None and row.id is not None  # flushed, not committed
        raise RuntimeError("the caller's work failed")
    assert outbox(runtime) == [] and _attachments(runtime) == []

    with runtime.uow() as uow:
        row = queue_message(uow.session, mail_settings, kind="digest", key="t:1", to=head,
                            context=_context(), now=now, attachments=[CSV, BLOB])  # fmt: skip
        uow.commit()
    [stored] = outbox(runtime)
    assert stored.kind == "digest" and stored.subject.startswith("IRO challenges this week")
    assert "Dear Hugh," in stored.body_text
    files = _attachments(runtime)
    assert [(a.outbox_id, a.position, a.filename, a.media_type, a.size) for a in files] == [
        (stored.id, 0, "figures.csv", "text/csv", len(CSV.content)),
        (stored.id, 1, BLOB.filename, "application/octet-stream", 10240),
    ]
    assert files[1].content == BLOB.content

    # Same key again: nothing more, attachments included.
    with runtime.uow() as uow:
        assert queue_message(uow.session, mail_settings, kind="digest", key="t:1", to=head,
                             context=_context(), now=now, attachments=[CSV]) is None  # fmt: skip
        uow.commit()
    assert len(outbox(runtime)) == 1 and len(_attachments(runtime)) == 2


def test_sent_as_multipart_mixed_with_the_files(runtime, council, mail_settings, smtp_server, now):
    head = _head(runtime, council)
    with runtime.uow() as uow:
        queue_message(uow.session, mail_settings, kind="digest", key="t:2", to=head,
                      context=_context(), now=now, attachments=[CSV, BLOB])  # fmt: skip
        uow.commit()
    assert send_pending(runtime.engine, now=now + timedelta(seconds=1)).sent == 1
    [message] = _arrived(smtp_server)
    row = outbox(runtime)[0]
    assert message.get_content_type() == "multipart/mixed"
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Reply-To"] == "disputes@council.test"
    parts = list(message.iter_parts())
    assert parts[0].get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parts[0].iter_parts()] == ["text/plain", "text/html"]
    assert "Dear Hugh," in message.get_body(preferencelist=("plain",)).get_content()
    files = list(message.iter_attachments())
    assert [(f.get_filename(), f.get_content_type()) for f in files] == [
        ("figures.csv", "text/csv"),
        (BLOB.filename, "application/octet-stream"),
    ]
    assert files[0].get_content() == CSV.content.decode()
    assert files[1].get_content() == BLOB.content
    assert row.status == "sent"


def test_live_links_are_still_blanked_when_sent_with_attachments(
    runtime, council, mail_settings, smtp_server, now
):
    head = _head(runtime, council)
    secret = "https://disputes.council.test/respond/SECRET-TOKEN"
    with runtime.uow() as uow:
        add_message(uow.session, mail_settings, kind="test", key="t:3", to=head,
                    subject="With a link", text=f"Answer: {secret}\n",
                    html=f'<a href="{secret}">Answer</a>', now=now, secrets=[secret],
                    attachments=[CSV])  # fmt: skip
        uow.commit()
    assert send_pending(runtime.engine, now=now).sent == 1
    [message] = _arrived(smtp_server)
    assert secret in message.get_body(preferencelist=("plain",)).get_content()
    row = outbox(runtime)[0]
    assert row.secrets == [] and secret not in row.body_text and secret not in row.body_html
    assert row.body_text == "Answer: (link removed after sending)\n"
    assert [a.filename for a in _attachments(runtime)] == ["figures.csv"]


def test_over_the_size_limit_is_refused_and_nothing_is_written(
    runtime, council, mail_settings, now
):
    settings = mail_settings.model_copy(update={"mail_max_attachment_bytes": 10_000})
    head = _head(runtime, council)
    with pytest.raises(AttachmentTooLarge) as refused, runtime.uow() as uow:
        queue_message(uow.session, settings, kind="digest", key="t:4", to=head,
                      context=_context(), now=now, attachments=[CSV, BLOB])  # fmt: skip
        uow.commit()
    assert str(refused.value) == (
        "Message 't:4' not queued: its attachments total 10,263 bytes (figures.csv 23 bytes, "
        "r\u00e9sum\u00e9 2026.bin 10,240 bytes), 263 bytes over the limit of 10,000 bytes "
        "(IRO_DISPUTES_MAIL_MAX_ATTACHMENT_BYTES)"
    )
    assert (refused.value.total, refused.value.limit) == (10_263, 10_000)
    assert outbox(runtime) == [] and _attachments(runtime) == []
    # Exactly at the limit is allowed.
    with runtime.uow() as uow:
        add_message(uow.session, settings, kind="test", key="t:5", to=head, subject="s",
                    text="t", html="h", now=now,
                    attachments=[Attachment("x.bin", "application/octet-stream",
                                            b"x" * 10_000)])  # fmt: skip
        uow.commit()
    assert len(_attachments(runtime)) == 1


@pytest.mark.parametrize(
    ("attachment", "problem"),
    [
        (Attachment("", "text/plain", b"x"), "the file name '' is empty"),
        (Attachment("../etc/passwd", "text/plain", b"x"), "has a path or control character"),
        (Attachment("a.pdf", "pdf", b"x"), "a.pdf: 'pdf' is not a media type"),
    ],
)
def test_malformed_attachments_are_refused(mail_settings, attachment, problem):
    with pytest.raises(AttachmentRefused) as refused:
        check_attachments("k", [attachment], mail_settings)
    assert str(refused.value).startswith("Message 'k' not queued: ")
    assert problem in str(refused.value)

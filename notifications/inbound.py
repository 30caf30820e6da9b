"""Replies by email: refuse what is not an answer, match in layers, check the sender,
record or quarantine.

Every message is stored raw first (deduplicated by its SHA-256 and by its Message-ID,
so a poller that sees the same message twice, or a server that delivers it twice,
does nothing the second time); one over the size limit is refused before its body
is stored. Then:

1. Auto-replies, bounces, delay notices and loops are IGNORED (`refusals`): they never
   move a challenge. A permanent bounce also raises an admin alert naming the address.
   A message whose DMARC check failed is quarantined.
2. Matching, in layers: the token in the reply address (`disputes+TOKEN@...`),
   then `In-Reply-To`/`References` against the Message-IDs we sent, then
   `[IRO-YYYY-NNNN]` in the subject. A token that is present but unknown is
   treated as forged: quarantined, never matched by a weaker layer.
3. The sender must be the stage's responder or their deputy.
4. The text the sender wrote (`reply_cleaning`) is read as an answer (`answer`) and
   recorded with `workflow.services.take_action(RESPOND)`, exactly like the web form.
   A reply without a date is recorded as "no target date given"; an empty one is
   quarantined.

A quarantined message tells the admin (digest, dashboard), the IRO (the challenge
page, when it was matched) and, once, a known sender (`quarantine`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from notifications.answer import answer_params
from notifications.links import REPLY, check_token, find_token
from notifications.mail_text import header_text, parse, reply_text, sender_address
from notifications.quarantine import acknowledge
from notifications.refusals import MESSAGE_ID, dmarc_failed, is_bounce, not_a_reply
from notifications.settings import MailSettings, get_mail_settings
from notifications.tables import InboundMail, InboundStatus, MailAlert, OutboxMessage
from workflow.domain import Challenge
from workflow.errors import DomainError, NotFound
from workflow.services import take_action
from workflow.states import Action
from workflow.tables import ChallengeRecord, Person
from workflow.unit_of_work import UnitOfWork

HEADER_BYTES = 64 * 1024
REFERENCE_IN_SUBJECT = re.compile(r"\[?\b(IRO-\d{4}-\d{4,})\b\]?", re.IGNORECASE)


@dataclass(frozen=True)
class InboundResult:
    inbound_id: int
    status: InboundStatus
    reason: str
    reference: str | None = None
    duplicate: bool = False


@dataclass
class Match:
    challenge: Challenge
    by: str
    expected_person_id: int | None = None


class Quarantine(Exception):
    """Keep the message for an admin, with this reason."""


# -- entry point --------------------------------------------------------------


def receive(uow: UnitOfWork, raw: bytes, source: str, now: datetime) -> InboundResult:
    """Take one raw message from IMAP or the SMTP receiver. Never raises for bad mail."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = _message_id(raw)
    seen = _already_received(uow, digest, message_id)
    if seen is not None:
        return seen
    try:
        return _receive(uow, raw, digest, source, now)
    except sa.exc.IntegrityError:
        # Another worker stored the same message a moment ago: theirs stands.
        uow.session.rollback()
        seen = _already_received(uow, digest, message_id)
        if seen is None:
            raise
        return seen


def _message_id(raw: bytes) -> str | None:
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw[:HEADER_BYTES])
    return header_text(headers, "Message-ID").strip()[:500] or None


def _already_received(
    uow: UnitOfWork, digest: str, message_id: str | None = None
) -> InboundResult | None:
    same = col(InboundMail.raw_sha256) == digest
    if message_id:  # the same message delivered twice, by two routes or a retrying server
        same = sa.or_(same, col(InboundMail.message_id) == message_id)
    existing = uow.session.exec(
        select(InboundMail).where(same).order_by(col(InboundMail.id))
    ).first()
    if existing is None or existing.id is None:
        return None
    return InboundResult(
        existing.id, InboundStatus(existing.status), existing.reason, duplicate=True
    )


def _receive(uow: UnitOfWork, raw: bytes, digest: str, source: str, now: datetime) -> InboundResult:
    settings = get_mail_settings()
    row = InboundMail(
        raw_sha256=digest,
        raw=raw,
        source=source,
        received_at=now,
        status=InboundStatus.QUARANTINED.value,
    )
    if len(raw) > settings.mail_max_inbound_bytes:
        return _too_large(uow, row, len(raw), settings.mail_max_inbound_bytes)
    try:
        message = parse(raw)
        row.message_id = header_text(message, "Message-ID").strip()[:500] or None
        row.from_address = sender_address(message)[:320]
        row.subject = header_text(message, "Subject")[:1000]
        robot = not_a_reply(message, lambda ids: _ours(uow, ids), parseaddr(settings.mail_from)[1])
        if robot is not None:
            return _ignore(uow, row, message, robot, now)
        forged = dmarc_failed(message)
        if forged is not None:
            return _quarantine(uow, row, forged, now, acknowledge_sender=False)
        match = match_challenge(uow, message, settings, now)
        row.challenge_id = match.challenge.id  # kept as a hint even if the checks below fail
        reply = reply_text(message)
        row.reply_text = reply
        return _record(uow, row, match, reply, now)
    except Quarantine as why:
        return _quarantine(uow, row, str(why), now)
    except (ValueError, LookupError, TypeError, AttributeError) as error:
        # Mail that breaks the parser is still kept, for an admin to read.
        return _quarantine(uow, row, f"could not read this message: {error!r}", now)


def _too_large(uow: UnitOfWork, row: InboundMail, size: int, limit: int) -> InboundResult:
    """Keep the headers only: who sent what, so an admin can ask for it another way."""
    head = row.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:HEADER_BYTES]
    message = parse(head + b"\r\n\r\n")
    row.raw = head
    row.message_id = header_text(message, "Message-ID").strip()[:500] or None
    row.from_address = sender_address(message)[:320]
    row.subject = header_text(message, "Subject")[:1000]
    reason = (
        f"too large: {size:,} bytes, over the limit of {limit:,}; only its headers were kept. "
        "Ask the sender to send the attachments another way"
    )
    return _quarantine(uow, row, reason, row.received_at, acknowledge_sender=False)


def _record(
    uow: UnitOfWork,
    row: InboundMail,
    match: Match,
    reply: str,
    now: datetime,
    assigned_by: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> InboundResult:
    row.challenge_id = match.challenge.id  # kept as a hint even if the checks below fail
    person = check_sender(uow, match, row.from_address)
    if not reply.strip() and not overrides:
        raise Quarantine(
            f"empty: the reply from {row.from_address} has no text of its own "
            "(only quoted history or a signature such as 'Sent from my iPhone')"
        )
    params = answer_params(reply, now)
    params.update({k: v for k, v in (overrides or {}).items() if v})
    params["no_target_date_given"] = not params.get("target_date")
    row.challenge_id, row.person_id, row.matched_by = match.challenge.id, person.id, match.by
    row.assigned_by_id = assigned_by
    row.status = (InboundStatus.ASSIGNED if assigned_by else InboundStatus.MATCHED).value
    row.reason = f"recorded as the response on {match.challenge.reference} (matched by {match.by})"
    if params["no_target_date_given"]:
        row.reason += "; no target date given"
    uow.session.add(row)
    try:
        take_action(uow, match.challenge.reference, Action.RESPOND, person.id, params, now)
    except DomainError as error:
        uow.session.rollback()
        raise Quarantine(f"could not record the response: {error}") from error
    assert row.id is not None
    return InboundResult(row.id, InboundStatus(row.status), row.reason, match.challenge.reference)


def _ignore(
    uow: UnitOfWork, row: InboundMail, message: Message, reason: str, now: datetime
) -> InboundResult:
    row.status, row.reason = InboundStatus.IGNORED.value, reason
    uow.session.add(row)
    uow.session.flush()
    if is_bounce(reason):
        outbox = bounced_message(uow, message)
        uow.session.add(
            MailAlert(
                kind="bounce",
                message=f"{reason}; {_bounce_summary(message)}"
                + (f" (our message to {outbox.to_address}: '{outbox.subject}')" if outbox else ""),
                inbound_id=row.id,
                outbox_id=outbox.id if outbox else None,
                challenge_id=outbox.challenge_id if outbox else None,
                created_at=now,
            )
        )
    uow.commit()
    assert row.id is not None
    return InboundResult(row.id, InboundStatus.IGNORED, reason)


def _quarantine(
    uow: UnitOfWork, row: InboundMail, reason: str, now: datetime, acknowledge_sender: bool = True
) -> InboundResult:
    row.status, row.reason = InboundStatus.QUARANTINED.value, reason
    fresh = InboundMail(**row.model_dump(exclude={"id"}))
    uow.session.rollback()
    uow.session.add(fresh)
    uow.session.flush()
    if acknowledge_sender:
        acknowledge(uow.session, fresh, now)
    uow.commit()
    assert fresh.id is not None
    return InboundResult(fresh.id, InboundStatus.QUARANTINED, reason)


def _ours(uow: UnitOfWork, ids: list[str]) -> bool:
    if not ids:
        return False
    found = uow.session.exec(select(OutboxMessage.id).where(col(OutboxMessage.message_id).in_(ids)))
    return found.first() is not None


# -- matching ---------------------------------------------------------------------


def match_challenge(
    uow: UnitOfWork, message: Message, settings: MailSettings, now: datetime
) -> Match:
    tokens = reply_tokens(message, settings)
    if tokens:
        for token in tokens:
            row = find_token(uow.session, token, REPLY)
            if row is not None:
                try:
                    challenge = check_token(uow, row, now)
                except DomainError as error:
                    raise Quarantine(f"reply address token: {error}") from error
                return Match(challenge, "token", row.person_id)
        raise Quarantine("the token in the reply address is not one we issued (forged or altered)")
    thread = MESSAGE_ID.findall(
        header_text(message, "In-Reply-To") + " " + header_text(message, "References")
    )
    if thread:
        found = uow.session.exec(
            select(OutboxMessage.challenge_id).where(
                col(OutboxMessage.message_id).in_(thread),
                col(OutboxMessage.challenge_id).isnot(None),
            )
        ).first()
        if found is not None:
            return Match(_challenge(uow, found), "thread")
    subject = REFERENCE_IN_SUBJECT.search(header_text(message, "Subject"))
    if subject:
        try:
            return Match(uow.challenges.get(subject.group(1).upper()), "subject")
        except NotFound:
            raise Quarantine(
                f"the subject names {subject.group(1)}, which does not exist"
            ) from None
    raise Quarantine("no reply token, no known thread and no challenge reference in the subject")


def reply_tokens(message: Message, settings: MailSettings) -> list[str]:
    fields = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    values = [header_text(message, name) for name in fields]
    prefix = f"{settings.reply_local.lower()}+"
    domain = settings.reply_domain.lower()
    tokens = []
    for _name, address in getaddresses(values):
        local, _, host = address.lower().partition("@")
        if local.startswith(prefix) and host == domain and len(local) > len(prefix):
            tokens.append(local[len(prefix) :])
    return list(dict.fromkeys(tokens))


def check_sender(uow: UnitOfWork, match: Match, address: str) -> Person:
    challenge = match.challenge
    person = uow.session.exec(select(Person).where(func.lower(Person.email) == address)).first()
    if person is None or person.id is None:
        raise Quarantine(f"the sender {address or '(none)'} is not a known person")
    responder = challenge.responder_id
    if responder is None:
        raise Quarantine(f"{challenge.reference} has no responder waiting for an answer")
    if not uow.directory.may_answer_for(person.id, responder):
        who = uow.session.get(Person, responder)
        raise Quarantine(
            f"the sender {address} is not the responder on {challenge.reference} "
            f"({who.email if who else responder}) nor their deputy"
        )
    if match.expected_person_id not in (None, person.id) and not uow.directory.may_answer_for(
        person.id, match.expected_person_id
    ):
        raise Quarantine(f"the reply token was issued to someone else, not {address}")
    return person


def _challenge(uow: UnitOfWork, challenge_id: int) -> Challenge:
    reference = uow.session.exec(
        select(ChallengeRecord.reference).where(ChallengeRecord.id == challenge_id)
    ).one()
    return uow.challenges.get(reference)


# -- bounces ------------------------------------------------------------------------


def bounced_message(uow: UnitOfWork, message: Message) -> OutboxMessage | None:
    """Our message a bounce is about, from the returned headers or the bounce's threading."""
    ids: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            text = part.as_string() if part.is_multipart() else str(part.get_payload())
            ids += MESSAGE_ID.findall(" ".join(re.findall(r"(?im)^message-id:\s*(.+)$", text)))
    ids += MESSAGE_ID.findall(
        header_text(message, "In-Reply-To") + header_text(message, "References")
    )
    if not ids:
        return None
    return uow.session.exec(
        select(OutboxMessage).where(col(OutboxMessage.message_id).in_(ids))
    ).first()


def _bounce_summary(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            text = part.as_string()
            recipient = re.search(r"(?im)^final-recipient:\s*(?:rfc822;)?\s*(\S+)", text)
            status = re.search(r"(?im)^status:\s*(\S+)", text)
            diagnostic = re.search(r"(?im)^diagnostic-code:\s*(.+)$", text)
            bits = [
                f"recipient {recipient.group(1)}" if recipient else "",
                f"status {status.group(1)}" if status else "",
                diagnostic.group(1).strip() if diagnostic else "",
            ]
            return ", ".join(b for b in bits if b)
    return "no delivery status given"


# -- admin: assign a quarantined message ------------------------------------------


def assign(
    uow: UnitOfWork,
    inbound_id: int,
    reference: str,
    admin_id: int,
    now: datetime,
    actions: str = "",
    target_date: str = "",
    response: str = "",
) -> InboundResult:
    """An admin attaches a quarantined reply to a challenge and records it as the response.

    The sender must still be the responder or their deputy: an admin cannot answer
    for someone. The admin may correct the text (what the cleaning kept or missed) and
    supply the actions and target date the manager gave in words the reading missed.
    """
    row = uow.session.get(InboundMail, inbound_id)
    if row is None:
        raise NotFound("inbound message", inbound_id)
    admin = uow.session.get(Person, admin_id)
    if admin is None or admin.role != "admin":
        raise DomainError("only an administrator may assign a quarantined message")
    if row.status != InboundStatus.QUARANTINED.value:
        raise DomainError(f"message {inbound_id} is {row.status}, not in quarantine")
    match = Match(uow.challenges.get(reference), "admin")
    reply = response.strip() or row.reply_text or reply_text(parse(row.raw))
    try:
        return _record(
            uow, row, match, reply, now, admin_id,
            {"response": response.strip(), "actions": actions, "target_date": target_date},
        )  # fmt: skip
    except Quarantine as why:
        uow.session.rollback()
        raise DomainError(f"Cannot assign message {inbound_id} to {reference}: {why}") from why

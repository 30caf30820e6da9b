"""Quarantine that people act on: the sender told once, the admin told at most hourly,
a count for the dashboard, and the reply a challenge is waiting on.

A quarantined message is one the service would not record by itself. The known
sender gets one polite acknowledgement (never a stranger: answering unknown or
forged senders is how mail systems become spam relays); admins get one digest an
hour at most, listing what came in since the last; the IRO sees on the challenge
page that a reply is waiting for review.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from escalation_rules.model import Role
from notifications.inbound_files import inbound_attachments
from notifications.messages import queue_message
from notifications.settings import get_mail_settings
from notifications.tables import InboundMail, InboundStatus, OutboxMessage
from workflow.tables import Person

QUARANTINED = InboundStatus.QUARANTINED.value


def acknowledge(session: Session, row: InboundMail, now: datetime) -> OutboxMessage | None:
    """One acknowledgement to a known, active sender; None for anyone else."""
    if not row.from_address or row.id is None:
        return None
    person = session.exec(
        select(Person).where(func.lower(Person.email) == row.from_address, col(Person.active))
    ).first()
    if person is None:
        return None
    context = {
        "recipient": {"name": person.name, "role": person.role, "is_iro": False},
        "subject": row.subject or "(no subject)",
        "received_at": row.received_at,
    }
    key = f"quarantine-ack:{row.message_id or row.id}"[:250]
    return queue_message(session, get_mail_settings(), kind="quarantine_ack", key=key,
                         to=person, context=context, now=now)  # fmt: skip


def waiting_count(session: Session) -> int:
    """How many messages wait in quarantine (the admin's dashboard)."""
    query = sa.select(sa.func.count()).select_from(InboundMail)
    return int(session.execute(query.where(col(InboundMail.status) == QUARANTINED)).scalar_one())


def waiting_for_challenge(session: Session, challenge_id: int) -> list[InboundMail]:
    """Replies matched to this challenge that wait for an admin (the IRO's challenge page)."""
    return list(
        session.exec(
            select(InboundMail)
            .where(InboundMail.challenge_id == challenge_id, InboundMail.status == QUARANTINED)
            .order_by(col(InboundMail.received_at))
        )
    )


def queue_admin_digest(session: Session, now: datetime) -> int:
    """Tell each active admin what was quarantined since their last digest; at most hourly.

    The hour is in the key, so two workers (or a re-run) in the same hour add nothing."""
    settings = get_mail_settings()
    hour = now.strftime("%Y-%m-%dT%H")
    admins = session.exec(select(Person).where(Person.role == Role.ADMIN.value, col(Person.active)))
    added = 0
    for admin in admins:
        since = _last_digest(session, admin.id)
        query = select(InboundMail).where(InboundMail.status == QUARANTINED)
        if since is not None:
            query = query.where(col(InboundMail.received_at) > since)
        items = list(session.exec(query.order_by(col(InboundMail.received_at)).limit(200)))
        if not items:
            continue
        context = {
            "recipient": {"name": admin.name, "role": admin.role, "is_iro": False},
            "items": items,
            "waiting": waiting_count(session),
            "review_url": f"{settings.base_url.rstrip('/')}/admin/mail",
        }
        key = f"quarantine-digest:{hour}:{admin.id}"
        if queue_message(session, settings, kind="quarantine_digest", key=key, to=admin,
                         context=context, now=now):  # fmt: skip
            added += 1
    session.commit()
    return added


def _last_digest(session: Session, admin_id: int | None) -> datetime | None:
    found = session.exec(
        select(func.max(OutboxMessage.created_at)).where(
            OutboxMessage.kind == "quarantine_digest", OutboxMessage.recipient_id == admin_id
        )
    ).first()
    return found


def replies_with_files(session: Session, challenge_id: int) -> list[tuple[InboundMail, list[str]]]:
    """Recorded replies to this challenge and the names of the files each brought."""
    rows = session.exec(
        select(InboundMail)
        .where(
            InboundMail.challenge_id == challenge_id,
            col(InboundMail.status).in_(
                [InboundStatus.MATCHED.value, InboundStatus.ASSIGNED.value]
            ),
        )
        .order_by(col(InboundMail.received_at))
    )
    found = []
    for row in rows:
        names = [f.filename for f in inbound_attachments(row.raw)]
        if names:
            found.append((row, names))
    return found

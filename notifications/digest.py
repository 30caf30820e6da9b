"""The weekly digest for each Head of Service: open, due and overdue challenges.

The worker calls `queue_weekly_digests` (say on Monday mornings); it writes one
outbox row per Head of Service per ISO week, so running it twice in a week
sends nothing more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from escalation_rules.model import Role
from notifications.messages import add_message, ladder_for
from notifications.rendering import render
from notifications.settings import get_mail_settings
from notifications.tables import OutboxMessage
from workflow.states import OPEN_STATES, State
from workflow.tables import ChallengeRecord, Child, Person
from workflow.unit_of_work import UnitOfWork

DUE_WINDOW = timedelta(days=7)


def digest_rows(uow: UnitOfWork, now: datetime) -> dict[str, list[dict[str, Any]]]:
    query = (
        select(ChallengeRecord, Child.case_reference)
        .join(Child, col(Child.id) == col(ChallengeRecord.child_id))
        .where(col(ChallengeRecord.state).in_([s.value for s in OPEN_STATES]))
        .order_by(col(ChallengeRecord.due_at))
    )
    open_rows, due, overdue = [], [], []
    for record, case_reference in uow.session.exec(query):
        ladder = ladder_for(uow.session, record.ladder_hash)
        stage = record.stage_key or "informal"
        if ladder is not None and record.stage_key:
            stage = ladder.stage(record.stage_key).name
        row = {
            "reference": record.reference,
            "case_reference": case_reference,
            "stage_name": stage,
            "state": State(record.state).label,
            "due_at": record.due_at,
        }
        open_rows.append(row)
        if record.due_at is None or record.state == State.PAUSED:
            continue
        if record.due_at < now or record.state == State.AWAITING_IRO_DECISION:
            overdue.append(row)
        elif record.due_at <= now + DUE_WINDOW:
            due.append(row)
    return {"open": open_rows, "due": due, "overdue": overdue}


def queue_weekly_digests(uow: UnitOfWork, now: datetime) -> int:
    """Add this week's digest for every active Head of Service; returns how many were new."""
    settings = get_mail_settings()
    year, week, _ = now.isocalendar()
    rows = digest_rows(uow, now)
    heads = uow.session.exec(
        select(Person).where(Person.role == Role.HEAD_OF_SERVICE.value, col(Person.active))
    ).all()
    added = 0
    for head in heads:
        key = f"digest:{year}-W{week:02d}:{head.id}"
        if uow.session.exec(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        ).first():
            continue
        context = {
            "recipient": {"name": head.name, "role": head.role, "is_iro": False},
            "now": now,
            "list_url": f"{settings.base_url.rstrip('/')}/challenges",
            **rows,
        }
        rendered = render("digest", context, settings.mail_templates_dir)
        add_message(
            uow.session,
            settings,
            kind="digest",
            key=key,
            to=head,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            now=now,
        )
        added += 1
    uow.commit()
    return added

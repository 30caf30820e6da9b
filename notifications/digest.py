"""The weekly digest for each Head of Service: open, due and overdue challenges in their
own service area.

The worker checks on start and every quarter of an hour whether this week's moment has
passed (`notifications.schedule`) and calls `queue_weekly_digests`; it writes one outbox row
per Head of Service per ISO week (London), so running it again in a week sends nothing
more and a worker that was down at the moment sends it once when it starts.

A Head of Service's service area is their own team's; the digest lists challenges whose
child's allocated social worker is in a team of that service area. A Head of Service with
no team, or a team with no service area, gets every open challenge (one service, one head).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import col, select

from escalation_rules.model import Role
from notifications.messages import add_message, ladder_for
from notifications.rendering import render
from notifications.schedule import week_key
from notifications.settings import get_mail_settings
from notifications.tables import OutboxMessage
from workflow.states import OPEN_STATES, State
from workflow.tables import ChallengeRecord, Child, Person, Team
from workflow.unit_of_work import UnitOfWork

DUE_WINDOW = timedelta(days=7)


def digest_rows(uow: UnitOfWork, now: datetime,
                service_area: str = "") -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Open, due within a week, and overdue; only `service_area`'s children when given."""
    sw = aliased(Person)
    query = (
        select(ChallengeRecord, Child.case_reference, Team.service_area)
        .join(Child, col(Child.id) == col(ChallengeRecord.child_id))
        .outerjoin(sw, col(sw.id) == col(Child.social_worker_id))
        .outerjoin(Team, col(Team.id) == col(sw.team_id))
        .where(col(ChallengeRecord.state).in_([s.value for s in OPEN_STATES]))
        .order_by(col(ChallengeRecord.due_at))
    )
    open_rows, due, overdue = [], [], []
    for record, case_reference, area in uow.session.exec(query):
        if service_area and area != service_area:
            continue
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
    week = week_key(now)
    heads = uow.session.exec(
        select(Person, Team.service_area)
        .outerjoin(Team, col(Team.id) == col(Person.team_id))
        .where(Person.role == Role.HEAD_OF_SERVICE.value, col(Person.active))
    ).all()
    added = 0
    for head, area in heads:
        key = f"digest:{week}:{head.id}"
        if uow.session.exec(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        ).first():
            continue
        context = {
            "recipient": {"name": head.name, "role": head.role, "is_iro": False},
            "now": now,
            "list_url": f"{settings.base_url.rstrip('/')}/challenges",
            "service_area": area or "",
            **digest_rows(uow, now, area or ""),
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

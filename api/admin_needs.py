"""What needs an administrator now, counted in SQL for the admin landing page."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from escalation_rules.model import Role
from notifications.quarantine import waiting_count
from notifications.tables import OutboxMessage, OutboxStatus
from workflow.deadline_tables import DeadlineRecord, DeadlineStatus
from workflow.tables import Child, Person

# Roles that answer challenges up the social worker's line: each needs a line manager above
# them, or the ladder cannot climb past them. The top of the line (senior managers) has none.
NEEDS_MANAGER = (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.HEAD_OF_SERVICE)


@dataclass(frozen=True)
class AdminNeeds:
    quarantined_mail: int
    failed_mail: int
    stuck_deadlines: int
    without_manager: list[str]  # names
    without_social_worker: list[str]  # children's case references

    @property
    def nothing(self) -> bool:
        return not (self.quarantined_mail or self.failed_mail or self.stuck_deadlines
                    or self.without_manager or self.without_social_worker)  # fmt: skip


def _count(session: Session, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return int(
        session.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
    )


def admin_needs(session: Session, limit: int = 50) -> AdminNeeds:
    outbox: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    deadline: sa.Table = DeadlineRecord.__table__  # type: ignore[attr-defined]
    person: sa.Table = Person.__table__  # type: ignore[attr-defined]
    child: sa.Table = Child.__table__  # type: ignore[attr-defined]
    unmanaged = session.execute(
        sa.select(person.c.name)
        .where(person.c.active.is_(True), person.c.manager_id.is_(None),
               person.c.role.in_([r.value for r in NEEDS_MANAGER]))
        .order_by(person.c.name).limit(limit)
    ).scalars()  # fmt: skip
    unallocated = session.execute(
        sa.select(child.c.case_reference)
        .where(child.c.social_worker_id.is_(None))
        .order_by(child.c.case_reference)
        .limit(limit)
    ).scalars()
    return AdminNeeds(
        quarantined_mail=waiting_count(session),
        failed_mail=_count(session, outbox, outbox.c.status == OutboxStatus.FAILED.value),
        stuck_deadlines=_count(session, deadline, deadline.c.status == DeadlineStatus.STUCK.value),
        without_manager=[str(n) for n in unmanaged],
        without_social_worker=[str(r) for r in unallocated],
    )

"""Who may see reports, and whose footprint a person may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import require_roles
from escalation_rules.model import Role
from workflow import queries
from workflow.child_access import london_today, may_act_for_child
from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.report_definitions import LONDON, Period
from workflow.report_queries import CH, CHILD
from workflow.tables import Person

REPORT_ROLES = (Role.SMT_READER, Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN)
ReportReader = Annotated[Person, require_roles(*REPORT_ROLES)]


def check_may_see_child(engine: Engine, person: Person, child_reference: str) -> int:
    """The child's id if `may_see_child`; NotPermitted otherwise; NotFound when there is no
    such child."""
    with Session(engine) as session:
        child_id = session.execute(
            sa.select(CHILD.c.id).where(CHILD.c.case_reference == child_reference)
        ).scalar()
        if child_id is None:
            raise NotFound("child", child_reference)
        if not may_see_child(session, person, child_id):
            raise NotPermitted(person.name, "see the footprint of", f"for child {child_reference}")
    return int(child_id)


def may_see_child(session: Session, person: Person, child_id: int) -> bool:
    """Who may open a child's footprint: Head of Service, senior managers and admins, any
    child (with or without a challenge); an IRO, only children they are the IRO for or
    cover today (`workflow.child_access`); the child's social worker; and a responder to
    whom one of the child's challenges has been addressed. SMT readers see reports only."""
    assert person.id is not None
    role = Role(person.role)
    if role in queries.SEE_ALL_ROLES:
        return True
    if role is Role.IRO:
        return may_act_for_child(session, person.id, child_id, london_today())
    if role is Role.SMT_READER:
        return False
    sw = session.execute(sa.select(CHILD.c.social_worker_id).where(CHILD.c.id == child_id)).scalar()
    if sw == person.id:
        return True
    seen = session.execute(
        sa.select(CH.c.id)
        .where(CH.c.child_id == child_id, queries.visible_to(person.id, role))
        .limit(1)
    ).first()
    return seen is not None


class BadPeriod(DomainError):
    """Dates for a report that make no period."""


def period_from(start: str | None, end: str | None, default: Period) -> Period:
    if not start and not end:
        return default
    try:
        return Period(_day(start or "", "from"), _day(end or "", "to"))
    except ValueError as error:
        raise BadPeriod(str(error)) from None


def as_at_from(text: str | None, now: datetime) -> datetime | None:
    """`as_at` for a report: a date (the end of that London day) or a date and time (London
    time unless it carries an offset). None when not given; never later than `now`."""
    if not text:
        return None
    try:
        moment = (_end_of(date.fromisoformat(text)) if len(text) == 10
                  else datetime.fromisoformat(text))  # fmt: skip
    except ValueError:
        raise BadPeriod(f"'as_at' must be a date such as 2026-03-31 or a date and time such "
                        f"as 2026-03-31T17:00, not '{text}'") from None  # fmt: skip
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    moment = moment.astimezone(UTC)
    if moment > now + timedelta(minutes=1):
        raise BadPeriod(f"'as_at' must not be in the future ({text})")
    return min(moment, now)


def _end_of(day: date) -> datetime:
    return Period(day, day).bounds()[1]


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{name}' must be a date such as 2026-11-01, not '{text}'") from None


def child_iro_id(engine: Engine, child_reference: str) -> int | None:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(CHILD.c.iro_id).where(CHILD.c.case_reference == child_reference)
        ).first()
    return None if found is None else found.iro_id

"""Which children an IRO may act for: those they are the IRO for, and those of an IRO an
admin has recorded them as covering, from the cover's start date to its end date.

Raising a challenge and opening a child's footprint follow this rule. Head of Service,
senior managers and admins may open any child's footprint. Dates are London dates.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from escalation_rules.model import Role
from workflow.access_tables import IroCover
from workflow.errors import NotFound, RuleViolation
from workflow.rows import ChildFacts
from workflow.tables import Child, Person

LONDON = ZoneInfo("Europe/London")
_COVER = IroCover.__table__  # type: ignore[attr-defined]
_CHILD = Child.__table__  # type: ignore[attr-defined]


def london_today(now: datetime | None = None) -> date:
    return (now or datetime.now(LONDON)).astimezone(LONDON).date()


class NotTheirChild(RuleViolation):
    """An IRO asked to act for a child who is neither theirs nor one they cover."""

    def __init__(self, iro_name: str, child_reference: str) -> None:
        super().__init__(
            "new",
            "raise",
            f"you can only raise a challenge for a child you are the IRO for, or whose IRO "
            f"you are recorded as covering; {iro_name} is neither for {child_reference}",
            field="child_reference",
        )


class BadCover(RuleViolation):
    def __init__(self, problem: str, field: str) -> None:
        super().__init__("cover", "record cover", problem, field=field)


def covered_iros(person_id: int, today: date) -> sa.Select[tuple[int]]:
    """The IROs whose children `person_id` covers today."""
    return sa.select(_COVER.c.for_iro_id).where(
        _COVER.c.covering_iro_id == person_id,
        _COVER.c.starts_on <= today,
        _COVER.c.ends_on >= today,
    )


def iro_children(person_id: int, today: date) -> sa.ColumnElement[bool]:
    """A condition on `child`: the IRO's own children and those they cover today."""
    return sa.or_(_CHILD.c.iro_id == person_id, _CHILD.c.iro_id.in_(covered_iros(person_id, today)))


# Built once, with the person and the day as parameters: it runs on every raise by a cover.
_MAY_ACT = sa.select(_CHILD.c.id).where(
    _CHILD.c.id == sa.bindparam("child"),
    sa.or_(
        _CHILD.c.iro_id == sa.bindparam("person"),
        _CHILD.c.iro_id.in_(
            sa.select(_COVER.c.for_iro_id).where(
                _COVER.c.covering_iro_id == sa.bindparam("person"),
                _COVER.c.starts_on <= sa.bindparam("today"),
                _COVER.c.ends_on >= sa.bindparam("today"),
            )
        ),
    ),
)


def may_act_for_child(session: Session, person_id: int, child_id: int, today: date) -> bool:
    params = {"child": child_id, "person": person_id, "today": today}
    return session.connection().execute(_MAY_ACT, params).first() is not None


def check_may_raise_for(
    session: Session, iro_id: int, iro_name: str, child: ChildFacts, now: datetime
) -> None:
    assert child.id is not None
    if child.iro_id == iro_id:  # their own child: no cover to look up
        return
    if not may_act_for_child(session, iro_id, child.id, london_today(now)):
        raise NotTheirChild(iro_name, child.case_reference)


def record_cover(
    session: Session,
    covering_iro_id: int,
    for_iro_id: int,
    period: tuple[date, date],
    recorded_by_id: int,
    now: datetime,
) -> IroCover:
    """Record that one IRO covers another's children for a period. The caller commits."""
    starts_on, ends_on = period
    for field, person_id in (("covering_iro_id", covering_iro_id), ("for_iro_id", for_iro_id)):
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound("person", person_id)
        if person.role != Role.IRO.value or not person.active:
            raise BadCover(f"{person.name} is not an active IRO", field)
    if covering_iro_id == for_iro_id:
        raise BadCover("an IRO cannot cover for themselves", "covering_iro_id")
    if ends_on < starts_on:
        raise BadCover("the end date must be on or after the start date", "ends_on")
    cover = IroCover(
        covering_iro_id=covering_iro_id,
        for_iro_id=for_iro_id,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by_id=recorded_by_id,
        recorded_at=now,
    )
    session.add(cover)
    session.flush()
    return cover

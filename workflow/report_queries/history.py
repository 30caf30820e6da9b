"""People's and children's facts as at a moment, from their history
(`workflow.record_history`): who were active IROs and their working time, and each child's
IRO. A record with no history (written straight to its table) has its present values at
every moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from escalation_rules.model import Role
from workflow.record_history import ChildIro, IroWorkingTime
from workflow.report_queries.schema import CHILD, PERSON

IRO_TIME: sa.Table = IroWorkingTime.__table__  # type: ignore[attr-defined]
CHILD_IRO: sa.Table = ChildIro.__table__  # type: ignore[attr-defined]
ACTIVE_IRO = (PERSON.c.role == Role.IRO.value, PERSON.c.active.is_(True))


def _covers(span: Any, moment: datetime) -> Any:
    """The span held just before `moment` (a period's end is the next day's first moment)."""
    return sa.and_(span.c.effective_from < moment,
                   sa.or_(span.c.effective_to.is_(None), span.c.effective_to >= moment))  # fmt: skip


def iros_at(moment: datetime) -> sa.Subquery:
    """(person_id, fte) of everyone who was an active IRO just before `moment`."""
    span, known = IRO_TIME.alias("span"), IRO_TIME.alias("known")
    no_history = ~sa.exists().where(known.c.person_id == PERSON.c.id)
    return (
        sa.select(PERSON.c.id.label("person_id"),
                  sa.func.coalesce(span.c.fte, PERSON.c.fte).label("fte"))
        .select_from(PERSON.outerjoin(span, sa.and_(span.c.person_id == PERSON.c.id,
                                                    _covers(span, moment))))
        .where(sa.or_(span.c.active_iro.is_(True), sa.and_(no_history, *ACTIVE_IRO)))
        .subquery("iros_then")
    )  # fmt: skip


def child_iro_at(moment: datetime) -> Any:
    """A column expression on `child`: the child's IRO just before `moment` (None: none)."""
    span, known = CHILD_IRO.alias("iro_span"), CHILD_IRO.alias("iro_known")
    then = (sa.select(span.c.iro_id).where(span.c.child_id == CHILD.c.id, _covers(span, moment))
            .limit(1).scalar_subquery())  # fmt: skip
    has_history = sa.exists().where(known.c.child_id == CHILD.c.id)
    return sa.case((has_history, then), else_=CHILD.c.iro_id)

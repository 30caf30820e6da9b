"""The good practice behind a report figure, for the drill-down page and the API.

The same rule as every drill-down: report readers see the records; only those who may open
any child's record (Head of Service, senior managers, admins) see which child a record is
about and what was recorded about the child, and each such child shown is logged in the
access log. SMT readers see reports only: a record about a child shows as "A child", with
its date and who recorded it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import record_access
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.page_queries import GoodPracticeRow, good_practice_rows
from workflow.queries import SEE_ALL_ROLES
from workflow.tables import Person

ABOUT = {"child": "A child", "worker": "A worker", "team": "A team"}


@dataclass(frozen=True)
class GoodPracticeShown:
    """One record as this reader may see it (None where they may not)."""

    occurred_on: date
    about: str
    subject: str | None  # the child's reference, the worker's or the team's name
    recorded_by: str
    what: str | None

    def as_json(self) -> dict[str, Any]:
        return {"occurred_on": self.occurred_on.isoformat(), "about": self.about, "subject": self.subject,
                "recorded_by": self.recorded_by, "what": self.what}  # fmt: skip


def good_practice_behind(
    engine: Engine, person: Person, ids: list[str], via: str, cell: str
) -> list[GoodPracticeShown]:
    """The records behind a cell as `person` may see them; logs each child shown."""
    with Session(read_only_engine(engine)) as session:
        rows = good_practice_rows(session, ids)
    may_open = Role(person.role) in SEE_ALL_ROLES
    shown = [_shown(row, may_open) for row in rows]
    if may_open:
        assert person.id is not None
        for row in rows:
            if row.child_id is not None:
                record_access(engine, person.id, via, child_id=row.child_id,
                              what=f"good practice about child {row.case_reference} "
                                   f"(report drill-down {cell})")  # fmt: skip
    return shown


def _shown(row: GoodPracticeRow, may_open: bool) -> GoodPracticeShown:
    about_child = row.child_id is not None
    subject = row.case_reference if about_child else row.worker_name or row.team_name
    hidden = about_child and not may_open
    return GoodPracticeShown(row.occurred_on, ABOUT[row.about],
                             None if hidden else subject, row.recorded_by,
                             None if hidden else row.what)  # fmt: skip

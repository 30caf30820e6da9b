"""Small reads that keep pages free of dead ends: which of some challenges a person may
open, and the rows behind a report figure (challenges, children, good practice)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from escalation_rules.model import Role
from workflow.activity_tables import GoodPractice
from workflow.domain import Challenge
from workflow.queries import _ROW_COLUMNS, SEE_ALL_ROLES, ChallengeRow, _joined, _rows, visible_to
from workflow.repository import challenge_from_row
from workflow.tables import ChallengeRecord, Child, Person, Team

_C = ChallengeRecord.__table__  # type: ignore[attr-defined]
_CH = Child.__table__  # type: ignore[attr-defined]
_P = Person.__table__  # type: ignore[attr-defined]
_T = Team.__table__  # type: ignore[attr-defined]
_GP = GoodPractice.__table__  # type: ignore[attr-defined]


# The whole `challenge` row and the names the pages show beside it.
_NAMES = [c for c in _ROW_COLUMNS if getattr(c, "table", None) is not _C]
_ROW_FIELDS = [f.name for f in fields(ChallengeRow)]


def challenge_seen_by(
    session: Session, person_id: int, role: Role, reference: str
) -> tuple[ChallengeRow, Challenge] | None:
    """The challenge as a page shows it and as the workflow decides on it, from one read,
    if the person's role lets them see it (a post that reaches it is checked apart)."""
    found = session.execute(
        sa.select(*_C.c, *_NAMES)
        .select_from(_joined())
        .where(_C.c.reference == reference, visible_to(person_id, role))
    ).first()
    if found is None:
        return None
    row = ChallengeRow(**{name: getattr(found, name) for name in _ROW_FIELDS})
    return row, challenge_from_row(found)


def visible_references(
    session: Session, person_id: int, role: Role, references: Collection[str]
) -> set[str]:
    """Those of `references` the person may open (the same rule as every challenge page)."""
    if not references:
        return set()
    if role in SEE_ALL_ROLES:
        return set(references)
    found = session.execute(
        sa.select(_C.c.reference).where(
            _C.c.reference.in_(sorted(set(references))), visible_to(person_id, role)
        )
    )
    return {str(r) for (r,) in found}


def challenge_rows(session: Session, references: Collection[str]) -> list[ChallengeRow]:
    """The challenges behind a figure, in reference order."""
    if not references:
        return []
    query = (
        sa.select(*_ROW_COLUMNS)
        .select_from(_joined())
        .where(_C.c.reference.in_(sorted(set(references))))
        .order_by(_C.c.reference)
    )
    return _rows(session.execute(query))


@dataclass(frozen=True)
class ChildRow:
    child_id: int
    case_reference: str
    iro_name: str | None
    social_worker_name: str | None
    team_name: str | None


def child_rows(session: Session, references: Collection[str]) -> list[ChildRow]:
    """The children behind a figure, with their IRO and team, in reference order."""
    if not references:
        return []
    iro, worker = aliased(_P, name="iro"), aliased(_P, name="sw")
    query = (
        sa.select(
            _CH.c.id.label("child_id"),
            _CH.c.case_reference,
            iro.c.name.label("iro_name"),
            worker.c.name.label("social_worker_name"),
            _T.c.name.label("team_name"),
        )
        .select_from(
            _CH.outerjoin(iro, iro.c.id == _CH.c.iro_id)
            .outerjoin(worker, worker.c.id == _CH.c.social_worker_id)
            .outerjoin(_T, _T.c.id == worker.c.team_id)
        )
        .where(_CH.c.case_reference.in_(sorted(set(references))))
        .order_by(_CH.c.case_reference)
    )
    return [ChildRow(**row._mapping) for row in session.execute(query)]


@dataclass(frozen=True)
class GoodPracticeRow:
    """One record of good practice behind a figure: what it was about, and who recorded it."""

    id: int
    occurred_on: date
    what: str
    recorded_by: str
    child_id: int | None
    case_reference: str | None  # about a child
    worker_name: str | None  # about a worker
    team_name: str | None  # about a team

    @property
    def about(self) -> str:
        return "child" if self.child_id else "worker" if self.worker_name else "team"


def good_practice_rows(session: Session, ids: Collection[str]) -> list[GoodPracticeRow]:
    """The good practice behind a figure (ids from its drill-down), oldest first."""
    if not ids:
        return []
    by, worker = aliased(_P, name="recorder"), aliased(_P, name="worker")
    query = (
        sa.select(_GP.c.id, _GP.c.occurred_on, _GP.c.what, by.c.name.label("recorded_by"),
                  _GP.c.child_id, _CH.c.case_reference, worker.c.name.label("worker_name"),
                  _T.c.name.label("team_name"))
        .select_from(
            _GP.join(by, by.c.id == _GP.c.recorded_by_id)
            .outerjoin(_CH, _CH.c.id == _GP.c.child_id)
            .outerjoin(worker, worker.c.id == _GP.c.person_id)
            .outerjoin(_T, _T.c.id == _GP.c.team_id)
        )
        .where(_GP.c.id.in_(sorted({int(i) for i in ids})))
        .order_by(_GP.c.occurred_on, _GP.c.id)
    )  # fmt: skip
    return [GoodPracticeRow(**row._mapping) for row in session.execute(query)]

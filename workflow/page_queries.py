"""Small reads that keep pages free of dead ends: which of some challenges a person may
open, and the rows behind a report figure for people who may not open them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from escalation_rules.model import Role
from workflow.domain import Challenge
from workflow.queries import _ROW_COLUMNS, SEE_ALL_ROLES, ChallengeRow, _joined, _rows, visible_to
from workflow.repository import challenge_from_row
from workflow.tables import ChallengeRecord, Child, Person, Team

_C = ChallengeRecord.__table__  # type: ignore[attr-defined]
_CH = Child.__table__  # type: ignore[attr-defined]
_P = Person.__table__  # type: ignore[attr-defined]
_T = Team.__table__  # type: ignore[attr-defined]


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

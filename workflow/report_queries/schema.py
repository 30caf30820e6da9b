"""The tables the report reads, as SQLAlchemy Core tables (aggregates, never ORM objects)."""

from __future__ import annotations

import sqlalchemy as sa

from workflow.activity_tables import GoodPractice, IroActivity
from workflow.tables import (
    ChallengeEvent,
    ChallengeRecord,
    Child,
    OutcomeKind,
    Person,
    Team,
    Theme,
)

CH: sa.Table = ChallengeRecord.__table__  # type: ignore[attr-defined]
EV: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
CHILD: sa.Table = Child.__table__  # type: ignore[attr-defined]
PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
TEAM: sa.Table = Team.__table__  # type: ignore[attr-defined]
THEME: sa.Table = Theme.__table__  # type: ignore[attr-defined]
ACT: sa.Table = IroActivity.__table__  # type: ignore[attr-defined]
OUTCOME_KIND: sa.Table = OutcomeKind.__table__  # type: ignore[attr-defined]
GP: sa.Table = GoodPractice.__table__  # type: ignore[attr-defined]

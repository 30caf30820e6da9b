"""The deadlines the sweep acts on: one row per pending reminder, timeout or cap alert.

The database, not the scheduler, holds every deadline. Rows are planned in the same
transaction as the event that set the due date (`workflow.deadline_planner`), and
the sweep (`workflow.sweep`) claims the due ones, fires each once and records how
late it fired and why.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.tables import JSONType, UTCDateTime


class DeadlineKind(StrEnum):
    REMINDER = "reminder"  # a reminder point before the stage is due
    TIMEOUT = "timeout"  # the stage (or the informal agreed date) is out of time
    CAP = "cap"  # the formal process passed its overall cap


class DeadlineStatus(StrEnum):
    PENDING = "pending"  # waiting to come due, or due and waiting for a sweep
    DONE = "done"  # fired: its event is on the challenge's record
    CANCELLED = "cancelled"  # no longer applies: the challenge moved on
    STUCK = "stuck"  # failed every retry; needs a person (see last_error)


class DeadlineRecord(SQLModel, table=True):
    __tablename__ = "deadline"
    __table_args__ = (
        # The sweep: pending rows, oldest first.
        sa.Index("ix_deadline_status_next", "status", "next_attempt_at", "id"),
        # Replanning: a challenge's pending rows.
        sa.Index("ix_deadline_challenge_status", "challenge_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenge.id")
    kind: str = Field(max_length=20)
    # When it fires.
    due_at: datetime = Field(sa_type=UTCDateTime)
    # What it belongs to: the challenge must still be in this state and stage, with
    # this due date (for the cap: this cap date), or the row is cancelled unfired.
    state: str = Field(max_length=30)
    stage_key: str | None = Field(default=None, max_length=60)
    applies_to_due_at: datetime = Field(sa_type=UTCDateTime)
    challenge_version: int
    label: str = Field(default="", max_length=200)
    status: str = Field(default=DeadlineStatus.PENDING.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    fired_by: str | None = Field(default=None, max_length=120)
    late_seconds: int | None = None
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    planned_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)

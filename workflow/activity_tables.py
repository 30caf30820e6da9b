"""IRO activity between reviews: the rest of the child's footprint.

Visits and conversations with the child, midway reviews, consultations with the
social worker after a significant change. One row per activity, never edited.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.report_definitions import RAISE_SQL, STAGE_OPENING_SQL
from workflow.tables import ChallengeEvent, ChallengeRecord, UTCDateTime


class ActivityKind(StrEnum):
    VISIT = "visit"
    PHONE_CALL = "phone_call"
    VIDEO_CALL = "video_call"
    TEXT_MESSAGE = "text_message"
    MIDWAY_REVIEW = "midway_review"
    SOCIAL_WORKER_CONSULTATION = "social_worker_consultation"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_contact_with_child(self) -> bool:
        """Whether the IRO saw or spoke with the child (the SMT "contacts" figure)."""
        return self in CONTACT_KINDS


_LABELS = {
    ActivityKind.VISIT: "Visit to the child (in person)",
    ActivityKind.PHONE_CALL: "Phone call with the child",
    ActivityKind.VIDEO_CALL: "Video call with the child",
    ActivityKind.TEXT_MESSAGE: "Text messages with the child",
    ActivityKind.MIDWAY_REVIEW: "Midway review",
    ActivityKind.SOCIAL_WORKER_CONSULTATION: "Consultation with the social worker after a "
    "significant change",
}

CONTACT_KINDS = frozenset(
    {
        ActivityKind.VISIT,
        ActivityKind.PHONE_CALL,
        ActivityKind.VIDEO_CALL,
        ActivityKind.TEXT_MESSAGE,
    }
)


class IroActivity(SQLModel, table=True):
    __tablename__ = "iro_activity"
    __table_args__ = (
        # The child's footprint, and the SMT "contacts between reviews" figure by period.
        sa.Index("ix_iro_activity_child_on", "child_id", "occurred_on"),
        sa.Index("ix_iro_activity_on_iro", "occurred_on", "iro_id", "kind", "child_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id")
    iro_id: int = Field(foreign_key="person.id")
    occurred_on: date
    kind: str = Field(max_length=40)
    note: str = Field(default="", sa_type=sa.Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class GoodPractice(SQLModel, table=True):
    """Good practice an IRO recognised without a challenge: about a child (on the child's
    footprint), a worker or a team; exactly one of the three. Never edited."""

    __tablename__ = "good_practice"
    __table_args__ = (
        sa.Index("ix_good_practice_on", "occurred_on", "recorded_by_id"),
        sa.Index("ix_good_practice_child", "child_id", "occurred_on"),
        sa.CheckConstraint(
            "(CASE WHEN child_id IS NULL THEN 0 ELSE 1 END + CASE WHEN person_id IS NULL THEN 0 "
            "ELSE 1 END + CASE WHEN team_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_good_practice_one_subject",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recorded_by_id: int = Field(foreign_key="person.id")
    occurred_on: date
    what: str = Field(sa_type=sa.Text)
    child_id: int | None = Field(default=None, foreign_key="child.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime)


# Indexes the SMT report needs on the workflow's tables (migration 0005 creates them).
# Declared here, beside the report's own table, so the metadata matches the schema.
_EVENT = ChallengeEvent.__table__  # type: ignore[attr-defined]
_CHALLENGE = ChallengeRecord.__table__  # type: ignore[attr-defined]
REPORT_INDEXES = (
    # Events of a kind in a period, with what the figures group by, without table lookups
    # (since migration 0015 also the recorded team and the working-day number).
    sa.Index("ix_report_event_kind", _EVENT.c.kind, _EVENT.c.occurred_at, _EVENT.c.stage_key,
             _EVENT.c.challenge_id, _EVENT.c.seq, _EVENT.c.working_day, _EVENT.c.team_id,
             _EVENT.c.service_area),
    # The stage a response answers: the latest stage-opening event before it, index-only.
    # Partial: only the events that open a stage (a few per challenge), so each look-up
    # reads one or two entries instead of every earlier event (reminders included).
    # With day zero (migration 0015), and the columns of its own condition (SQLite reads
    # the row for them otherwise), so a stage start's day zero is an index-only look-up.
    sa.Index("ix_report_event_stage_open", _EVENT.c.challenge_id, _EVENT.c.seq,
             _EVENT.c.occurred_at, _EVENT.c.day_zero, _EVENT.c.kind, _EVENT.c.to_state,
             sqlite_where=sa.text(STAGE_OPENING_SQL),
             postgresql_where=sa.text(STAGE_OPENING_SQL)),
    # Challenges raised in a period, by how, theme, IRO, highest stage and child.
    sa.Index("ix_report_challenge_raised", _CHALLENGE.c.raised_at, _CHALLENGE.c.formal_started_at,
             _CHALLENGE.c.theme_key, _CHALLENGE.c.raised_by_id, _CHALLENGE.c.highest_stage_key,
             _CHALLENGE.c.child_id),
    # Each challenge's raise with its day zero (raise to end), index-only (migration 0019).
    sa.Index("ix_report_event_raise", _EVENT.c.challenge_id, _EVENT.c.kind, _EVENT.c.day_zero,
             sqlite_where=sa.text(RAISE_SQL), postgresql_where=sa.text(RAISE_SQL)),
    # Challenges open now and raised before a moment: where what was open then starts
    # (migration 0019).
    sa.Index("ix_report_challenge_open", _CHALLENGE.c.state, _CHALLENGE.c.raised_at),
)  # fmt: skip

"""IRO activity between reviews (the footprint)

Revision ID: 0005_footprint
Revises: 0004_notifications
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0005_footprint"
down_revision: str | None = "0004_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "iro_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["iro_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_iro_activity_child_on", "iro_activity", ["child_id", "occurred_on"])
    op.create_index(
        "ix_iro_activity_on_iro", "iro_activity", ["occurred_on", "iro_id", "kind", "child_id"]
    )
    # The SMT report's covering indexes on the workflow's tables (see workflow.activity_tables).
    op.create_index(
        "ix_report_event_kind",
        "challenge_event",
        ["kind", "occurred_at", "stage_key", "challenge_id"],
    )
    # Partial: only stage-opening events (see workflow.report_definitions.STAGE_OPENING_SQL,
    # repeated here literally so the migration never changes with the code).
    stage_opening = (
        "kind IN ('raise_formal', 'escalate', 'reject', 'time_out') "
        "AND to_state = 'awaiting_response'"
    )
    op.create_index(
        "ix_report_event_stage_open",
        "challenge_event",
        ["challenge_id", "seq", "occurred_at"],
        sqlite_where=sa.text(stage_opening),
        postgresql_where=sa.text(stage_opening),
    )
    op.create_index(
        "ix_report_challenge_raised",
        "challenge",
        ["raised_at", "formal_started_at", "theme_key", "raised_by_id", "highest_stage_key",
         "child_id"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_report_challenge_raised", table_name="challenge")
    op.drop_index("ix_report_event_stage_open", table_name="challenge_event")
    op.drop_index("ix_report_event_kind", table_name="challenge_event")
    op.drop_index("ix_iro_activity_on_iro", table_name="iro_activity")
    op.drop_index("ix_iro_activity_child_on", table_name="iro_activity")
    op.drop_table("iro_activity")

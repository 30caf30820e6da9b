"""deadlines: the rows the sweep acts on

Revision ID: 0002_deadlines
Revises: 0001_workflow_core
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0002_deadlines"
down_revision: str | None = "0001_workflow_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, workflow.tables.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        _when("due_at"),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("stage_key", sa.String(length=60), nullable=True),
        _when("applies_to_due_at"),
        sa.Column("challenge_version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        _when("lease_until", nullable=True),
        _when("fired_at", nullable=True),
        sa.Column("fired_by", sa.String(length=120), nullable=True),
        sa.Column("late_seconds", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("details", workflow.tables.JSONType, nullable=False),
        _when("planned_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deadline_status_next", ["status", "next_attempt_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_deadline_challenge_status", ["challenge_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_challenge_status")
        batch_op.drop_index("ix_deadline_status_next")
    op.drop_table("deadline")

"""web: sign-in credentials, API tokens, access log, indexes for the challenge log

Revision ID: 0003_web
Revises: 0002_deadlines
Create Date: 2026-11-26
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0003_web"
down_revision: str | None = "0002_deadlines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = workflow.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "password_credential",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _WHEN, nullable=True),
        sa.Column("changed_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_used_at", _WHEN, nullable=True),
        sa.Column("revoked_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_token_person_id", "api_token", ["person_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=True),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("viewed_at", _WHEN, nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_viewed_at", "access_log", ["viewed_at"])
    op.create_index("ix_access_log_challenge", "access_log", ["challenge_id", "viewed_at"])
    op.create_index("ix_access_log_person", "access_log", ["person_id", "viewed_at"])
    # The challenge log: filters by stage and by IRO, newest first, and the due-date sort.
    op.create_index("ix_challenge_stage_raised", "challenge", ["stage_key", "raised_at"])
    op.create_index("ix_challenge_raised_by_raised", "challenge", ["raised_by_id", "raised_at"])
    op.create_index("ix_challenge_due_at", "challenge", ["due_at"])
    # Who a challenge was addressed to, for responders' own lists.
    op.create_index("ix_challenge_event_challenge_kind", "challenge_event", ["challenge_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_challenge_event_challenge_kind", table_name="challenge_event")
    op.drop_index("ix_challenge_due_at", table_name="challenge")
    op.drop_index("ix_challenge_raised_by_raised", table_name="challenge")
    op.drop_index("ix_challenge_stage_raised", table_name="challenge")
    op.drop_table("access_log")
    op.drop_index("ix_api_token_person_id", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("password_credential")

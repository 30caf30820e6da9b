"""change history: who changed which field of a person or a child, from what to what

Revision ID: 0009_change_history
Revises: 0008_security
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0009_change_history"
down_revision: str | None = "0008_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_kind", sa.String(20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("before", sa.String(400), nullable=False),
        sa.Column("after", sa.String(400), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("changed_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_change_record_record", "change_record", ["record_kind", "record_id", "changed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_change_record_record", table_name="change_record")
    op.drop_table("change_record")

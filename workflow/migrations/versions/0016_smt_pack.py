"""smt pack: looked-after dates on children, a working-time fraction on people, good practice
recorded without a challenge, and change history for records known by a key (kinds of outcome)

Revision ID: 0016_smt_pack
Revises: 0015_event_facts
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0016_smt_pack"
down_revision: str | None = "0015_event_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): no table is rebuilt, so change_record keeps its
    # append-only triggers.
    op.add_column("child", sa.Column("looked_after_from", sa.Date(), nullable=True))
    op.add_column("child", sa.Column("looked_after_until", sa.Date(), nullable=True))
    op.add_column("person", sa.Column("fte", sa.Float(), nullable=False, server_default="1"))
    op.add_column("change_record", sa.Column("record_key", sa.String(60), nullable=True))
    op.create_index(
        "ix_change_record_key", "change_record", ["record_kind", "record_key", "changed_at"]
    )
    op.create_table(
        "good_practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN child_id IS NULL THEN 0 ELSE 1 END + CASE WHEN person_id IS NULL THEN 0 "
            "ELSE 1 END + CASE WHEN team_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_good_practice_one_subject",
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_good_practice_on", "good_practice", ["occurred_on", "recorded_by_id"])
    op.create_index("ix_good_practice_child", "good_practice", ["child_id", "occurred_on"])


def downgrade() -> None:
    op.drop_index("ix_good_practice_child", table_name="good_practice")
    op.drop_index("ix_good_practice_on", table_name="good_practice")
    op.drop_table("good_practice")
    op.drop_index("ix_change_record_key", table_name="change_record")
    # Plain DROP COLUMN (SQLite 3.35 and later): no rebuild, the triggers stay.
    op.drop_column("change_record", "record_key")
    op.drop_column("person", "fte")
    op.drop_column("child", "looked_after_until")
    op.drop_column("child", "looked_after_from")

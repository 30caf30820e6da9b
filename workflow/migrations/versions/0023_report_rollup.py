"""report rollup: the SMT report's counts and working-day histograms per closed London day

- `report_day_rollup`: per London day, figure, key, flag (late; within the cap) and working
  days, how many events (`workflow.rollup_tables`).
- `report_rollup_state`: one row, how far the rollup goes and the highest event id counted.
- `report_rollup_dirty`: days whose events a retention run deleted, or every day (no day)
  after renumbering working days: counted live until the rollup is built again.

Nothing to convert: the tables start empty, and the first report builds the rollup of
every closed day from the event log (the report counts live until then). The downgrade
drops them; the report then counts every day live, as before.

Revision ID: 0023_report_rollup
Revises: 0022_log_filters
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_report_rollup"
down_revision: str | None = "0022_log_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_day_rollup",
        sa.Column("figure", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("group_key", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("flag", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("figure", "day", "group_key", "flag", "days"),
    )
    op.create_table(
        "report_rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_through", sa.Date(), nullable=True),
        sa.Column("event_mark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "report_rollup_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("report_rollup_dirty")
    op.drop_table("report_rollup_state")
    op.drop_table("report_day_rollup")

"""record history: whether each person is an active IRO and their working time, and each
child's IRO, with the time each became true, so the report reads them as at a past moment

Revision ID: 0018_record_history
Revises: 0017_audit_event_facts
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0018_record_history"
down_revision: str | None = "0017_audit_event_facts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = workflow.tables.UTCDateTime(timezone=True)
# workflow.record_history.RECORDS_BEGAN: the records kept no history before this migration,
# so each record's values now serve every earlier moment (best effort, as 0015 did for teams).
_BEGAN = datetime(2000, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "iro_working_time",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("active_iro", sa.Boolean(), nullable=False),
        sa.Column("fte", sa.Float(), nullable=False),
        sa.Column("effective_from", _WHEN, nullable=False),
        sa.Column("effective_to", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_iro_working_time_person", "iro_working_time",
                    ["person_id", "effective_from"])  # fmt: skip
    op.create_table(
        "child_iro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("iro_id", sa.Integer(), nullable=True),
        sa.Column("effective_from", _WHEN, nullable=False),
        sa.Column("effective_to", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"]),
        sa.ForeignKeyConstraint(["iro_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_child_iro_child", "child_iro", ["child_id", "effective_from"])
    began = sa.literal(_BEGAN, type_=_WHEN)
    person, child = sa.table("person", sa.column("id"), sa.column("role"), sa.column("active"),
                             sa.column("fte")), sa.table("child", sa.column("id"), sa.column("iro_id"))  # fmt: skip
    active_iro = sa.and_(person.c.role == "iro", person.c.active.is_(True))
    op.execute(
        sa.table("iro_working_time", sa.column("person_id"), sa.column("active_iro"),
                 sa.column("fte"), sa.column("effective_from")).insert().from_select(
            ["person_id", "active_iro", "fte", "effective_from"],
            sa.select(person.c.id, active_iro, person.c.fte, began))
    )  # fmt: skip
    op.execute(
        sa.table("child_iro", sa.column("child_id"), sa.column("iro_id"),
                 sa.column("effective_from")).insert().from_select(
            ["child_id", "iro_id", "effective_from"], sa.select(child.c.id, child.c.iro_id, began))
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_child_iro_child", table_name="child_iro")
    op.drop_table("child_iro")
    op.drop_index("ix_iro_working_time_person", table_name="iro_working_time")
    op.drop_table("iro_working_time")

"""audit event facts: links say which digest they hold (version 2 seals an event's team,
service area and working-day numbers too), and renumbered working days keep the numbers before

Revision ID: 0017_audit_event_facts
Revises: 0016_smt_pack
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0017_audit_event_facts"
down_revision: str | None = "0016_smt_pack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "working_day_renumbering"


def upgrade() -> None:
    # Plain ADD COLUMN: audit_link keeps its append-only triggers. Every existing link
    # was sealed without the event's facts: version 1.
    op.add_column(
        "audit_link",
        sa.Column("digest_version", sa.SmallInteger(), nullable=False, server_default="1"),
    )
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("working_day_before", sa.Integer(), nullable=False),
        sa.Column("day_zero_before", sa.Integer(), nullable=False),
        sa.Column("working_day_after", sa.Integer(), nullable=False),
        sa.Column("day_zero_after", sa.Integer(), nullable=False),
        sa.Column("renumbered_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{_TABLE}_event_id", _TABLE, ["event_id"])
    _append_only()


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {_TABLE}_is_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_TABLE} is append-only: % refused', TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {_TABLE}_is_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_{operation.lower()} BEFORE {operation} ON {_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only: {operation} refused'); END"
        )


def downgrade() -> None:
    # Links sealed at version 2 read as version 1 after this: run `audit verify` before
    # downgrading, and expect those links to be reported afterwards.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_append_only ON {_TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_TABLE}_is_append_only()")
    op.drop_index(f"ix_{_TABLE}_event_id", table_name=_TABLE)
    op.drop_table(_TABLE)
    # Not a batch rebuild: that would drop audit_link's append-only triggers on SQLite.
    op.execute("ALTER TABLE audit_link DROP COLUMN digest_version")

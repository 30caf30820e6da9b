"""retention: the retention record, the marker that lets only the retention run delete
from the access log, and a child's date of birth (their record is kept until 75)

Revision ID: 0010_retention
Revises: 0009_change_history
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0010_retention"
down_revision: str | None = "0009_change_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = workflow.tables.UTCDateTime(timezone=True)

# While a retention_pass row exists, which only the retention run's own transaction can
# see (it writes and removes it before committing), DELETE on the access log goes through.
# Anyone else who deletes rows this way is still caught: `audit verify` accepts a missing
# row only at or below a retention record's `through_row_id`.
_PG_ACCESS_LOG = """
CREATE OR REPLACE FUNCTION access_log_is_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM retention_pass) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_PG_STRICT = """
CREATE OR REPLACE FUNCTION access_log_is_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP; END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "retention_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", _WHEN, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("cut_off", _WHEN, nullable=False),
        sa.Column("through_row_id", sa.BigInteger(), nullable=True),
        sa.Column("run_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_record_ran_at", "retention_record", ["ran_at"])
    op.create_table(
        "retention_pass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("child") as batch:
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
    _append_only("retention_record")
    _let_retention_delete()


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_is_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_is_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        )


def _let_retention_delete() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_ACCESS_LOG)
        return
    op.execute("DROP TRIGGER access_log_no_delete")
    op.execute(
        "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
        "WHEN NOT EXISTS (SELECT 1 FROM retention_pass) "
        "BEGIN SELECT RAISE(ABORT, 'access_log is append-only: DELETE refused'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_STRICT)
        op.execute("DROP TRIGGER IF EXISTS retention_record_append_only ON retention_record")
        op.execute("DROP FUNCTION IF EXISTS retention_record_is_append_only()")
    else:
        op.execute("DROP TRIGGER access_log_no_delete")
        op.execute(
            "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
            "BEGIN SELECT RAISE(ABORT, 'access_log is append-only: DELETE refused'); END"
        )
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS retention_record_no_{operation}")
    with op.batch_alter_table("child") as batch:
        batch.drop_column("date_of_birth")
    op.drop_table("retention_pass")
    op.drop_index("ix_retention_record_ran_at", "retention_record")
    op.drop_table("retention_record")

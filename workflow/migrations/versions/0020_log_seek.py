"""log seek: an index for each of the challenge log's sort orders, ending in the id; a
version number for the log's filter lists, raised by triggers

The log pages by seeking past the last row shown (keyset pagination), so each sort order
needs an index in exactly that order: (raised_at, id), (due_at, id), (state, id),
(stage_key, id). The first two replace the single-column indexes on raised_at and due_at.

`list_version` holds one number that triggers raise whenever people, teams or themes change
(what the log's filter lists show), whichever way they change: each web process keeps the
lists until the number moves.

Revision ID: 0020_log_seek
Revises: 0019_report_indexes
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_log_seek"
down_revision: str | None = "0019_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_challenge_raised_id", "challenge", ["raised_at", "id"])
    op.create_index("ix_challenge_due_id", "challenge", ["due_at", "id"])
    op.create_index("ix_challenge_state_id", "challenge", ["state", "id"])
    op.create_index("ix_challenge_stage_id", "challenge", ["stage_key", "id"])
    op.drop_index("ix_challenge_raised_at", table_name="challenge")
    op.drop_index("ix_challenge_due_at", table_name="challenge")
    op.create_table(
        "list_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO list_version (id, n) VALUES (1, 0)")
    for table, columns in WATCHED.items():
        _watch(table, columns)


# What the filter lists read: a change to another column (a sign-in, an absence) is not one.
WATCHED = {"person": "name, role", "team": "name", "theme": "key, label, position"}


def _watch(table: str, columns: str) -> None:
    bump = "UPDATE list_version SET n = n + 1"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION list_version_bump() RETURNS trigger AS $$ "
            f"BEGIN {bump}; RETURN NULL; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_list_version AFTER INSERT OR DELETE OR TRUNCATE OR "
            f"UPDATE OF {columns} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION list_version_bump()"
        )
        return
    for name, when in (("insert", "INSERT"), ("delete", "DELETE"),
                       ("update", f"UPDATE OF {columns}")):  # fmt: skip
        op.execute(
            f"CREATE TRIGGER {table}_list_version_{name} AFTER {when} ON {table} BEGIN {bump}; END"
        )


def _unwatch(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_list_version ON {table}")
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_list_version_{name}")


def downgrade() -> None:
    for table in WATCHED:
        _unwatch(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS list_version_bump()")
    op.drop_table("list_version")
    op.create_index("ix_challenge_due_at", "challenge", ["due_at"])
    op.create_index("ix_challenge_raised_at", "challenge", ["raised_at"])
    op.drop_index("ix_challenge_stage_id", table_name="challenge")
    op.drop_index("ix_challenge_state_id", table_name="challenge")
    op.drop_index("ix_challenge_due_id", table_name="challenge")
    op.drop_index("ix_challenge_raised_id", table_name="challenge")

"""reference search: the log's child filter read from an index on PostgreSQL

The log's child filter selects the children whose case reference begins with what was
typed, in any case: `upper(case_reference) LIKE 'LL12%'`. Nothing indexed that expression,
so PostgreSQL read every child to answer it: 70 ms a page among the 400,000 children of a
service of 100 councils. `ix_child_reference_search` holds it with `text_pattern_ops`,
which compares bytes as a prefix needs whatever the database's collation.

PostgreSQL only: SQLite cannot use an index for LIKE on an expression (its LIKE
optimisation needs a bare column with a case-insensitive collation), and one council's
children are read in about a millisecond.

Revision ID: 0025_reference_search
Revises: 0024_addressed_index
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_reference_search"
down_revision: str | None = "0024_addressed_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_child_reference_search ON child "
            "(upper(case_reference) text_pattern_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_child_reference_search", table_name="child")

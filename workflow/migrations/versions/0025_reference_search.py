"""reference search: the log's child filter read from an index

The log's child filter selects the children whose case reference begins with what was
typed, in any case. Nothing indexed it, so both databases read every child to answer it:
70 ms (PostgreSQL) and 110 ms (SQLite) a page among the 400,000 children of a service of
100 councils. `ix_child_reference_search` holds it in the form each database can use
(`workflow.queries._begins` writes the condition to match):

- PostgreSQL: `upper(case_reference)` with `text_pattern_ops`, which compares bytes as a
  prefix needs whatever the database's collation (`upper(case_reference) LIKE 'LL12%'`);
- SQLite: `case_reference COLLATE NOCASE`: its LIKE ignores case already and can use an
  index only on the bare column with that collation (`case_reference LIKE 'LL12%'`).

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


INDEXED = {
    "postgresql": "upper(case_reference) text_pattern_ops",
    "sqlite": "case_reference COLLATE NOCASE",
}


def upgrade() -> None:
    indexed = INDEXED[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_child_reference_search ON child ({indexed})")


def downgrade() -> None:
    op.drop_index("ix_child_reference_search", table_name="child")

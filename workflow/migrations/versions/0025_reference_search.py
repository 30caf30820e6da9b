"""reference search: the log's child filter and search box read from indexes

The log's child filter selects the children whose case reference begins with what was
typed, in any case; its search box, the challenges whose reference begins with it or whose
child's does. Nothing indexed either, so both databases read every child (70 ms on
PostgreSQL, 110 ms on SQLite among the 400,000 children of a service of 100 councils) and
every challenge (about a second a search at 1,000,000 on PostgreSQL). Two indexes hold the
references in the form each database can use (`workflow.queries._begins` writes the
condition to match):

- PostgreSQL: `upper(...)` with `text_pattern_ops`, which compares bytes as a prefix needs
  whatever the database's collation (`upper(case_reference) LIKE 'LL12%'`);
- SQLite: the column `COLLATE NOCASE`: its LIKE ignores case already and can use an index
  only on the bare column with that collation (`case_reference LIKE 'LL12%'`).

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


# index -> (table, column)
INDEXES = {
    "ix_child_reference_search": ("child", "case_reference"),
    "ix_challenge_reference_search": ("challenge", "reference"),
}
FORM = {"postgresql": "upper({column}) text_pattern_ops", "sqlite": "{column} COLLATE NOCASE"}


def upgrade() -> None:
    form = FORM[op.get_bind().dialect.name]
    for name, (table, column) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} ({form.format(column=column)})")


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)

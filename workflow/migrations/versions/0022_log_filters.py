"""log filters: the log's filters checked in an index, not row by row, at any size

Two indexes replace two narrower ones they begin with, so the sort orders and seeks of
`0020_log_seek` keep working and an action writes no more index entries on PostgreSQL
(every index of a row whose state or due date changes gets a new entry there already):

- (child_id, raised_at, id) for `child_id` alone: the child and team filters select a few
  children's challenges and show them newest first. With only `child_id`, PostgreSQL
  walked the whole date index backwards looking for them (0.1-0.2 s for a child search at
  1,000,000 challenges) and SQLite read every match's row to sort them; now both read
  the matches with their sort key from the index alone (about 1 ms).
- (raised_at, id, state, due_at) for (raised_at, id): "overdue" matches most old
  challenges but few new ones, so newest first walks past thousands of rows not yet due;
  with the state and due date in the index it checks them there (40 ms to 1 ms at
  1,000,000 on both databases). On SQLite, a change of state or due date now also
  rewrites this index's entry.

Revision ID: 0022_log_filters
Revises: 0021_next_deadline_rows
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_log_filters"
down_revision: str | None = "0021_next_deadline_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (old name, old columns) -> (new name, new columns)
REPLACED = {
    ("ix_challenge_child_id", ("child_id",)): (
        "ix_challenge_child_raised",
        ("child_id", "raised_at", "id"),
    ),
    ("ix_challenge_raised_id", ("raised_at", "id")): (
        "ix_challenge_raised_state_due",
        ("raised_at", "id", "state", "due_at"),
    ),
}


def upgrade() -> None:
    for (old, _), (new, columns) in REPLACED.items():
        op.create_index(new, "challenge", list(columns))
        op.drop_index(old, table_name="challenge")


def downgrade() -> None:
    for (old, columns), (new, _) in REPLACED.items():
        op.create_index(old, "challenge", list(columns))
        op.drop_index(new, table_name="challenge")

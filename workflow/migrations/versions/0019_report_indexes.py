"""report indexes: each challenge's raise with its day zero, and open challenges by state

Revision ID: 0019_report_indexes
Revises: 0018_record_history
Create Date: 2026-11-30

Two look-ups of the SMT report, index-only (measured at 100,000 challenges on SQLite):
- "raise to end" reads each ended challenge's raise for its day zero: a partial index of
  raise events only, with day zero (by sequence number it read every raise's table row,
  about 0.3 s of CPU for a year against the previous one; now about 0.1 s);
- what was open at a moment starts from the challenges open now and raised before it: by
  state first (it read every challenge raised before the moment).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_report_indexes"
down_revision: str | None = "0018_record_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Repeated literally so the migration never changes with the code (see 0005_footprint).
_RAISE = "kind IN ('raise_informal', 'raise_formal')"


def upgrade() -> None:
    op.create_index(
        "ix_report_event_raise",
        "challenge_event",
        ["challenge_id", "kind", "day_zero"],
        sqlite_where=sa.text(_RAISE),
        postgresql_where=sa.text(_RAISE),
    )
    op.create_index("ix_report_challenge_open", "challenge", ["state", "raised_at"])


def downgrade() -> None:
    op.drop_index("ix_report_challenge_open", table_name="challenge")
    op.drop_index("ix_report_event_raise", table_name="challenge_event")

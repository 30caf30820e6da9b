"""log seek: an index for each of the challenge log's sort orders, ending in the id

The log pages by seeking past the last row shown (keyset pagination), so each sort order
needs an index in exactly that order: (raised_at, id), (due_at, id), (state, id),
(stage_key, id). The first two replace the single-column indexes on raised_at and due_at.

Revision ID: 0017_log_seek
Revises: 0016_smt_pack
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_log_seek"
down_revision: str | None = "0016_smt_pack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_challenge_raised_id", "challenge", ["raised_at", "id"])
    op.create_index("ix_challenge_due_id", "challenge", ["due_at", "id"])
    op.create_index("ix_challenge_state_id", "challenge", ["state", "id"])
    op.create_index("ix_challenge_stage_id", "challenge", ["stage_key", "id"])
    op.drop_index("ix_challenge_raised_at", table_name="challenge")
    op.drop_index("ix_challenge_due_at", table_name="challenge")


def downgrade() -> None:
    op.create_index("ix_challenge_due_at", "challenge", ["due_at"])
    op.create_index("ix_challenge_raised_at", "challenge", ["raised_at"])
    op.drop_index("ix_challenge_stage_id", table_name="challenge")
    op.drop_index("ix_challenge_state_id", table_name="challenge")
    op.drop_index("ix_challenge_due_id", table_name="challenge")
    op.drop_index("ix_challenge_raised_id", table_name="challenge")

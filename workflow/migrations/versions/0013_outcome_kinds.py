"""outcome kinds: the short, editable list an IRO picks from when accepting a response

Revision ID: 0013_outcome_kinds
Revises: 0012_directory_id
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_outcome_kinds"
down_revision: str | None = "0012_directory_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults as they were when this migration was written (workflow.outcome_kinds may change
# later; a migration must not).
_DEFAULTS = (
    ("plan_updated", "Care plan updated"),
    ("decision_made", "Decision made"),
    ("service_provided", "Service or placement provided"),
    ("contact_arranged", "Contact arranged"),
    ("no_change", "No change"),
)


def upgrade() -> None:
    table = op.create_table(
        "outcome_kind",
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.bulk_insert(
        table,
        [{"key": k, "label": label, "position": i, "active": True}
         for i, (k, label) in enumerate(_DEFAULTS)],  # fmt: skip
    )


def downgrade() -> None:
    op.drop_table("outcome_kind")

"""directory_id: a person's directory object id (Entra ID `oid`), matched at single sign-on

Revision ID: 0012_directory_id
Revises: 0011_posts
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_directory_id"
down_revision: str | None = "0011_posts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("directory_object_id", sa.String(64), nullable=True))
        batch.create_index("ix_person_directory_object_id", ["directory_object_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_index("ix_person_directory_object_id")
        batch.drop_column("directory_object_id")

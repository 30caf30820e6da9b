"""Posts people hold, and the team a child's case sits with

Revision ID: 0011_posts
Revises: 0010_retention
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_posts"
down_revision: str | None = "0010_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_post",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("post", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id", "post"),
    )
    op.create_index(op.f("ix_person_post_post"), "person_post", ["post"], unique=False)
    with op.batch_alter_table("child") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_child_team_id"), ["team_id"], unique=False)
        batch.create_foreign_key("fk_child_team_id_team", "team", ["team_id"], ["id"])
    # Existing children: the case sits with their social worker's team.
    op.execute(
        "UPDATE child SET team_id = (SELECT person.team_id FROM person "
        "WHERE person.id = child.social_worker_id) WHERE social_worker_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("child") as batch:
        batch.drop_constraint("fk_child_team_id_team", type_="foreignkey")
        batch.drop_index(op.f("ix_child_team_id"))
        batch.drop_column("team_id")
    op.drop_index(op.f("ix_person_post_post"), table_name="person_post")
    op.drop_table("person_post")

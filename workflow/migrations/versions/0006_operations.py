"""Operations: worker heartbeats and stored answers for Idempotency-Key

Revision ID: 0006_operations
Revises: 0005_footprint
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0006_operations"
down_revision: str | None = "0005_footprint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("started_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_swept_at", workflow.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sweep_error", sa.Text(), nullable=True),
        sa.Column("stopped_at", workflow.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "api_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_hash", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=120), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("created_at", workflow.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_hash", "key", name="uq_api_idempotency_key"),
    )
    op.create_index("ix_api_idempotency_created", "api_idempotency", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_api_idempotency_created", table_name="api_idempotency")
    op.drop_table("api_idempotency")
    op.drop_table("worker_heartbeat")

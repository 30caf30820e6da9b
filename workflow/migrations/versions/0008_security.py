"""security: server-side sessions, account links, second factors, IRO cover, audit chain,
service tokens, the access log made append-only, and no REPLACE over an event

Revision ID: 0008_security
Revises: 0007_outbox_due
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0008_security"
down_revision: str | None = "0007_outbox_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = workflow.tables.UTCDateTime(timezone=True)
_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# The logs that are evidence: the database refuses to change or delete their rows.
APPEND_ONLY = ("access_log", "audit_link")


def upgrade() -> None:
    _sessions_and_links()
    _cover_and_chain()
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("expires_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("service_name", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("scope", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_api_token_created_by", "person", ["created_by_id"], ["id"])
    with op.batch_alter_table("access_log") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("ip", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("actor", sa.String(120), nullable=False, server_default=""))
        batch.create_index("ix_access_log_child", ["child_id", "viewed_at"])
    for table in APPEND_ONLY:
        _append_only(table)
    _no_replace("challenge_event")
    _no_replace("access_log")


def _sessions_and_links() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("last_seen_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("ended_at", _WHEN, nullable=True),
        sa.Column("ended_reason", sa.String(40), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_user_session_person_id", "user_session", ["person_id"])
    op.create_table(
        "account_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_account_link_person_id", "account_link", ["person_id"])
    op.create_table(
        "second_factor",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=False),
        sa.Column("enrolled_at", _WHEN, nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_code_person_id", "recovery_code", ["person_id"])


def _cover_and_chain() -> None:
    op.create_table(
        "iro_cover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("covering_iro_id", sa.Integer(), nullable=False),
        sa.Column("for_iro_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["covering_iro_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["for_iro_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_iro_cover_covering_iro_id", "iro_cover", ["covering_iro_id"])
    op.create_table(
        "audit_link",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("log", sa.String(30), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("sealed_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log", "row_id", name="uq_audit_link_log_row"),
    )


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_is_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_is_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        )


def _no_replace(table: str) -> None:
    """SQLite's INSERT OR REPLACE deletes the old row without firing DELETE triggers
    (recursive_triggers is off): refuse any insert that reuses an existing id."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: an id may not be reused'); END"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in ("challenge_event", "access_log"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        for table in APPEND_ONLY:
            for operation in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_is_append_only()")
    with op.batch_alter_table("access_log") as batch:
        batch.drop_index("ix_access_log_child")
        batch.drop_column("actor")
        batch.drop_column("ip")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_constraint("fk_api_token_created_by", type_="foreignkey")
        batch.drop_column("created_by_id")
        batch.drop_column("scope")
        batch.drop_column("service_name")
        batch.drop_column("expires_at")
    op.drop_table("audit_link")
    op.drop_table("iro_cover")
    op.drop_table("recovery_code")
    op.drop_table("second_factor")
    op.drop_table("account_link")
    op.drop_table("user_session")

"""retention that deletes: a child's record goes after their 75th birthday, each deletion
recorded row by row for the hash chain; the change history made append-only

- `retention_record` also says what went (which table), about whom (a case reference)
  and in which run (`run_id`); `kind` is the rule; `retention_retired_row` lists every row of a hash-chained log
  that a retention run deleted, so `audit verify` accepts exactly those gaps.
- The challenge log lets DELETE through only while a `retention_pass` row exists (seen by
  the retention run's own transaction only), as the access log already does.
- `change_record` is append-only (UPDATE refused; DELETE only inside a retention run).
- The access log no longer has foreign keys to `challenge` and `child`: its rows are kept
  for their own period (the access-log setting) after the child's record has gone, and
  name the child and challenge by number only.
- On SQLite the two chained logs get AUTOINCREMENT, so an id a retention run deleted is
  never used again (the chain would take a new row for the old one).

Revision ID: 0014_retention_deletes
Revises: 0013_outcome_kinds
Create Date: 2026-11-30
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.tables

revision: str = "0014_retention_deletes"
down_revision: str | None = "0013_outcome_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = workflow.tables.UTCDateTime(timezone=True)
_PASS = "EXISTS (SELECT 1 FROM retention_pass)"


def _pg_function(table: str, delete_in_pass: bool) -> str:
    lets_through = (
        f"IF TG_OP = 'DELETE' AND {_PASS} THEN RETURN OLD; END IF; " if delete_in_pass else ""
    )
    return (
        f"CREATE OR REPLACE FUNCTION {table}_is_append_only() RETURNS trigger AS $$ BEGIN "
        f"{lets_through}RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END; "
        "$$ LANGUAGE plpgsql"
    )


def _sqlite_refusal(table: str, operation: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} {when}"
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
    )


def _append_only(table: str, delete_in_pass: bool) -> None:
    """UPDATE refused; DELETE refused too, or only outside a retention run."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function(table, delete_in_pass))
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_is_append_only()"
        )
        return
    op.execute(_sqlite_refusal(table, "UPDATE"))
    op.execute(_sqlite_refusal(table, "DELETE", f"WHEN NOT {_PASS} " if delete_in_pass else ""))
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: an id may not be reused'); END"
    )


def _rebuild_sqlite(table: str, drop_references: Sequence[str]) -> None:
    """Rebuild a SQLite table from its own DDL with AUTOINCREMENT and without the foreign
    keys to `drop_references`, keeping every row (ids included), index and trigger."""
    conn = op.get_bind()
    ddl = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
    ).scalar_one()
    extras = conn.execute(
        sa.text(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = :t AND sql IS NOT NULL"
        ),
        {"t": table},
    ).scalars().all()  # fmt: skip
    ddl = re.sub(r"^CREATE TABLE \"?\w+\"?", f"CREATE TABLE {table}_rebuilt", ddl)
    ddl = re.sub(r"\bid INTEGER NOT NULL,", "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", ddl)
    ddl = re.sub(r",\s*PRIMARY KEY \(id\)", "", ddl)
    for target in drop_references:
        ddl = re.sub(rf",\s*FOREIGN KEY\(\w+\) REFERENCES {target} \(id\)", "", ddl)
    op.execute(ddl)
    op.execute(f"INSERT INTO {table}_rebuilt SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for statement in extras:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("retention_record") as batch:
        batch.add_column(sa.Column("what", sa.String(60), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(60), nullable=True))
        batch.add_column(sa.Column("run_id", sa.String(32), nullable=True))
    op.create_table(
        "retention_retired_row",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("log", sa.String(30), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["retention_record.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log", "row_id", name="uq_retention_retired_row_log_row"),
    )
    _append_only("retention_retired_row", delete_in_pass=False)
    _append_only("change_record", delete_in_pass=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function("challenge_event", delete_in_pass=True))
        op.drop_constraint("access_log_challenge_id_fkey", "access_log", type_="foreignkey")
        op.drop_constraint("access_log_child_id_fkey", "access_log", type_="foreignkey")
        return
    _rebuild_sqlite("challenge_event", ())
    _rebuild_sqlite("access_log", ("challenge", "child"))
    op.execute("DROP TRIGGER challenge_event_no_delete")
    op.execute(_sqlite_refusal("challenge_event", "DELETE", f"WHEN NOT {_PASS} "))


def downgrade() -> None:
    """The triggers and tables go back; the dropped foreign keys and SQLite's AUTOINCREMENT
    stay (putting them back could fail on rows a retention run left behind)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION challenge_event_is_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'challenge_event is append-only: % refused', TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
        for table in ("change_record", "retention_retired_row"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_is_append_only()")
    else:
        op.execute("DROP TRIGGER challenge_event_no_delete")
        op.execute(_sqlite_refusal("challenge_event", "DELETE"))
        for table in ("change_record", "retention_retired_row"):
            for operation in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
    op.drop_table("retention_retired_row")
    with op.batch_alter_table("retention_record") as batch:
        for column in ("run_id", "subject", "what"):
            batch.drop_column(column)

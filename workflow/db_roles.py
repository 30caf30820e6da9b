"""Least privilege on PostgreSQL: the service's role reads and writes rows, nothing more.

Migrations run as the owner role (`IRO_DISPUTES_MIGRATION_DATABASE_URL`); the running
service connects as a role that owns nothing, so it cannot ALTER, DROP or TRUNCATE a
table nor switch a trigger off (only a table's owner or a superuser can). After each
upgrade the owner grants that role row rights on every table, so a table a later
migration adds is covered too, and takes UPDATE and DELETE on the append-only logs
away, so the refusal does not rest on the triggers alone. The retention tables are
the owner's to write (the retention run connects as the owner).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import Connection

# Rows here are written once; `audit verify` proves the two logs were not changed.
APPEND_ONLY_TABLES = ("challenge_event", "access_log", "audit_link", "change_record")
# Written only by `iro-disputes retention run`, which connects as the owner: the service
# cannot write a deletion record, so it cannot make `audit verify` accept a gap.
# The renumbering of working days (also the owner's) keeps the numbers an event was sealed
# with, so the service cannot make `audit verify` accept changed numbers either.
OWNER_WRITES_ONLY = (
    "retention_record",
    "retention_retired_row",
    "retention_pass",
    "working_day_renumbering",
)
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


class UnsafeRoleName(ValueError):
    def __init__(self, role: str) -> None:
        super().__init__(
            f"{role!r} is not a PostgreSQL role name this service will grant to: use letters, "
            "digits and underscores, at most 63 characters"
        )


def grant_service_role(connection: Connection, role: str) -> None:
    """Give `role` row rights on every table in the schema, as the owner, and no more."""
    if not _ROLE_NAME.match(role):
        raise UnsafeRoleName(role)
    quoted = connection.dialect.identifier_preparer.quote(role)
    schema = connection.dialect.identifier_preparer.quote(
        connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    )
    for statement in (
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
        *(f"REVOKE UPDATE, DELETE ON {t} FROM {quoted}" for t in APPEND_ONLY_TABLES),
        *(f"REVOKE INSERT, UPDATE, DELETE ON {t} FROM {quoted}" for t in OWNER_WRITES_ONLY),
    ):
        connection.execute(sa.text(statement))

"""event facts: the child's team and service area, and working-day numbers, on each event

Revision ID: 0015_event_facts
Revises: 0014_retention_deletes
Create Date: 2026-11-30

Backfill, best effort for history: existing events get the team and service area of the
child's allocated social worker as the records stand when this migration runs (the
records kept no history of them), and working-day numbers from the calendar of the ladder
in use (`IRO_DISPUTES_LADDER`). Events written from now on record both as they are then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_event_facts"
down_revision: str | None = "0014_retention_deletes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Repeated literally so the migration never changes with the code (see 0005_footprint).
_STAGE_OPENING = (
    "kind IN ('raise_formal', 'escalate', 'reject', 'time_out') "
    "AND to_state = 'awaiting_response'"
)
_TEAM_OF_CHALLENGE = (
    "SELECT {col} FROM challenge JOIN child ON child.id = challenge.child_id "
    "JOIN person ON person.id = child.social_worker_id JOIN team ON team.id = person.team_id "
    "WHERE challenge.id = challenge_event.challenge_id"
)


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite: the append-only triggers stay).
    op.add_column("challenge_event", sa.Column("team_id", sa.Integer(), nullable=True))
    op.add_column("challenge_event", sa.Column("service_area", sa.String(200), nullable=True))
    op.add_column("challenge_event", sa.Column("working_day", sa.Integer(), nullable=True))
    op.add_column("challenge_event", sa.Column("day_zero", sa.Integer(), nullable=True))
    _backfill()
    # The report's event index also holds the sequence number, the working-day number and
    # the team (counts by team and the working days of ends read no table rows); the
    # stage-opening index holds day zero and the columns of its own condition (SQLite reads
    # the row for them otherwise), so a stage's start is an index-only look-up.
    op.drop_index("ix_report_event_kind", table_name="challenge_event")
    op.create_index(
        "ix_report_event_kind",
        "challenge_event",
        ["kind", "occurred_at", "stage_key", "challenge_id", "seq", "working_day", "team_id",
         "service_area"],
    )  # fmt: skip
    op.drop_index("ix_report_event_stage_open", table_name="challenge_event")
    op.create_index(
        "ix_report_event_stage_open",
        "challenge_event",
        ["challenge_id", "seq", "occurred_at", "day_zero", "kind", "to_state"],
        sqlite_where=sa.text(_STAGE_OPENING),
        postgresql_where=sa.text(_STAGE_OPENING),
    )


def _backfill() -> None:
    # Imported here: the backfill works the numbers out exactly as the write path does.
    from escalation_rules.loader import load_ladder_setting
    from workflow.event_facts import log_writable, renumber_working_days
    from workflow.settings import get_settings

    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM challenge_event LIMIT 1")).first() is None:
        return  # a new database: nothing to backfill
    with log_writable(conn):
        conn.execute(sa.text(
            "UPDATE challenge_event SET team_id = ("
            + _TEAM_OF_CHALLENGE.format(col="team.id") + "), service_area = ("
            + _TEAM_OF_CHALLENGE.format(col="NULLIF(team.service_area, '')") + ")"
        ))  # fmt: skip
    # No record of the numbers before: there were none, and no link covered them then.
    renumber_working_days(conn, load_ladder_setting(get_settings().ladder), keep_before=False,
                          mark_rollup=False)


def downgrade() -> None:
    op.drop_index("ix_report_event_kind", table_name="challenge_event")
    op.create_index(
        "ix_report_event_kind",
        "challenge_event",
        ["kind", "occurred_at", "stage_key", "challenge_id"],
    )
    op.drop_index("ix_report_event_stage_open", table_name="challenge_event")
    op.create_index(
        "ix_report_event_stage_open",
        "challenge_event",
        ["challenge_id", "seq", "occurred_at"],
        sqlite_where=sa.text(_STAGE_OPENING),
        postgresql_where=sa.text(_STAGE_OPENING),
    )
    for column in ("day_zero", "working_day", "service_area", "team_id"):
        op.drop_column("challenge_event", column)  # ALTER TABLE: the triggers stay

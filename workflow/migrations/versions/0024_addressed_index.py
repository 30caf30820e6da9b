"""addressed index: who a challenge was addressed to, found in an index, not in each event's JSON

A responder sees the challenges addressed to them now or earlier (`workflow.queries.visible_to`):
an addressing event (raise, escalate, reject, time out) names them in `details.responder_id`,
or they made it. Read from the JSON of every addressing event, that took 1.2-1.7 s a count
at 1,000,000 challenges on PostgreSQL. Two partial indexes over the addressing events only
answer both questions by look-up:

- `ix_challenge_event_addressed_to`: (details.responder_id, challenge_id), an expression
  index, written as `workflow.queries` writes the look-up (the expressions must match);
- `ix_challenge_event_addressed_by`: (actor_id, challenge_id).

An expression index rather than a column kept beside the event: the action writes nothing
more (its event INSERT is unchanged), and both databases build it from the rows already
there, so an existing database needs no backfill. Only addressing events get entries.

Revision ID: 0024_addressed_index
Revises: 0023_report_rollup
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_addressed_index"
down_revision: str | None = "0023_report_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with `workflow.queries` (`_ADDRESSING`, `event_responder_id`).
ADDRESSING = "kind IN ('raise_formal', 'escalate', 'reject', 'time_out')"
RESPONDER = {
    "postgresql": "(CAST((details ->> 'responder_id') AS INTEGER))",
    "sqlite": "json_extract(details, '$.responder_id')",
}


def upgrade() -> None:
    responder = RESPONDER[op.get_bind().dialect.name]
    op.execute(
        f"CREATE INDEX ix_challenge_event_addressed_to ON challenge_event "
        f"({responder}, challenge_id) WHERE {ADDRESSING}"
    )
    op.execute(
        f"CREATE INDEX ix_challenge_event_addressed_by ON challenge_event "
        f"(actor_id, challenge_id) WHERE {ADDRESSING}"
    )


def downgrade() -> None:
    op.drop_index("ix_challenge_event_addressed_by", table_name="challenge_event")
    op.drop_index("ix_challenge_event_addressed_to", table_name="challenge_event")

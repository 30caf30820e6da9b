"""next deadline rows: a challenge keeps one pending row per clock (the stage clock's next
reminder point or its timeout, and the cap); the rest is planned as each fires

Upgrade: of each challenge's pending, never-failed reminder and timeout rows, only the
earliest stays; the later ones are deleted (they never fired, so nothing refers to them),
and the sweep plans each again when the one before it fires, from the same ladder
version and dates. Rows being retried (attempts > 0) and stuck rows stay as they are.

Downgrade: every pending reminder gets the rest of its stage clock back as pending rows
(the later reminder points and the timeout), unless already there, fired or stuck.

Revision ID: 0021_next_deadline_rows
Revises: 0020_log_seek
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision: str = "0021_next_deadline_rows"
down_revision: str | None = "0020_log_seek"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def upgrade() -> None:
    fresh = "{d}status = 'pending' AND {d}attempts = 0 AND {d}kind IN ('reminder', 'timeout')"
    op.execute(
        f"DELETE FROM deadline WHERE {fresh.format(d='')} AND EXISTS (SELECT 1 FROM deadline e "
        f"WHERE e.challenge_id = deadline.challenge_id AND {fresh.format(d='e.')} "
        "AND (e.due_at < deadline.due_at OR (e.due_at = deadline.due_at AND e.id < deadline.id)))"
    )


def downgrade() -> None:
    # The planner's own arithmetic, so the rows are exactly those it planned before.
    from workflow.deadline_next import next_after, plan_after
    from workflow.deadline_planner import DEADLINE
    from workflow.repository import challenge_from_row

    d, challenges = DEADLINE, DEADLINE.metadata.tables["challenge"]
    heads = (
        sa.select(challenges, d.c.due_at.label("reminder_due_at"))
        .join(challenges, challenges.c.id == d.c.challenge_id)
        .where(d.c.status == "pending", d.c.kind == "reminder")
    )
    session = Session(bind=op.get_bind())
    try:
        for row in session.connection().execute(heads).all():
            c, after = challenge_from_row(row), row.reminder_due_at
            while (p := next_after(session, c, after)) is not None:
                plan_after(session, [(c, after)], look_first=True)
                after = p.due_at
    finally:
        session.close()

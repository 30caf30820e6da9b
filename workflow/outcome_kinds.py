"""The kinds of outcome an IRO picks from when accepting a response ("what changed for the
child"), beside the free text. The council edits the list (`iro-disputes outcome-kinds`);
accept events keep the key, so a kind is retired, never deleted or re-keyed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from workflow.errors import RuleViolation
from workflow.prepared import PreparedRead
from workflow.rows import connection_of, known_outcome_kind
from workflow.tables import OutcomeKind

# Seeded by migration 0013 in this order; keys are stored on accept events: never rename one.
DEFAULT_OUTCOME_KINDS: tuple[tuple[str, str], ...] = (
    ("plan_updated", "Care plan updated"),
    ("decision_made", "Decision made"),
    ("service_provided", "Service or placement provided"),
    ("contact_arranged", "Contact arranged"),
    ("no_change", "No change"),
)


def offered_outcome_kinds(session: Session) -> list[tuple[str, str]]:
    """(key, label) of every kind an IRO may pick now, in the council's order."""
    rows = session.exec(
        select(OutcomeKind).where(OutcomeKind.active).order_by(OutcomeKind.position)  # type: ignore[arg-type]
    )
    return [(k.key, k.label) for k in rows]


def outcome_kind_labels(session: Session) -> dict[str, str]:
    """Every kind's label by key, retired ones included (past resolutions keep them)."""
    return {k.key: k.label for k in session.exec(select(OutcomeKind))}


_KIND: sa.Table = OutcomeKind.__table__  # type: ignore[attr-defined]
_ACTIVE = sa.select(_KIND.c.active).where(_KIND.c.key == sa.bindparam("key"))
# For an acceptance not read through `workflow.services`' ending read, which asks it too.
_READ_ACTIVE = PreparedRead(_ACTIVE)


def check_outcome_kind(session: Session, reference: str, key: object) -> None:
    """Refuse a kind that is not on the list or has been retired (a missing one is the
    lifecycle's to refuse, like any other required field)."""
    if key in (None, ""):
        return
    active = known_outcome_kind(session, str(key))  # read with the challenge, usually
    if active is None:
        row = _READ_ACTIVE.first(connection_of(session), {"key": str(key)})
        active = row.active if row is not None else None
    if not active:
        raise RuleViolation(
            reference, "accept", f"there is no kind of outcome '{key}'", "outcome_kind"
        )

"""The challenge as a plain domain object, free of the database and the web.

`Lifecycle` drives it; the repository maps it to and from table rows. Every
change goes through an action, and every action leaves one `NewEvent` whose
`changes` are exactly the fields it moved, so the log can rebuild the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from workflow.states import State

# Fields an action may change; the event log carries them so replay can rebuild them.
TRACKED_FIELDS = (
    "state",
    "stage_key",
    "responder_id",
    "due_at",
    "stage_started_at",
    "formal_started_at",
    "cap_due_at",
    "highest_stage_key",
    "paused_at",
    "paused_from",
    "informal_recorded",
    "resolved_at",
    "closed_at",
    "outcome",
)


@dataclass
class NewEvent:
    """An event not yet written to the log."""

    kind: str
    occurred_at: datetime
    actor_id: int | None
    from_state: str
    to_state: str
    stage_key: str | None
    changes: dict[str, Any]
    details: dict[str, Any]


@dataclass
class Challenge:
    reference: str
    child_id: int
    raised_by_id: int
    theme_key: str
    ladder_id: str
    ladder_hash: str
    raised_at: datetime
    what_is_wrong: str = ""
    review_date: date | None = None
    impact_on_child: str = ""
    outcome_wanted: str = ""
    state: State = State.NEW
    stage_key: str | None = None
    responder_id: int | None = None
    due_at: datetime | None = None
    stage_started_at: datetime | None = None
    formal_started_at: datetime | None = None
    cap_due_at: datetime | None = None
    highest_stage_key: str | None = None
    paused_at: datetime | None = None
    paused_from: State | None = None
    informal_recorded: bool = False
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    id: int | None = None
    version: int = 0
    pending_events: list[NewEvent] = field(default_factory=list, repr=False, compare=False)

    def tracked(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in TRACKED_FIELDS}

    @property
    def is_formal(self) -> bool:
        return self.stage_key is not None


CHALLENGE_FIELDS = tuple(f.name for f in fields(Challenge) if f.name != "pending_events")

"""Events to and from JSON, and the fold that rebuilds a challenge from its log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from workflow.domain import TRACKED_FIELDS, Challenge
from workflow.states import State

_DATETIMES = frozenset(
    {"due_at", "stage_started_at", "formal_started_at", "cap_due_at", "paused_at",
     "resolved_at", "closed_at"}
)  # fmt: skip
_STATES = frozenset({"state", "paused_from"})


def encode(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _encode_value(value) for key, value in changes.items()}


def _encode_value(value: Any) -> Any:
    # Most values are plain already: tell them by their exact type first (a sweep's
    # batch encodes every event's changes and details).
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _MOMENTS):
        return value.isoformat()
    return value


_PLAIN = frozenset({str, int, float, bool})
_MOMENTS = (datetime, date)


def decode(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if value is not None and key in _DATETIMES:
            value = datetime.fromisoformat(value)
        elif value is not None and key in _STATES:
            value = State(value)
        out[key] = value
    return out


def replay(changes_in_order: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The tracked fields as the log says they are now."""
    blank = Challenge(
        reference="", child_id=0, raised_by_id=0, theme_key="", ladder_id="", ladder_hash="",
        raised_at=datetime.min.replace(tzinfo=UTC),
    )  # fmt: skip
    rebuilt = blank.tracked()
    for changes in changes_in_order:
        rebuilt.update(decode(changes))
    return {name: rebuilt[name] for name in TRACKED_FIELDS}

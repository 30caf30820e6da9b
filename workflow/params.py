"""Checks on the input an action takes, with messages that name the field.

The web and API layers validate their forms too; these checks are the last
line, so a caller that skips them (a script, an email reply) still gets a
precise refusal rather than a bad record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from transitions import EventData

from workflow.domain import Challenge
from workflow.errors import RuleViolation
from workflow.states import CafcassGround

MAX_EXTENSION_WORKING_DAYS = 60
MAX_TEXT = 10_000


def _refuse(c: Challenge, ev: EventData, field: str, problem: str) -> RuleViolation:
    return RuleViolation(c.reference, ev.event.name, problem, field)


def required_text(c: Challenge, ev: EventData, p: Mapping[str, Any], name: str) -> str:
    value = str(p.get(name) or "").strip()
    if not value:
        raise _refuse(c, ev, name, f"enter the {name.replace('_', ' ')}")
    if len(value) > MAX_TEXT:
        raise _refuse(
            c, ev, name, f"the {name.replace('_', ' ')} must be {MAX_TEXT} characters or fewer"
        )
    return value


def optional_text(p: Mapping[str, Any], name: str) -> str:
    return str(p.get(name) or "").strip()[:MAX_TEXT]


def required_date(
    c: Challenge,
    ev: EventData,
    p: Mapping[str, Any],
    name: str,
    not_before: date | None = None,
    not_after: date | None = None,
) -> date:
    label = name.replace("_", " ")
    raw = p.get(name)
    if raw is None or raw == "":
        raise _refuse(c, ev, name, f"enter the {label}")
    if isinstance(raw, datetime):
        raise _refuse(c, ev, name, f"the {label} must be a date, without a time")
    try:
        value = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise _refuse(c, ev, name, f"the {label} must be a real date") from None
    if not_before is not None and value < not_before:
        raise _refuse(c, ev, name, f"the {label} must be on or after {not_before.isoformat()}")
    if not_after is not None and value > not_after:
        raise _refuse(c, ev, name, f"the {label} must be today or in the past")
    return value


def required_working_days(c: Challenge, ev: EventData, p: Mapping[str, Any], name: str) -> int:
    raw = p.get(name)
    whole = "enter the number of working days as a whole number"
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise _refuse(c, ev, name, whole)
    try:
        value = int(str(raw).strip()) if isinstance(raw, str) else int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _refuse(c, ev, name, whole) from None
    if not 1 <= value <= MAX_EXTENSION_WORKING_DAYS:
        raise _refuse(
            c,
            ev,
            name,
            f"the number of working days must be between 1 and {MAX_EXTENSION_WORKING_DAYS}",
        )
    return value


def required_ground(c: Challenge, ev: EventData, p: Mapping[str, Any], name: str) -> CafcassGround:
    try:
        return CafcassGround(str(p.get(name) or ""))
    except ValueError:
        grounds = ", ".join(g.value for g in CafcassGround)
        raise _refuse(c, ev, name, f"select the ground for the referral ({grounds})") from None

"""Turning rows into what pages show: stage names, the timeline's wording, tags."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from api.templating import long_date
from escalation_rules.model import Ladder
from workflow import queries
from workflow.states import CafcassGround

_TITLES = {
    "raise_informal": "Informal resolution recorded",
    "raise_formal": "Challenge raised",
    "escalate": "Escalated",
    "respond": "Response received",
    "accept": "Response accepted: challenge resolved",
    "reject": "Response rejected and escalated",
    "extend": "Deadline extended",
    "pause": "Paused",
    "resume": "Resumed",
    "withdraw": "Withdrawn",
    "close": "Closed",
    "time_out": "Deadline passed",
    "refer_cafcass": "Referred to CAFCASS",
    "record_good_practice": "Good-practice alert recorded",
}
_LABELS = {
    "stage": "Stage",
    "responder_id": "Responder",
    "reason": "Reason",
    "response": "Response",
    "actions": "Actions committed to",
    "target_date": "Target date",
    "outcome": "Outcome",
    "impact": "Impact on the child",
    "working_days": "Extra working days",
    "discussed_with": "Discussed with",
    "discussed_on": "Discussed on",
    "agreed_actions": "Agreed actions",
    "agreed_by": "Agreed by",
    "informal_discussion": "Informal discussion already held",
    "ground": "Ground",
    "referred_on": "Referred on",
    "raised_with": "Raised with",
    "note": "Note",
    "late": "Late",
    "no_target_date_given": "Target date",
}
_STATE_TAGS = {
    "informal": "govuk-tag--grey",
    "awaiting_response": "govuk-tag--blue",
    "response_received": "govuk-tag--yellow",
    "awaiting_iro_decision": "govuk-tag--orange",
    "paused": "govuk-tag--grey",
    "resolved": "govuk-tag--green",
    "withdrawn": "govuk-tag--grey",
    "closed": "govuk-tag--grey",
}


def stage_name(ladder: Ladder, key: str | None) -> str:
    if key is None:
        return "Informal"
    try:
        return ladder.stage(key).name
    except KeyError:
        return key


def state_tag_class(state: str) -> str:
    return _STATE_TAGS.get(state, "")


def _value(key: str, value: Any, names: dict[int, str], ladder: Ladder) -> str:
    if key == "responder_id":
        return names.get(int(value), "Unknown") if value is not None else "Nobody"
    if key == "stage":
        return stage_name(ladder, str(value))
    if key == "ground":
        try:
            return CafcassGround(str(value)).label
        except ValueError:
            return str(value)
    if key in ("target_date", "discussed_on", "agreed_by", "referred_on") and value:
        try:
            return long_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if key == "late":
        return "Yes" if value else "No"
    if key == "no_target_date_given":
        return "No target date given: ask the responder for one before accepting"
    return str(value)


def timeline_entries(session: Session, challenge_id: int, ladder: Ladder) -> list[dict[str, Any]]:
    """The footprint, newest first, in plain words."""
    events = queries.timeline(session, challenge_id)
    ids = [int(e.details["responder_id"]) for e in events if e.details.get("responder_id")]
    names = queries.people_names(session, ids)
    entries = []
    for e in events:
        lines = [
            (_LABELS[k], _value(k, v, names, ladder))
            for k, v in e.details.items()
            if k in _LABELS and v not in (None, "") and not (k == "late" and not v)
        ]
        entries.append(
            {
                "title": _TITLES.get(e.kind, e.kind),
                "when": e.occurred_at,
                "who": e.actor_name or ("The system" if e.kind == "time_out" else ""),
                "lines": lines,
                "kind": e.kind,
            }
        )
    return list(reversed(entries))

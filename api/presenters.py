"""Turning rows into what pages show: stage names, the timeline's wording, tags."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from api.templating import london_time, long_date
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
    "time_out": "Response time passed",
    "remind": "Reminder sent",
    "alert_cap": "Overall time limit passed: Head of Service alerted",
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
    "late": "Answered after the due time",
    "no_target_date_given": "Target date",
    "reminder": "Reminder",
    "stage_due_at": "Response due",
    "cap_due_at": "Whole process was due",
    "cap_working_days": "Overall time limit in working days",
    "head_of_service_id": "Head of Service alerted",
    "timed_out_stage": "Stage that ran out of time",
    "previous_due_at": "Previously due",
    "due_at": "Was due",
    "paused_working_days": "Working days paused",
    "recognised_person_id": "Recognising",
}
_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_PEOPLE = ("responder_id", "head_of_service_id", "recognised_person_id")
_DATES = ("target_date", "discussed_on", "agreed_by", "referred_on")
_MOMENTS = ("stage_due_at", "cap_due_at", "previous_due_at", "due_at")
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


def _in_words(match: re.Match[str]) -> str:
    try:
        return long_date(date.fromisoformat(match.group(0)))
    except ValueError:
        return match.group(0)


def _value(key: str, value: Any, names: dict[int, str], ladder: Ladder) -> str:
    if key in _PEOPLE:
        return names.get(int(value), "Unknown") if value is not None else "Nobody"
    if key in ("stage", "timed_out_stage"):
        return stage_name(ladder, str(value))
    if key == "ground":
        try:
            return CafcassGround(str(value)).label
        except ValueError:
            return str(value)
    if key in _DATES and value:
        try:
            return long_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if key in _MOMENTS and value:
        try:
            return london_time(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if key == "informal_discussion":
        # Recorded as text with ISO dates (the event log is append-only): show them in words.
        return _ISO_DAY.sub(_in_words, str(value))
    if key == "late":
        return "Yes" if value else "No"
    if key == "no_target_date_given":
        return "No target date given: ask the responder for one before accepting"
    return str(value)


def timeline_entries(session: Session, challenge_id: int, ladder: Ladder) -> list[dict[str, Any]]:
    """The footprint, newest first, in plain words."""
    events = queries.timeline(session, challenge_id)
    ids = [int(e.details[k]) for e in events for k in _PEOPLE if e.details.get(k)]
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
                "title": _TITLES.get(e.kind) or e.kind.replace("_", " ").capitalize(),
                "when": e.occurred_at,
                "who": e.actor_name or "The system",
                "lines": lines,
                "kind": e.kind,
            }
        )
    return list(reversed(entries))

"""The form each action asks for: its fields, in the council's words, and how to read them.

One description serves the page form and its validation; the JSON API passes the
same parameter names straight to the use case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.forms import parse_date
from workflow.states import Action, CafcassGround


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # textarea, text, date, number, stage, ground, outcome_kind
    required: bool = True
    hint: str = ""
    message: str = ""  # the error when a required field is empty ("Enter ...")


def _text(name: str, label: str, message: str, hint: str = "", required: bool = True) -> FieldSpec:
    return FieldSpec(name, label, "textarea", required, hint, message)


ACTION_FIELDS: dict[Action, tuple[FieldSpec, ...]] = {
    Action.RESPOND: (
        _text("response", "Your response", "Enter your response"),
        _text("actions", "The actions you commit to", "Enter the actions you commit to"),
        FieldSpec(
            "target_date",
            "Target date for the actions",
            "date",
            hint="For example, 27 3 2027",
            message="Enter the target date",
        ),
    ),
    Action.ACCEPT: (
        FieldSpec(
            "outcome_kind",
            "What changed for the child",
            "outcome_kind",
            message="Select what changed for the child",
        ),
        _text("outcome", "Outcome", "Enter the outcome", "What was agreed or put right"),
        _text("impact", "Impact on the child", "Enter the impact on the child"),
    ),
    Action.REJECT: (
        _text("reason", "Why the response is not good enough", "Enter why you reject the response"),
        FieldSpec(
            "stage",
            "Escalate to",
            "stage",
            required=False,
            hint="The next stage if you do not choose",
        ),
    ),
    Action.ESCALATE: (
        FieldSpec(
            "stage",
            "Escalate to",
            "stage",
            required=False,
            hint="The next stage if you do not choose",
        ),
        _text("reason", "Reason", "", required=False),
    ),
    Action.EXTEND: (
        FieldSpec(
            "working_days",
            "Extra working days",
            "number",
            hint="Between 1 and 60",
            message="Enter the number of working days",
        ),
        _text("reason", "Reason for the extension", "Enter the reason for the extension"),
    ),
    Action.PAUSE: (_text("reason", "Reason for pausing", "Enter the reason for pausing"),),
    Action.RESUME: (_text("reason", "Note", "", required=False),),
    Action.WITHDRAW: (
        _text("reason", "Reason for withdrawing", "Enter the reason for withdrawing"),
    ),
    Action.CLOSE: (_text("note", "Note", "", required=False),),
    Action.REFER_CAFCASS: (
        FieldSpec(
            "ground",
            "Ground for the referral",
            "ground",
            message="Select the ground for the referral",
        ),
        FieldSpec(
            "referred_on",
            "Date of the referral",
            "date",
            hint="For example, 27 3 2027",
            message="Enter the date of the referral",
        ),
        _text(
            "raised_with",
            "Raised with",
            "",
            "Who the failure was raised with before",
            required=False,
        ),
        _text("note", "Note", "", required=False),
    ),
    Action.RECORD_GOOD_PRACTICE: (_text("note", "What was done well", "Enter what was done well"),),
}

GROUNDS = [(g.value, g.label) for g in CafcassGround]


def read_params(action: Action, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The action's parameters from a submitted form, and errors keyed by field id."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in ACTION_FIELDS.get(action, ()):
        if spec.kind == "date":
            label = spec.message.removeprefix("Enter ") or spec.label.lower()
            value = parse_date(form, spec.name, label, errors, spec.required)
            params[spec.name] = value.isoformat() if value else None
            continue
        raw = str(form.get(spec.name, "")).strip()
        if spec.required and not raw:
            errors[spec.name] = spec.message or f"Enter {spec.label.lower()}"
            continue
        if spec.kind == "number" and raw and not raw.isdigit():
            errors[spec.name] = "Extra working days must be a whole number, like 5"
            continue
        params[spec.name] = raw or None
    return params, errors


def field_id(action: Action, name: str) -> str:
    """The id a field's error links to (a date input's day box)."""
    for spec in ACTION_FIELDS.get(action, ()):
        if spec.name == name and spec.kind == "date":
            return f"{name}-day"
    return name

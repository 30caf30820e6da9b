"""Small helpers for HTML forms: GOV.UK date inputs and error messages in GOV.UK wording."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request

from workflow.errors import RuleViolation


def date_parts(form: Mapping[str, Any], name: str) -> tuple[str, str, str]:
    return tuple(str(form.get(f"{name}-{part}", "")).strip() for part in ("day", "month", "year"))  # type: ignore[return-value]


def parse_date(
    form: Mapping[str, Any], name: str, label: str, errors: dict[str, str], required: bool = True
) -> date | None:
    """A GOV.UK date input (name-day, name-month, name-year) as a date, or an error."""
    day, month, year = date_parts(form, name)
    if not (day or month or year):
        if required:
            errors[f"{name}-day"] = f"Enter {label}"
        return None
    missing = [p for p, v in (("day", day), ("month", month), ("year", year)) if not v]
    if missing:
        errors[f"{name}-{missing[0]}"] = (
            f"{label[0].upper()}{label[1:]} must include a {missing[0]}"
        )
        return None
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        errors[f"{name}-day"] = f"{label[0].upper()}{label[1:]} must be a real date"
        return None
    if len(year) != 4:
        errors[f"{name}-year"] = f"{label[0].upper()}{label[1:]} must include a year with 4 numbers"
        return None
    return value


def require_text(
    form: Mapping[str, Any], name: str, message: str, errors: dict[str, str], limit: int = 10_000
) -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        errors[name] = message
    elif len(value) > limit:
        errors[name] = (
            f"{message.removeprefix('Enter ').capitalize()} must be {limit} characters or fewer"
        )
    return value


def rule_error(error: RuleViolation, field_ids: Mapping[str, str] | None = None) -> dict[str, str]:
    """A domain refusal as a field error (the field id the form uses for it)."""
    field = error.field or "form"
    field = (field_ids or {}).get(field, field)
    problem = error.problem
    return {field: problem[0].upper() + problem[1:]}


async def _form_fields(request: Request) -> dict[str, str]:
    # Reading the body is the only awaited step; the handler itself can then be a plain
    # `def` and run its database work in the thread pool, never on the event loop.
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]

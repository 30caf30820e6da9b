"""Reading the challenge log's filters from a query string, for the page, the CSV and the API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from api.forms import parse_date
from escalation_rules.model import Ladder
from workflow.queries import SORTS, LogChoices, LogFilters
from workflow.states import State

STATUSES = ["open", "ended", *(s.value for s in State if s is not State.NEW)]


def status_label(status: str) -> str:
    groups = {"open": "Open (any)", "ended": "Ended (resolved, withdrawn or closed)"}
    return groups.get(status) or State(status).label


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def _int(value: str | None) -> int | None:
    """A whole number that fits an id column, or nothing (so a silly one matches no row)."""
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    if number is not None and not 0 <= number <= MAX_ID:
        return -1
    return number


_DATE_LABELS = {"from": "the date raised from", "to": "the date raised to"}


def _date(args: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    """A GOV.UK date input (from-day, from-month, from-year) on the page, or an ISO date
    (from=2026-12-31) in links, the CSV and the API."""
    if any(args.get(f"{name}-{part}") for part in ("day", "month", "year")):
        return parse_date(args, name, _DATE_LABELS[name], errors, required=False)
    value = args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[f"{name}-day"] = f"Enter a real date for '{name}', like 2026-12-31"
        return None


def parse_filters(args: Mapping[str, str], per_page: int = 50) -> tuple[LogFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    status = args.get("status") or None
    if status and status not in STATUSES:
        errors["status"] = "Select a status from the list"
        status = None
    sort = args.get("sort") or "raised"
    if sort not in SORTS:
        sort = "raised"
    page = _int(args.get("page")) or 1
    size = _int(args.get("per_page")) or per_page
    filters = LogFilters(
        status=status,
        stage=args.get("stage") or None,
        theme=args.get("theme") or None,
        team_id=_int(args.get("team")),
        iro_id=_int(args.get("iro")),
        responder_id=_int(args.get("responder")),
        overdue=args.get("overdue") in ("yes", "true", "1", "on"),
        raised_from=_date(args, "from", errors),
        raised_to=_date(args, "to", errors),
        child_reference=(args.get("child") or "").strip() or None,
        search=(args.get("q") or "").strip()[:40] or None,
        sort=sort,
        descending=args.get("order", "desc") != "asc",
        page=max(1, min(page, 100_000)),
        per_page=max(1, min(size, 200)),
        cursor=(args.get("cursor") or "").strip()[:400] or None,
    )
    return filters, errors


def selected_filters(f: LogFilters, choices: LogChoices, ladder: Ladder) -> list[tuple[str, str]]:
    """Each filter in use, in words, with the link that removes it (the MoJ filter's tags)."""
    names: dict[str, dict[Any, str]] = {
        "theme": dict(choices.themes),
        "team_id": dict(choices.teams),
        "iro_id": dict(choices.iros),
        "responder_id": dict(choices.responders),
        "stage": {s.key: s.name for s in ladder.stages},
    }
    shown: list[tuple[str, str, Any]] = [
        ("child_reference", f"Child {f.child_reference}", None),
        ("search", f"Reference {f.search}", None),
        ("status", status_label(f.status) if f.status else "", None),
        ("overdue", "Overdue only", False),
    ]
    for field, label in (("stage", "Stage"), ("theme", "Theme"), ("team_id", "Team"),
                         ("iro_id", "IRO"), ("responder_id", "Responder")):  # fmt: skip
        value = getattr(f, field)
        shown.append((field, f"{label}: {names[field].get(value, value)}", None))
    if f.raised_from:
        shown.append(("raised_from", f"Raised on or after {f.raised_from:%-d %B %Y}", None))
    if f.raised_to:
        shown.append(("raised_to", f"Raised on or before {f.raised_to:%-d %B %Y}", None))
    return [
        (text, "/log?" + urlencode(f.query_args(**{field: cleared, "page": 1})))
        for field, text, cleared in shown
        if getattr(f, field) not in (None, False, "")
    ]

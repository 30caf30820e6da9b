"""Reading the challenge log's filters from a query string, for the page, the CSV and the API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from workflow.queries import SORTS, LogFilters
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


def _date(value: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"Enter a real date for '{name}', like 2026-12-31"
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
        raised_from=_date(args.get("from"), "from", errors),
        raised_to=_date(args.get("to"), "to", errors),
        child_reference=(args.get("child") or "").strip() or None,
        search=(args.get("q") or "").strip()[:40] or None,
        sort=sort,
        descending=args.get("order", "desc") != "asc",
        page=max(1, min(page, 100_000)),
        per_page=max(1, min(size, 200)),
    )
    return filters, errors

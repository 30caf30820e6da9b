"""Plain-object helpers for the lifecycle tests: no database, no clock.

Working days are counted here by a naive day-by-day walk over the `holidays` GB/ENG
calendar, independently of `escalation_rules.calendar` (which bisects cached years),
so the lifecycle's deadlines are checked against a second opinion.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from escalation_rules.loader import load_ladder_setting, parse_ladder
from escalation_rules.model import Ladder, LegalStatus, Role, Stage
from workflow.domain import Challenge
from workflow.lifecycle import ActionContext, Lifecycle, lifecycle_for
from workflow.states import Action

LONDON = ZoneInfo("Europe/London")
LADDER_IDS = ("handbook", "darlington", "nottinghamshire", "barnet", "peterborough")
IRO_ID = 1
OTHER_ID = 2
RESPONDERS: dict[Role, int] = {
    Role.SOCIAL_WORKER: 11,
    Role.TEAM_MANAGER: 12,
    Role.SERVICE_MANAGER: 13,
    Role.HEAD_OF_SERVICE: 14,
    Role.SENIOR_MANAGER: 15,
}
REFERENCE = "IRO-2026-0042"
# Wednesday 2 December 2026, 10:00 London (GMT): an ordinary working morning.
WED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

_BANK = holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2030))


def ladder(ladder_id: str) -> Ladder:
    return load_ladder_setting(ladder_id)


def lifecycle(ladder_id: str) -> Lifecycle:
    return lifecycle_for(ladder(ladder_id))


def ladder_with_fixed_top(ladder_id: str = "handbook") -> Ladder:
    """The handbook ladder, but nobody may start at its top stage."""
    text = bundled_text(ladder_id)
    marker = 'key = "senior_manager"'
    assert marker in text
    head, tail = text.split(marker)
    tail = tail.replace("may_start_here = true", "may_start_here = false", 1)
    return parse_ladder((head + marker + tail).encode(), "fixed-top.toml")


def bundled_text(ladder_id: str) -> str:
    from importlib import resources

    return resources.files("escalation_rules").joinpath("ladders", f"{ladder_id}.toml").read_text()


def london(text: str) -> datetime:
    """An aware UTC datetime from a London wall-clock time such as "2026-12-24T10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def is_working(d: date) -> bool:
    return d.weekday() < 5 and d not in _BANK


def nth_working_day_after(d: date, n: int) -> date:
    """The n-th working day strictly after `d` (n >= 1)."""
    assert n >= 1
    while n:
        d += timedelta(days=1)
        n -= is_working(d)
    return d


def working_days_in(a: date, b: date) -> int:
    """Working days d with a < d <= b."""
    return sum(is_working(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def end_of(d: date) -> datetime:
    """17:00 London on `d`, in UTC: the default ladders' end of the working day."""
    return datetime.combine(d, time(17, 0), tzinfo=LONDON).astimezone(UTC)


def due_after(start: datetime, working_days: int) -> datetime:
    """Default conventions: day 1 is the next working day after the (effective) start."""
    local = start.astimezone(LONDON)
    day = local.date()
    if not is_working(day) or local.time() >= time(17, 0):
        day = nth_working_day_after(day, 1)
    return end_of(nth_working_day_after(day, working_days))


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def new_challenge(lad: Ladder, at: datetime = WED) -> Challenge:
    return Challenge(
        reference=REFERENCE,
        child_id=7,
        raised_by_id=IRO_ID,
        theme_key="health_assessments",
        ladder_id=lad.id,
        ladder_hash=lad.content_hash,
        raised_at=at,
    )


def fields(c: Challenge, *names: str) -> tuple[Any, ...]:
    """Some tracked fields, read afresh (type checkers keep earlier narrowing otherwise)."""
    tracked = c.tracked()
    return tuple(tracked[name] for name in names)


def find_responder(stage: Stage) -> int:
    return RESPONDERS[Role(stage.responder.posts[0])]


def ctx(
    at: datetime,
    params: Mapping[str, Any] | None = None,
    actor: int | None = IRO_ID,
    status: LegalStatus | None = LegalStatus.LOOKED_AFTER,
) -> ActionContext:
    return ActionContext(
        at=at,
        actor_id=actor,
        params=dict(params or {}),
        find_responder=find_responder,
        child_legal_status=status,
    )


def informal_params(at: datetime, agreed_by: date | None = None) -> dict[str, Any]:
    today = local_date(at)
    return {
        "discussed_with": "Sam Worker (social worker)",
        "discussed_on": today - timedelta(days=1),
        "agreed_actions": "Book the health assessment",
        "agreed_by": agreed_by or today + timedelta(days=7),
    }


def respond_params(at: datetime, days: int = 5) -> dict[str, Any]:
    return {
        "response": "Booked for next week",
        "actions": "Health assessment booked",
        "target_date": (local_date(at) + timedelta(days=days)).isoformat(),
    }


ACCEPT = {"outcome": "Assessment booked", "impact": "Asthma now monitored"}
CAFCASS = {"ground": "review_decisions_not_implemented"}


def raised_informal(ladder_id: str, at: datetime = WED) -> tuple[Lifecycle, Challenge]:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder, at)
    lc.apply(c, Action.RAISE_INFORMAL, ctx(at, informal_params(at)))
    return lc, c


def raised_formal(
    ladder_id: str, stage: str | None = None, at: datetime = WED
) -> tuple[Lifecycle, Challenge]:
    lc = lifecycle(ladder_id)
    c = new_challenge(lc.ladder, at)
    params: dict[str, Any] = {"informal_discussion": "Discussed with Sam on 1 December"}
    if stage:
        params["stage"] = stage
    lc.apply(c, Action.RAISE_FORMAL, ctx(at, params))
    return lc, c

"""What a ladder would do with a challenge raised at a given moment, for an admin to check.

Every stage is timed from the same start, as if the challenge began at that stage, so an
admin can see each timescale and the days it skips (bank holidays, local closures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalation_rules.deadlines import Deadline, DeadlineRules
from escalation_rules.model import Ladder, Role

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKEND = ("Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class StageExplanation:
    key: str
    name: str
    responder: Role
    working_days: int
    deadline: Deadline

    @property
    def due_at(self) -> datetime:
        return self.deadline.due_at

    @property
    def skipped(self) -> tuple[tuple[date, str], ...]:
        return self.deadline.skipped


@dataclass(frozen=True)
class LadderExplanation:
    ladder_id: str
    ladder_name: str
    content_hash: str
    timezone: str
    start: datetime
    effective_start_day: date
    first_day: date
    stages: tuple[StageExplanation, ...]
    cap_working_days: int
    cap: Deadline


def explain(ladder: Ladder, start: datetime) -> LadderExplanation:
    rules = DeadlineRules(ladder)
    stages = tuple(
        StageExplanation(s.key, s.name, s.responder, s.working_days, rules.stage_deadline(s, start))
        for s in ladder.stages
    )
    return LadderExplanation(
        ladder_id=ladder.id,
        ladder_name=ladder.name,
        content_hash=ladder.content_hash,
        timezone=ladder.timezone,
        start=start,
        effective_start_day=rules.effective_start_day(start),
        first_day=rules.first_day(start),
        stages=stages,
        cap_working_days=ladder.overall_cap_working_days,
        cap=rules.cap_deadline(start),
    )


def _day(d: date) -> str:
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _moment(moment: datetime, expl: LadderExplanation) -> str:
    """Such as "Mon 4 Jan 2027 17:00 GMT", in the ladder's local time."""
    local = moment.astimezone(ZoneInfo(expl.timezone))
    return f"{_day(local.date())} {local:%H:%M} {local.tzname()}"


def _plural(n: int) -> str:
    return f"{n} working day" + ("" if n == 1 else "s")


def to_text(expl: LadderExplanation) -> str:
    """A plain table an admin can read in a terminal."""
    rows = [("Stage", "Responder", "Timescale", "Due")]
    for s in expl.stages:
        rows.append((s.name, s.responder.label, _plural(s.working_days), _moment(s.due_at, expl)))
    cap_due = _moment(expl.cap.due_at, expl)
    rows.append(("Overall cap", "", _plural(expl.cap_working_days), cap_due))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    table = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    table = [line.rstrip() for line in table]
    return "\n".join([*_heading(expl), "", *table, "", *_skipped_lines(expl)]) + "\n"


def _heading(expl: LadderExplanation) -> list[str]:
    return [
        f"Ladder: {expl.ladder_name} ({expl.ladder_id}), hash {expl.content_hash[:12]}",
        f"Raised: {_moment(expl.start, expl)}",
        f"Clock starts: {_day(expl.effective_start_day)}; working day 1 is {_day(expl.first_day)}",
    ]


def _skipped_lines(expl: LadderExplanation) -> list[str]:
    # One list for the whole ladder: the stages' lists are beginnings of the cap's.
    # Plain weekends are only counted, so the holidays and closures stand out.
    days = dict(expl.cap.skipped)
    for s in expl.stages:
        days.update(s.skipped)
    special = sorted(d for d, reason in days.items() if reason not in _WEEKEND)
    weekend = len(days) - len(special)
    if not special:
        return [f"No holidays or closures inside these timescales ({weekend} weekend days)."]
    lines = ["Not counted, besides ordinary weekends:"]
    lines.extend(f"  {_day(d):<16} {days[d]}" for d in special)
    lines.append(f"  and {weekend} weekend days.")
    return lines


def _skipped_json(skipped: tuple[tuple[date, str], ...]) -> list[dict[str, str]]:
    return [{"date": d.isoformat(), "reason": reason} for d, reason in skipped]


def _deadline_json(deadline: Deadline, expl: LadderExplanation) -> dict[str, Any]:
    return {
        "due_at": deadline.due_at.astimezone(ZoneInfo(expl.timezone)).isoformat(),
        "first_day": deadline.first_day.isoformat(),
        "last_day": deadline.last_day.isoformat(),
        "skipped": _skipped_json(deadline.skipped),
    }


def to_json_dict(expl: LadderExplanation) -> dict[str, Any]:
    """JSON-ready: times in ISO 8601 with the ladder's local offset."""
    stages = [
        {
            "key": s.key,
            "name": s.name,
            "responder": s.responder.value,
            "working_days": s.working_days,
            **_deadline_json(s.deadline, expl),
        }
        for s in expl.stages
    ]
    return {
        "ladder": {"id": expl.ladder_id, "name": expl.ladder_name, "hash": expl.content_hash},
        "start": expl.start.astimezone(ZoneInfo(expl.timezone)).isoformat(),
        "effective_start_day": expl.effective_start_day.isoformat(),
        "first_day": expl.first_day.isoformat(),
        "stages": stages,
        "cap": {"working_days": expl.cap_working_days, **_deadline_json(expl.cap, expl)},
    }

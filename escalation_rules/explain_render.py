"""`rules explain` output: a table an admin reads in a terminal, or the same as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalation_rules.deadlines import Deadline
from escalation_rules.explain import LadderExplanation, StageExplanation
from escalation_rules.model import CountedFrom, TimeoutAction

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKEND = ("Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ON_TIMEOUT = {TimeoutAction.ESCALATE: "escalates", TimeoutAction.ASK_IRO: "asks the IRO"}
_FROM = {
    CountedFrom.RAISED: "from the raise",
    CountedFrom.REVIEW_DATE: "from the review date",
    CountedFrom.FORMAL_START: "from the start of the formal process",
}


def _day(d: date) -> str:
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _moment(moment: datetime, expl: LadderExplanation) -> str:
    """Such as "Mon 4 Jan 2027 17:00 GMT", in the ladder's local time."""
    local = moment.astimezone(ZoneInfo(expl.timezone))
    return f"{_day(local.date())} {local:%H:%M} {local.tzname()}"


def _plural(n: int | None) -> str:
    if n is None:
        return "no timescale"
    return f"{n} working day" + ("" if n == 1 else "s")


def to_text(expl: LadderExplanation) -> str:
    """A plain table an admin can read in a terminal."""
    rows = [("Stage", "Responder", "Timescale", "Due", "On timeout")]
    rows.extend(_stage_row(s, expl) for s in expl.stages)
    if expl.cap is not None:
        cap_due = _moment(expl.cap.due_at, expl)
        rows.append(("Overall cap", "", _plural(expl.cap_working_days), cap_due, ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    table = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    table = [line.rstrip() for line in table]
    lines = [*_heading(expl), "", *_informal_lines(expl), "", *table, ""]
    lines += [*_stage_notes(expl), *_skipped_lines(expl)]
    return "\n".join(lines) + "\n"


def _stage_row(s: StageExplanation, expl: LadderExplanation) -> tuple[str, str, str, str, str]:
    due = _moment(s.due_at, expl) if s.due_at else "-"
    on_timeout = _ON_TIMEOUT[s.on_timeout] if s.working_days is not None else "none (report-to)"
    return (s.name, s.responder, _plural(s.working_days), due, on_timeout)


def _heading(expl: LadderExplanation) -> list[str]:
    cap = "no overall cap"
    if expl.cap is not None:
        cap = f"cap {_plural(expl.cap_working_days)} {_FROM[expl.cap_counted_from]}"
    return [
        f"Ladder: {expl.ladder_name} ({expl.ladder_id}), hash {expl.content_hash[:12]}, {cap}",
        f"Raised: {_moment(expl.start, expl)}",
        f"Clock starts: {_day(expl.effective_start_day)}; working day 1 is {_day(expl.first_day)}",
        "Each stage opens when the one below runs out, with day 1 on the next working day.",
    ]


def _informal_lines(expl: LadderExplanation) -> list[str]:
    i = expl.informal
    head = "Informal resolution: " + ("required first" if i.required else "optional")
    if i.high_risk_may_skip:
        head += "; may be skipped where risk is high, with the reason recorded"
    if i.deadline is None:
        return [head, "  due: the date the IRO agrees with the social worker or manager"]
    due = _moment(i.deadline.due_at, expl)
    then = "moves into the first formal stage" if i.on_timeout is TimeoutAction.ESCALATE else (
        "asks the IRO to decide")  # fmt: skip
    return [head, f"  {_plural(i.working_days)} {_FROM[i.counted_from]}: due {due}; then {then}"]


def _stage_notes(expl: LadderExplanation) -> list[str]:
    lines: list[str] = []
    for s in expl.stages:
        notes = (
            [f"reminders {', '.join(_moment(r, expl) for r in s.reminders)}"] if s.reminders else []
        )
        if s.fallbacks:
            notes.append(f"if nobody is found: {'; then '.join(s.fallbacks)}")
        if s.raised_by != ("iro",):
            notes.append(f"raised by {' or '.join(s.raised_by)}")
        if s.copy:
            notes.append(f"copied to {', '.join(s.copy)}")
        if s.notify:
            notes.append(f"told it opened: {', '.join(s.notify)}")
        if notes:
            lines.append(f"{s.name}: " + "; ".join(notes))
    return [*lines, ""] if lines else []


def _skipped_lines(expl: LadderExplanation) -> list[str]:
    # One list for the whole climb; plain weekends are only counted, so the holidays
    # and closures stand out.
    days: dict[date, str] = dict(expl.cap.skipped) if expl.cap else {}
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


def _deadline_json(deadline: Deadline | None, expl: LadderExplanation) -> dict[str, Any]:
    if deadline is None:
        return {"due_at": None, "first_day": None, "last_day": None, "skipped": []}
    return {
        "due_at": _iso(deadline.due_at, expl),
        "first_day": deadline.first_day.isoformat(),
        "last_day": deadline.last_day.isoformat(),
        "skipped": [{"date": d.isoformat(), "reason": r} for d, r in deadline.skipped],
    }


def _iso(moment: datetime, expl: LadderExplanation) -> str:
    return moment.astimezone(ZoneInfo(expl.timezone)).isoformat()


def _stage_json(s: StageExplanation, expl: LadderExplanation) -> dict[str, Any]:
    return {
        "key": s.key,
        "name": s.name,
        "responder": s.responder,
        "fallbacks": list(s.fallbacks),
        "working_days": s.working_days,
        "on_timeout": s.on_timeout.value if s.working_days is not None else None,
        "reminders": [_iso(r, expl) for r in s.reminders],
        "raised_by": list(s.raised_by),
        "copy": list(s.copy),
        "notify": list(s.notify),
        **_deadline_json(s.deadline, expl),
    }


def to_json_dict(expl: LadderExplanation) -> dict[str, Any]:
    """JSON-ready: times in ISO 8601 with the ladder's local offset."""
    i = expl.informal
    return {
        "ladder": {"id": expl.ladder_id, "name": expl.ladder_name, "hash": expl.content_hash},
        "start": _iso(expl.start, expl),
        "effective_start_day": expl.effective_start_day.isoformat(),
        "first_day": expl.first_day.isoformat(),
        "informal": {
            "required": i.required,
            "working_days": i.working_days,
            "counted_from": i.counted_from.value,
            "on_timeout": i.on_timeout.value,
            "high_risk_may_skip": i.high_risk_may_skip,
            **_deadline_json(i.deadline, expl),
        },
        "stages": [_stage_json(s, expl) for s in expl.stages],
        "cap": None
        if expl.cap is None
        else {
            "working_days": expl.cap_working_days,
            "counted_from": expl.cap_counted_from.value,
            **_deadline_json(expl.cap, expl),
        },
    }

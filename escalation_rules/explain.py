"""What a ladder would do with a challenge raised at a given moment, for an admin to check.

The climb: the first stage where a challenge may start opens at the start moment, and
each stage after it opens as a timeout would open it, with working day 1 on the working
day after the previous stage ran out (no working day lost). A stage whose timeout asks
the IRO is timed as if the IRO escalated at that moment. A stage with no timescale ends
the timed climb: the stages above it open only when someone escalates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from escalation_rules.deadlines import Deadline, DeadlineRules
from escalation_rules.model import CountedFrom, Ladder, Stage, TimeoutAction


@dataclass(frozen=True)
class StageExplanation:
    key: str
    name: str
    responder: str  # such as "assistant_team_manager or team_manager"
    fallbacks: tuple[str, ...]
    working_days: int | None
    deadline: Deadline | None  # None: no timescale, or not reached by timeouts
    on_timeout: TimeoutAction
    reminders: tuple[datetime, ...]
    raised_by: tuple[str, ...]
    copy: tuple[str, ...]
    notify: tuple[str, ...]

    @property
    def due_at(self) -> datetime | None:
        return self.deadline.due_at if self.deadline else None

    @property
    def skipped(self) -> tuple[tuple[date, str], ...]:
        return self.deadline.skipped if self.deadline else ()


@dataclass(frozen=True)
class InformalExplanation:
    required: bool
    working_days: int | None
    counted_from: CountedFrom
    on_timeout: TimeoutAction
    deadline: Deadline | None  # None: the date the IRO agrees is the only limit
    high_risk_may_skip: bool


@dataclass(frozen=True)
class LadderExplanation:
    ladder_id: str
    ladder_name: str
    content_hash: str
    timezone: str
    start: datetime
    effective_start_day: date
    first_day: date
    informal: InformalExplanation
    stages: tuple[StageExplanation, ...]
    cap_working_days: int | None
    cap: Deadline | None
    cap_counted_from: CountedFrom


def explain(ladder: Ladder, start: datetime) -> LadderExplanation:
    rules = DeadlineRules(ladder)
    return LadderExplanation(
        ladder_id=ladder.id,
        ladder_name=ladder.name,
        content_hash=ladder.content_hash,
        timezone=ladder.timezone,
        start=start,
        effective_start_day=rules.effective_start_day(start),
        first_day=rules.first_day(start),
        informal=_informal(ladder, rules, start),
        stages=_climb(ladder, rules, start),
        cap_working_days=ladder.overall_cap_working_days,
        cap=rules.cap_deadline(start),
        cap_counted_from=ladder.cap_counted_from,
    )


def _informal(ladder: Ladder, rules: DeadlineRules, start: datetime) -> InformalExplanation:
    terms = ladder.informal
    days = terms.working_days
    return InformalExplanation(
        required=ladder.informal_first,
        working_days=days,
        counted_from=terms.counted_from,
        on_timeout=terms.on_timeout,
        deadline=None if days is None else rules.deadline(start, days),
        high_risk_may_skip=ladder.high_risk_may_skip_informal,
    )


def _climb(ladder: Ladder, rules: DeadlineRules, start: datetime) -> tuple[StageExplanation, ...]:
    first = ladder.starting_stages[0]
    out: list[StageExplanation] = []
    previous: Deadline | None = None
    opened, timed = start, True
    for stage in ladder.stages:
        reached = ladder.index_of(stage.key) >= ladder.index_of(first.key)
        deadline = None
        if reached and timed:
            after = previous.due_at if previous else None
            deadline = rules.stage_deadline(stage, start, after=after)
            opened = after or start
            timed = deadline is not None
            previous = deadline
        reminders = _reminders(rules, deadline, opened) if deadline else ()
        out.append(_stage(stage, deadline, reminders))
    return tuple(out)


def _reminders(rules: DeadlineRules, deadline: Deadline, opened: datetime) -> tuple[datetime, ...]:
    # As the workflow plans them: a reminder point before the stage opened is skipped.
    times = rules.reminder_times(deadline.due_at)
    return tuple(when for _, when in times if opened < when < deadline.due_at)


def _stage(
    stage: Stage, deadline: Deadline | None, reminders: tuple[datetime, ...]
) -> StageExplanation:
    return StageExplanation(
        key=stage.key,
        name=stage.name,
        responder=_route_label(stage.responder.label, stage.responder.route),
        fallbacks=tuple(_route_label(w.label, w.route) for w in stage.fallbacks),
        working_days=stage.working_days,
        deadline=deadline,
        on_timeout=stage.on_timeout,
        reminders=reminders,
        raised_by=stage.raised_by,
        copy=tuple(w.label for w in stage.copy),
        notify=tuple(w.label for w in stage.notify),
    )


def _route_label(label: str, route: object) -> str:
    return f"{label} ({route})" if route else label

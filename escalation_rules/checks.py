"""Values a ladder may hold but that are almost certainly mistakes: `rules check` warns.

The loader refuses what cannot work; these load, and do something nobody meant.
"""

from __future__ import annotations

from escalation_rules._toml_table import LadderProblem
from escalation_rules.model import Ladder

# No published procedure gives a stage more than 20 working days; 60 is three months.
LONG_TIMESCALE = 60


def warnings(ladder: Ladder) -> list[LadderProblem]:
    return [*_reminder_warnings(ladder), *_long_timescales(ladder)]


def _reminder_warnings(ladder: Ladder) -> list[LadderProblem]:
    timed = [s.working_days for s in ladder.stages if s.working_days is not None]
    longest = max(timed, default=0)
    found = []
    for i, reminder in enumerate(ladder.reminders):
        key = f"reminders[{i}]"
        if reminder.working_days_before >= longest:
            found.append(LadderProblem(f"{key}.working_days_before",
                f"{reminder.working_days_before} working days before the due day falls before "
                f"every stage has begun (the longest timescale is {longest}): it can never fire"))  # fmt: skip
        if reminder.at >= ladder.end_of_day:
            found.append(LadderProblem(f"{key}.at",
                f"{reminder.at:%H:%M} is at or after the end of the working day "
                f"({ladder.end_of_day:%H:%M}): on the due day the response is already late"))  # fmt: skip
    return found


def _long_timescales(ladder: Ladder) -> list[LadderProblem]:
    found = []
    values = [(f"stages[{i}].working_days", s.working_days) for i, s in enumerate(ladder.stages)]
    values += [("informal.working_days", ladder.informal.working_days)]
    values += [("overall_cap_working_days", ladder.overall_cap_working_days)]
    for key, days in values:
        if days is not None and days > LONG_TIMESCALE:
            found.append(LadderProblem(key,
                f"{days} working days is over {LONG_TIMESCALE} (about three months): "
                "working days, not calendar days?"))  # fmt: skip
    return found

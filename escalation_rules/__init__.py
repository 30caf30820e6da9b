"""Escalation rules: ladders, working days, deadlines and responders.

Pure: imports nothing from workflow/, api/ or notifications/, reads no clock and no
database. Everything else in iro-disputes depends on this package, never the reverse.
"""

from escalation_rules.calendar import WorkingCalendar
from escalation_rules.deadlines import Deadline, DeadlineRules
from escalation_rules.explain import LadderExplanation, StageExplanation, explain
from escalation_rules.loader import (
    LadderError,
    LadderProblem,
    bundled_ladders,
    load_ladder,
    load_ladder_setting,
    parse_ladder,
)
from escalation_rules.model import (
    CafcassGuards,
    DayOne,
    Ladder,
    LegalStatus,
    Post,
    Reminder,
    Role,
    Route,
    Stage,
    TimeoutAction,
    Who,
)
from escalation_rules.responders import (
    RESPONDER_ROLES,
    PersonView,
    find_in_line,
    responder_for,
)
from escalation_rules.themes import Theme, default_themes

__all__ = [
    "RESPONDER_ROLES",
    "CafcassGuards",
    "DayOne",
    "Deadline",
    "DeadlineRules",
    "Ladder",
    "LadderError",
    "LadderExplanation",
    "LadderProblem",
    "LegalStatus",
    "PersonView",
    "Post",
    "Reminder",
    "Role",
    "Route",
    "Stage",
    "StageExplanation",
    "Theme",
    "TimeoutAction",
    "Who",
    "WorkingCalendar",
    "bundled_ladders",
    "default_themes",
    "explain",
    "find_in_line",
    "load_ladder",
    "load_ladder_setting",
    "parse_ladder",
    "responder_for",
]

"""The ladder: a council's dispute-resolution process, as plain immutable data.

Nothing here knows about files, databases or the web. `escalation_rules.loader`
builds these objects from a TOML file and validates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum


class Role(StrEnum):
    """Roles a person can hold. Responders and copy lists name these."""

    IRO = "iro"
    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    HEAD_OF_SERVICE = "head_of_service"
    SENIOR_MANAGER = "senior_manager"
    ADMIN = "admin"
    SMT_READER = "smt_reader"

    @property
    def label(self) -> str:
        """The role in the council's words, for pages and messages."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.IRO: "IRO",
    Role.SOCIAL_WORKER: "Social worker",
    Role.TEAM_MANAGER: "Team manager",
    Role.SERVICE_MANAGER: "Service manager",
    Role.HEAD_OF_SERVICE: "Head of Service",
    Role.SENIOR_MANAGER: "Senior manager",
    Role.ADMIN: "Administrator",
    Role.SMT_READER: "SMT reader",
}


class TimeoutAction(StrEnum):
    """What happens when a stage's response time runs out."""

    ESCALATE = "escalate"  # move to the next stage automatically
    ASK_IRO = "ask_iro"  # stop and ask the IRO to decide the next step


class DayOne(StrEnum):
    """Which day counts as working day 1 of a timescale."""

    NEXT_WORKING_DAY = "next_working_day"
    SAME_DAY = "same_day"


class LegalStatus(StrEnum):
    LOOKED_AFTER = "looked_after"
    CHILD_PROTECTION = "child_protection"
    CHILD_IN_NEED = "child_in_need"
    CARE_LEAVER = "care_leaver"

    @property
    def label(self) -> str:
        """The legal status in the council's words, for pages and the change history."""
        return _LEGAL_STATUS_LABELS[self]


_LEGAL_STATUS_LABELS = {
    LegalStatus.LOOKED_AFTER: "Looked after (in care)",
    LegalStatus.CHILD_PROTECTION: "Child protection plan",
    LegalStatus.CHILD_IN_NEED: "Child in need",
    LegalStatus.CARE_LEAVER: "Care leaver",
}


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder to the responder `working_days_before` the due day, at `at` London time.

    0 means the morning of the due day itself.
    """

    working_days_before: int
    at: time


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    name: str
    responder: Role
    working_days: int
    may_start_here: bool = True
    copy: tuple[Role, ...] = ()
    on_timeout: TimeoutAction = TimeoutAction.ESCALATE


@dataclass(frozen=True, slots=True)
class CafcassGuards:
    """Conditions a CAFCASS referral must meet under this ladder."""

    legal_statuses: frozenset[LegalStatus] = frozenset(LegalStatus)
    requires_formal_process: bool = False


@dataclass(frozen=True, slots=True)
class Ladder:
    id: str
    name: str
    stages: tuple[Stage, ...]
    content_hash: str
    informal_first: bool = True
    overall_cap_working_days: int = 20
    day_one: DayOne = DayOne.NEXT_WORKING_DAY
    end_of_day: time = time(17, 0)
    timezone: str = "Europe/London"
    closure_days: frozenset[date] = frozenset()
    reminders: tuple[Reminder, ...] = ()
    cafcass: CafcassGuards = field(default_factory=CafcassGuards)
    description: str = ""

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def index_of(self, key: str) -> int:
        return self.stage_keys.index(key)

    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    def next_stage(self, key: str) -> Stage | None:
        i = self.index_of(key)
        return self.stages[i + 1] if i + 1 < len(self.stages) else None

    def higher_stages(self, key: str | None) -> tuple[Stage, ...]:
        """Stages above `key`; every stage when there is no current stage."""
        if key is None:
            return self.stages
        return self.stages[self.index_of(key) + 1 :]

    @property
    def starting_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.may_start_here)

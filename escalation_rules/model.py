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


class Route(StrEnum):
    """Where the holder of a post is looked for."""

    SOCIAL_WORKER_LINE = "social_worker_line"  # up the child's social worker's line
    IRO_LINE = "iro_line"  # up the line of the IRO who raised the challenge
    CHILD_TEAM = "child_team"  # in the child's team
    SERVICE_AREA = "service_area"  # in the child's service area
    COUNCIL = "council"  # anywhere in the council: one post holder


class CountedFrom(StrEnum):
    """The moment a timescale is counted from."""

    RAISED = "raised"
    REVIEW_DATE = "review_date"
    FORMAL_START = "formal_start"


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
class Post:
    """A post the council's procedure names (Head of QA), beyond the built-in roles."""

    key: str
    name: str
    route: Route = Route.SOCIAL_WORKER_LINE


@dataclass(frozen=True, slots=True)
class Who:
    """Whoever first holds one of `posts`, looked for along `route`.

    A post is a built-in role's value or a key of the ladder's `[posts]`. With no
    route, each post is looked for along its own (a role: the social worker's line).
    """

    posts: tuple[str, ...]
    route: Route | None = None

    @property
    def label(self) -> str:
        return " or ".join(self.posts)


@dataclass(frozen=True, slots=True)
class Stage:
    key: str
    name: str
    responder: Who
    working_days: int | None  # None: a report-to level with no timescale
    may_start_here: bool = True
    copy: tuple[Who, ...] = ()
    on_timeout: TimeoutAction = TimeoutAction.ESCALATE
    fallbacks: tuple[Who, ...] = ()
    notify: tuple[Who, ...] = ()
    raised_by: tuple[str, ...] = ("iro",)

    @property
    def finders(self) -> tuple[Who, ...]:
        """The responder first, then each fallback in the order the ladder gives them."""
        return (self.responder, *self.fallbacks)

    @property
    def has_timescale(self) -> bool:
        return self.working_days is not None


@dataclass(frozen=True, slots=True)
class InformalRules:
    """The council's terms for informal resolution (IRO Handbook 6.1)."""

    working_days: int | None = None  # None: only the date the IRO agreed
    counted_from: CountedFrom = CountedFrom.RAISED  # or the review date
    on_timeout: TimeoutAction = TimeoutAction.ASK_IRO


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
    overall_cap_working_days: int | None = 20
    cap_counted_from: CountedFrom = CountedFrom.FORMAL_START
    day_one: DayOne = DayOne.NEXT_WORKING_DAY
    end_of_day: time = time(17, 0)
    timezone: str = "Europe/London"
    closure_days: frozenset[date] = frozenset()
    reminders: tuple[Reminder, ...] = ()
    cafcass: CafcassGuards = field(default_factory=CafcassGuards)
    description: str = ""
    posts: tuple[Post, ...] = ()
    informal: InformalRules = field(default_factory=InformalRules)
    high_risk_may_skip_informal: bool = False

    def post(self, key: str) -> Post:
        """A ladder post, or a built-in role seen as a post found up the social worker's line."""
        for post in self.posts:
            if post.key == key:
                return post
        return Post(key, Role(key).label)

    def post_name(self, key: str) -> str:
        try:
            return self.post(key).name
        except ValueError:
            return key

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

"""A believable, fictional council for trying the service: `iro-disputes demo`.

Modelled on Darlington's 2016-17 figures (DOMAIN.md section 5), scaled down: five
IROs, three case-holding teams with their managers and ten social workers, a duty
team manager who deputises, a service manager, a Head of Service, an Assistant
Director, an admin and an SMT reader, and about 120 children known by six-digit
case-management numbers. Every challenge is built through the real use cases
(`raise_challenge`, `take_action`) with a clock walking forward over the past four
months, so the event log is exactly what the service would have recorded.
Everything is drawn from one seeded random generator: same seed and same `now`,
same council.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from escalation_rules.calendar import WorkingCalendar
from escalation_rules.model import Ladder, LegalStatus, Role
from workflow.domain import Challenge
from workflow.errors import DomainError
from workflow.runtime import Runtime
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge, take_action
from workflow.states import Action, CafcassGround
from workflow.tables import ChallengeRecord, Child, Person, Team, Theme

LONDON = ZoneInfo("Europe/London")
COUNCIL = "Northmoor Borough Council (fictional)"
DOMAIN = "northmoor.example"  # reserved by RFC 2606: demo mail can never reach anyone
WINDOW_WORKING_DAYS = 80  # about four months


@dataclass(frozen=True)
class DemoSize:
    children: int
    extra_challenges: int


FULL = DemoSize(children=120, extra_challenges=40)
SMALL = DemoSize(children=24, extra_challenges=0)  # every scenario once: for tests


class DatabaseNotEmpty(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "The database already holds people or challenges: demo data goes "
            "only into an empty database"
        )


@dataclass(frozen=True)
class SignIn:
    role: str
    name: str
    email: str
    note: str = ""


@dataclass
class DemoReport:
    people: int
    teams: int
    children: int
    by_state: dict[str, int]
    sign_ins: list[SignIn]
    person_ids: list[int]
    cut_short: int = 0  # scenarios whose next step would have fallen after `now`

    @property
    def challenges(self) -> int:
        return sum(self.by_state.values())


def is_empty(session: Session) -> bool:
    """No people and no challenges: nothing a demo could clash with."""
    return (
        session.exec(select(Person.id).limit(1)).first() is None
        and session.exec(select(ChallengeRecord.id).limit(1)).first() is None
    )


def fill_demo(
    runtime: Runtime, seed: int = 2016, size: DemoSize = FULL, now: datetime | None = None
) -> DemoReport:
    """Fill an empty database with the demo council and its challenges."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    with Session(runtime.engine, expire_on_commit=False) as session:
        if not is_empty(session):
            raise DatabaseNotEmpty()
        council = _build_council(session, rng, size)
        themes = [
            t.key for t in session.exec(select(Theme).order_by(sa.text("position"))) if t.active
        ]
    walk = _Walk(runtime, council, rng, now, themes)
    walk.run(size)
    with Session(runtime.engine) as session:
        states = session.exec(
            select(ChallengeRecord.state, sa.func.count()).group_by(ChallengeRecord.state)
        ).all()
    return DemoReport(
        people=len(council.people),
        teams=council.teams,
        children=len(council.children),
        by_state={state: count for state, count in states},
        sign_ins=council.sign_ins,
        person_ids=[p.id for p in council.people.values() if p.id is not None],
        cut_short=walk.cut_short,
    )


# -- the council -------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_FIRST = _words(
    "Amara Ben Callum Delia Eshan Farah Gideon Hattie Idris Jolene Kofi Lena Marnie Niall "
    "Orla Priya Quinn Rosa Sami Tegan Umar Vera Wilf Yara Zane Alfie Bea Cody Dottie Ellis "
    "Freya Gus Hana Iggy Jude Kit Lottie Milo Nell Ollie Pip Remy Sienna Theo Wren"
)
_SURNAMES = _words(
    "Brackenfold Thistlewood Marrowby Quillfeather Hollowmere Fernsby Wrenfield Larkspur "
    "Copperbeech Mossgrove Oakhollow Pebbleworth Briarwood Kestrelton Nettlebank Sorrelby "
    "Alderhythe Bramblecote Cindermoor Dewberry Elmstead Foxglove Gorsedale Heathcliffe "
    "Ivybridge Juniperdale Kingcup Lindenhurst Meadowsweet Nightjar"
)
# (team, service area, how many social workers, the legal statuses its children have)
_TEAMS = (
    ("Children in Care Team", "Children Looked After", 4, (LegalStatus.LOOKED_AFTER,)),
    (
        "Safeguarding and Family Support Team",
        "Safeguarding",
        4,
        (LegalStatus.CHILD_PROTECTION, LegalStatus.CHILD_IN_NEED),
    ),
    ("Leaving Care Team", "Children Looked After", 2, (LegalStatus.CARE_LEAVER,)),
)
# Darlington: 219 looked after, 71 on child protection plans; plus some in need and leavers.
_STATUS_WEIGHTS = {
    LegalStatus.LOOKED_AFTER: 62,
    LegalStatus.CHILD_PROTECTION: 22,
    LegalStatus.CHILD_IN_NEED: 8,
    LegalStatus.CARE_LEAVER: 8,
}


@dataclass
class _Council:
    people: dict[str, Person] = field(default_factory=dict)  # by a short key
    children: list[Child] = field(default_factory=list)
    teams: int = 0
    sign_ins: list[SignIn] = field(default_factory=list)
    absent_key: str = "tm_2"

    def name(self, person_id: int | None) -> str:
        return next((p.name for p in self.people.values() if p.id == person_id), "the worker")


class _Names:
    def __init__(self, rng: random.Random) -> None:
        pairs = [(f, s) for f in _FIRST for s in _SURNAMES]
        rng.shuffle(pairs)
        self._pairs = iter(pairs)

    def next(self) -> tuple[str, str]:
        return next(self._pairs)


def _build_council(session: Session, rng: random.Random, size: DemoSize) -> _Council:
    c, names = _Council(), _Names(rng)

    def team(name: str, area: str) -> int:
        row = Team(name=name, service_area=area)
        session.add(row)
        session.flush()
        c.teams += 1
        assert row.id is not None
        return row.id

    def person(
        key: str, role: Role, team_id: int | None, manager: str | None = None, active: bool = True
    ) -> Person:
        first, last = names.next()
        row = Person(
            email=f"{first}.{last}@{DOMAIN}".lower(),
            name=f"{first} {last}",
            role=role.value,
            team_id=team_id,
            active=active,
            manager_id=c.people[manager].id if manager else None,
        )
        session.add(row)
        session.flush()
        c.people[key] = row
        return row

    management = team("Children's Services Management", "Children's Services")
    person("ad", Role.SENIOR_MANAGER, management)
    person("hos", Role.HEAD_OF_SERVICE, management, "ad")
    person("sm", Role.SERVICE_MANAGER, management, "hos")
    person("smt", Role.SMT_READER, management)
    person("admin", Role.ADMIN, team("Business Support", "Children's Services"))
    reviewing = team("Independent Reviewing Service", "Quality Assurance")
    for i in range(5):
        person(f"iro_{i}", Role.IRO, reviewing)
    c.people["iro_4"].fte = 0.6  # part time: caseloads are counted per full-time post
    duty = person(
        "duty_tm", Role.TEAM_MANAGER, team("Duty and Assessment Team", "Safeguarding"), "sm"
    )
    for t, (name, area, workers, _statuses) in enumerate(_TEAMS):
        team_id = team(name, area)
        person(f"tm_{t}", Role.TEAM_MANAGER, team_id, "sm").deputy_id = duty.id
        for w in range(workers):
            person(f"sw_{t}_{w}", Role.SOCIAL_WORKER, team_id, f"tm_{t}")
    person("former_sw", Role.SOCIAL_WORKER, c.people["tm_0"].team_id, "tm_0", active=False)
    _add_children(session, c, rng, names, size.children)
    session.commit()
    c.sign_ins = _sign_ins(c)
    return c


def _add_children(
    session: Session, c: _Council, rng: random.Random, names: _Names, count: int
) -> None:
    references = rng.sample(range(100_000, 999_999), count)
    statuses = rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()), k=count)
    statuses[0] = LegalStatus.LOOKED_AFTER  # the unallocated child below, and CAFCASS cases
    iros = [p for k, p in c.people.items() if k.startswith("iro_")]
    for i, (reference, status) in enumerate(zip(references, statuses, strict=True)):
        t = next(n for n, spec in enumerate(_TEAMS) if status in spec[3])
        workers = [p for k, p in c.people.items() if k.startswith(f"sw_{t}_")]
        first, last = names.next()
        child = Child(
            case_reference=str(reference),
            display_name=f"{first} {last}",
            legal_status=status.value,
            # One looked-after child waits for a social worker: a theme in itself.
            social_worker_id=None if i == 0 else rng.choice(workers).id,
            iro_id=iros[i % len(iros)].id,
            # Looked after for up to about five and a half years (derived, not drawn, so the
            # rest of the demo stays as it was).
            looked_after_from=date(2021, 1, 4) + timedelta(days=reference % 2000)
            if status is LegalStatus.LOOKED_AFTER
            else None,
        )
        session.add(child)
        c.children.append(child)
    session.flush()


def _sign_ins(c: _Council) -> list[SignIn]:
    chosen = (
        ("iro_0", "Raises and decides challenges"),
        ("sw_0_0", "Answers at the social worker stage"),
        ("tm_0", "Answers at the team manager stage"),
        ("duty_tm", "Deputy for every team manager"),
        ("tm_2", "Away: the duty team manager answers"),
        ("sm", ""),
        ("hos", "Answers at the Head of Service stage"),
        ("ad", "Assistant Director: the senior manager stage"),
        ("admin", "People, children, ladders and themes"),
        ("smt", "Reads reports"),
    )
    return [
        SignIn(Role(c.people[k].role).label, c.people[k].name, c.people[k].email, note)
        for k, note in chosen
    ]


# -- the challenges ------------------------------------------------------------

# A scenario: steps of (action, working days after the previous step), and when it ends:
# "recent" (last step 1-2 working days ago), "overdue" (7-9 ago: a 5-day stage ran out),
# or "any" (finished at some point in the window). "timeout" waits for the deadline.
_SCENARIOS: tuple[tuple[str, str], ...] = (
    ("recent", "informal"),
    ("any", "informal accept:4"),
    ("any", "informal accept:3 close:2"),
    ("any", "informal timeout"),
    ("recent", "informal escalate:6"),
    ("recent", "formal"),
    ("recent", "formal respond:3 reject:1"),
    ("recent", "formal@2"),
    ("recent", "formal escalate_top:2"),
    ("overdue", "formal"),
    ("overdue", "formal@1"),
    ("any", "formal timeout respond:2"),
    ("recent", "formal respond:3"),
    ("any", "formal@top timeout"),
    ("any", "formal@1 pause:2"),
    ("any", "formal pause:1 resume:5 respond:2 accept:1"),
    ("any", "formal extend:3 respond:6 accept:1"),
    ("any", "formal respond:2 accept:1 good_practice:0"),
    ("any", "formal respond:3 reject:1 respond:4 accept:1"),
    ("any", "informal escalate:5 respond:4 reject:1 respond:3 reject:1 respond:4 accept:2 close:5"),
    ("any", "formal withdraw:2"),
    ("any", "informal withdraw:3 close:1"),
    ("any", "formal@2 cafcass:0 respond:4"),
    ("any", "formal@top timeout cafcass:2"),
    ("any", "formal escalate_top:3 respond:3 accept:1 good_practice:0 close:4"),
    ("unallocated", "informal"),
)
# Most challenges settle at social worker or team manager level (Darlington's report).
_EXTRA: tuple[tuple[str, str], ...] = (
    *[("any", "informal accept:4")] * 3,
    *[("any", "informal accept:3 close:2")] * 3,
    *[("any", "formal respond:2 accept:1")] * 4,
    *[("any", "formal respond:2 accept:1 close:5")] * 4,
    *[("any", "formal respond:3 reject:1 respond:4 accept:1 close:3")] * 3,
    *[("any", "formal respond:3 reject:1 respond:4 accept:1")] * 2,
    *[("any", "formal respond:2 accept:1 good_practice:0")] * 2,
    *[("recent", "formal respond:2")] * 2,
    *[("recent", "informal")] * 2,
    ("any", "formal@top timeout"),
    ("any", "informal timeout"),
    ("any", "formal withdraw:2 close:1"),
    ("any", "formal@2 cafcass:0 respond:4 accept:2"),
    ("any", "formal@1 pause:2"),
)

_TEXTS = {
    "health_assessments": (
        "The review decided on a review health assessment within 20 days; none has been booked.",
        "Asthma and dental needs are not monitored.",
        "Health assessment booked and completed.",
    ),
    "personal_education_plans": (
        "The PEP is out of date and the school was not invited.",
        "Support for Year 9 options is not in place.",
        "PEP meeting held with the school this half term.",
    ),
    "permanence_planning": (
        "No permanence plan at the second review.",
        "Drift: the child does not know where they will grow up.",
        "Permanence planning meeting held and the plan recorded.",
    ),
    "drift_and_delay": (
        "Actions from the last two reviews are outstanding.",
        "Contact and therapy have been delayed for months.",
        "Outstanding actions completed with dates.",
    ),
    "contact_and_family": (
        "Sibling contact agreed at review has not started.",
        "The child is distressed about not seeing their brother.",
        "Monthly sibling contact arranged.",
    ),
    "life_story_work": (
        "Life story work agreed a year ago has not begun.",
        "The child has little sense of their history.",
        "Life story worker allocated and sessions dated.",
    ),
    "placement": (
        "The placement plan is unsigned and the placement is out of area.",
        "Unsettled at school and far from friends.",
        "Signed placement plan and a stability meeting.",
    ),
    "pathway_planning": (
        "No pathway plan six weeks after the 16th birthday.",
        "Housing and education options are not being explored.",
        "Pathway plan completed with the young person.",
    ),
    "review_decisions_not_actioned": (
        "The review's decision on a therapy referral was not actioned.",
        "Emotional needs unmet.",
        "Referral made and confirmed in writing.",
    ),
    "participation_and_advocacy": (
        "The child was not offered an advocate before the review.",
        "Their wishes and feelings were not heard.",
        "Advocate offered and a visit before the next review.",
    ),
    "social_worker_allocation": (
        "The child has had no allocated social worker for five weeks.",
        "No statutory visits; the plan is not progressing.",
        "A social worker allocated and a visit within a week.",
    ),
}


class _Walk:
    """Runs every scenario's steps in time order, one use case per step."""

    def __init__(
        self,
        runtime: Runtime,
        council: _Council,
        rng: random.Random,
        now: datetime,
        themes: list[str],
    ) -> None:
        self.rt, self.c, self.rng, self.now = runtime, council, rng, now
        self.ladder: Ladder = runtime.ladders.current
        self.calendar = WorkingCalendar(self.ladder.closure_days, self.ladder.timezone)
        self.themes = [k for k in _TEXTS if k in themes and k != "social_worker_allocation"]
        self.fallback_theme = themes[0] if themes else "other"
        self.today = now.astimezone(LONDON).date()
        self.cut_short = 0

    def run(self, size: DemoSize) -> None:
        scenarios = list(_SCENARIOS) + [
            self.rng.choice(_EXTRA) for _ in range(size.extra_challenges)
        ]
        queue: list[tuple[datetime, int, _Run]] = []
        for n, (ends, script) in enumerate(scenarios):
            run = _Run(script.split(), self._child(ends, "cafcass" in script))
            queue.append((self._start(run.steps, ends), n, run))
        # Half way through, the Leaving Care team manager goes on leave: the duty team
        # manager, their deputy, answers from then on.
        absence: datetime | None = self.now - timedelta(days=60)
        heapq.heapify(queue)
        while queue:
            at, n, run = heapq.heappop(queue)
            if absence is not None and at >= absence:
                self._mark_absent()
                absence = None
            following = self._step(run, at)
            if following is None:
                continue
            if following <= self.now:
                heapq.heappush(queue, (following, n, run))
            else:  # its next step would be in the future: it stays where it is
                self.cut_short += 1
        if absence is not None:
            self._mark_absent()

    # -- timing

    def _start(self, steps: list[str], ends: str) -> datetime:
        planned = sum(self._wait(s) for s in steps)
        after = {"recent": (1, 2), "overdue": (7, 9), "unallocated": (2, 4)}.get(ends)
        if after is None:
            after = (1, max(1, WINDOW_WORKING_DAYS - planned))
        back = planned + self.rng.randint(*after)
        return self._office_hours(self.calendar.subtract_working_days(self.today, back))

    @staticmethod
    def _wait(step: str) -> int:
        if step.startswith(("timeout", "informal")):
            return 12 if step.startswith("timeout") else 0
        return int(step.split(":")[1]) if ":" in step else 0

    def _office_hours(self, day: date) -> datetime:
        minutes = self.rng.randint(9 * 60, 16 * 60 + 30)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), LONDON)
        return local.astimezone(UTC)

    def _next_time(self, run: _Run, at: datetime) -> datetime | None:
        if run.index >= len(run.steps):
            return None
        step = run.steps[run.index]
        if step == "timeout":
            assert run.challenge is not None and run.challenge.due_at is not None
            return run.challenge.due_at + timedelta(minutes=self.rng.randint(2, 40))
        day = self.calendar.add_working_days(at.astimezone(LONDON).date(), self._wait(step))
        following = self._office_hours(day)
        return max(following, at + timedelta(minutes=self.rng.randint(20, 90)))

    # -- doing

    def _step(self, run: _Run, at: datetime) -> datetime | None:
        op, _, _wait = run.steps[run.index].partition(":")
        name, _, where = op.partition("@")
        if name == "reject" and run.at_top(self.ladder):
            # A short ladder has nowhere higher to go: the IRO accepts what they have.
            name, run.steps = "accept", run.steps[: run.index + 1]
        if name in ("informal", "formal"):
            with self.rt.uow() as uow:
                run.challenge = raise_challenge(
                    uow, self._new(run, at, name == "formal", where), run.child_iro, at
                )
        else:
            action, actor, params = self._action(name, run, at)
            if action is not None:
                with self.rt.uow() as uow:
                    assert run.challenge is not None
                    run.challenge = take_action(
                        uow, run.challenge.reference, action, actor, params, at
                    )
        run.index += 1
        return self._next_time(run, at)

    def _action(
        self, name: str, run: _Run, at: datetime
    ) -> tuple[Action | None, int | None, dict[str, Any]]:
        ch, rng, today = run.challenge, self.rng, at.astimezone(LONDON).date()
        assert ch is not None
        iro = run.child_iro
        top = self.ladder.stages[-1].key
        match name:
            case "respond":
                target = self.calendar.add_working_days(today, rng.randint(3, 10))
                return (
                    Action.RESPOND,
                    ch.responder_id,
                    {
                        "response": rng.choice(_RESPONSES),
                        "actions": rng.choice(_ACTIONS),
                        "target_date": target.isoformat(),
                    },
                )
            case "accept":
                return (
                    Action.ACCEPT,
                    iro,
                    {
                        "outcome_kind": rng.choice(_OUTCOME_KINDS),
                        "outcome": rng.choice(_OUTCOMES),
                        "impact": rng.choice(_IMPACTS),
                    },
                )
            case "reject" | "escalate" | "escalate_top":
                if run.at_top(self.ladder):
                    return None, None, {}
                action = Action.REJECT if name == "reject" else Action.ESCALATE
                stage = {"stage": top} if name == "escalate_top" else {}
                return action, iro, {**stage, "reason": rng.choice(_REASONS)}
            case "timeout":
                return Action.TIME_OUT, None, {}
            case "extend":
                return (
                    Action.EXTEND,
                    iro,
                    {
                        "working_days": 5,
                        "reason": "The responder is arranging a meeting with the carers.",
                    },
                )
            case "pause":
                return Action.PAUSE, iro, {"reason": "Awaiting the outcome of care proceedings."}
            case "resume":
                return Action.RESUME, iro, {"reason": "The court has given directions."}
            case "withdraw":
                return Action.WITHDRAW, iro, {"reason": "Resolved by the review held this week."}
            case "close":
                return Action.CLOSE, iro, {"note": "Outcome checked at the next review."}
            case "cafcass":
                return (
                    Action.REFER_CAFCASS,
                    iro,
                    {
                        "ground": rng.choice(list(CafcassGround)).value,
                        "referred_on": today.isoformat(),
                        "raised_with": f"{self.c.people['hos'].name} (Head of Service)",
                        "note": "Referred to CAFCASS alongside the internal process.",
                    },
                )
            case "good_practice":
                return (
                    Action.RECORD_GOOD_PRACTICE,
                    iro,
                    {
                        "note": "Quick, child-centred response; the plan is back on track.",
                        "recognised_person_id": run.child.social_worker_id,
                    },
                )
        raise ValueError(f"unknown demo step {name!r}")

    def _new(self, run: _Run, at: datetime, formal: bool, where: str) -> NewChallenge:
        today = at.astimezone(LONDON).date()
        theme = (
            "social_worker_allocation"
            if run.child.social_worker_id is None
            else (self.rng.choice(self.themes) if self.themes else self.fallback_theme)
        )
        what, impact, wanted = _TEXTS.get(theme, _TEXTS["drift_and_delay"])
        worker = (
            self.c.name(run.child.social_worker_id)
            if run.child.social_worker_id
            else (self.c.people["tm_0"].name)
        )
        informal = InformalDiscussion(
            discussed_with=worker,
            discussed_on=today - timedelta(days=self.rng.randint(0, 6)),
            agreed_actions=wanted,
            agreed_by=self.calendar.add_working_days(today, self.rng.choice((5, 5, 10))),
        )
        return NewChallenge(
            child_reference=run.child.case_reference,
            theme_key=theme,
            what_is_wrong=what,
            impact_on_child=impact,
            outcome_wanted=wanted,
            review_date=today - timedelta(days=self.rng.randint(7, 60)),
            formal=formal,
            stage=self._stage(where) if formal else None,
            informal=informal,
        )

    def _stage(self, where: str) -> str:
        stages = self.ladder.stages
        index = len(stages) - 1 if where == "top" else int(where or 0)
        stage = stages[min(index, len(stages) - 1)]
        return stage.key if stage.may_start_here else self.ladder.starting_stages[0].key

    def _child(self, ends: str, cafcass: bool) -> Child:
        if ends == "unallocated":
            return self.c.children[0]
        allocated = [ch for ch in self.c.children if ch.social_worker_id is not None]
        # CAFCASS guards differ by ladder; looked-after children pass every one of them.
        looked_after = [ch for ch in allocated if ch.legal_status == LegalStatus.LOOKED_AFTER]
        return self.rng.choice(looked_after if cafcass and looked_after else allocated)

    def _mark_absent(self) -> None:
        with Session(self.rt.engine) as session:
            person = session.get(Person, self.c.people[self.c.absent_key].id)
            assert person is not None
            person.absent = True
            session.commit()


@dataclass
class _Run:
    steps: list[str]
    child: Child
    index: int = 0
    challenge: Challenge | None = None

    def at_top(self, ladder: Ladder) -> bool:
        return self.challenge is not None and self.challenge.stage_key == ladder.stages[-1].key

    @property
    def child_iro(self) -> int:
        assert self.child.iro_id is not None
        return self.child.iro_id


_RESPONSES = (
    "Agreed. I have spoken to the carers and the school.",
    "Accepted: this was missed when the case transferred.",
    "The delay was caused by a vacancy; the team has capacity now.",
    "I have discussed this in supervision and agreed a plan.",
)
_ACTIONS = (
    "Appointment booked; I will confirm to the IRO in writing.",
    "Meeting arranged with the family and the school.",
    "Referral sent today; manager to check progress weekly.",
    "Plan updated and shared with the child and carers.",
)
_OUTCOMES = (
    "Actions completed and evidenced on the child's record.",
    "Plan updated; the next review will check progress.",
    "Resolved after the team manager's intervention.",
)
# Keys of the seeded list (workflow.outcome_kinds), mostly real change, sometimes none.
_OUTCOME_KINDS = ("plan_updated", "plan_updated", "decision_made", "service_provided",
                  "contact_arranged", "no_change")  # fmt: skip
_IMPACTS = (
    "The child's health needs are now monitored.",
    "The child knows the plan and has seen their sibling.",
    "School support is in place for the new term.",
)
_REASONS = (
    "The response does not set a date for the actions.",
    "No progress since the last stage; a more senior decision is needed.",
)

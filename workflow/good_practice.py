"""Good practice recognised without a challenge: an IRO records, for a child, a worker or a
team, the date and what was done well. One transaction. A record about a child shows on the
child's footprint; every record counts in the SMT report's good-practice figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from escalation_rules.model import Role
from workflow.activity_tables import GoodPractice
from workflow.child_access import london_today, may_act_for_child
from workflow.errors import NotFound, NotPermitted, RuleViolation
from workflow.tables import Child, Person, Team
from workflow.unit_of_work import UnitOfWork

ACTION = "record_good_practice"
MAX_WHAT = 10_000


class GoodPracticeRefused(RuleViolation):
    """The good practice cannot be recorded as given; `field` names the input at fault."""

    def __init__(self, problem: str, field: str) -> None:
        super().__init__("good practice", ACTION, problem, field)
        self.args = (f"Cannot record good practice: {problem}",)

    def __str__(self) -> str:
        return str(self.args[0])


class GoodPracticeNotPermitted(NotPermitted):
    def __init__(self, person: str, why: str) -> None:
        super().__init__(person, ACTION, "good practice")
        self.args = (f"{person} may not record good practice: {why}",)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class NewGoodPractice:
    """About exactly one of: a child (case reference), a worker (person id), a team (id)."""

    occurred_on: date
    what: str
    child_reference: str | None = None
    person_id: int | None = None
    team_id: int | None = None


def record_good_practice(
    uow: UnitOfWork, new: NewGoodPractice, actor_id: int, now: datetime
) -> GoodPractice:
    """Record good practice; only an active IRO may, and about a child only the child's IRO
    (or an IRO covering for them)."""
    session = uow.session
    actor = session.get(Person, actor_id)
    if actor is None:
        raise NotFound("person", actor_id)
    if actor.role != Role.IRO.value or not actor.active:
        raise GoodPracticeNotPermitted(actor.name, "only an IRO may")
    row = GoodPractice(recorded_by_id=actor_id, occurred_on=new.occurred_on,
                       what=_what(new.what), recorded_at=now)  # fmt: skip
    _subject(session, new, actor, now, row)
    today = london_today(now)
    if new.occurred_on > today:
        raise GoodPracticeRefused(
            f"the date must be today or in the past (today is {today:%-d %B %Y})", "occurred_on"
        )
    session.add(row)
    uow.commit()
    return row


def _what(text: str) -> str:
    what = (text or "").strip()
    if not what:
        raise GoodPracticeRefused("enter what was done well", "what")
    if len(what) > MAX_WHAT:
        raise GoodPracticeRefused(f"what was done well must be {MAX_WHAT} characters or fewer",
                                  "what")  # fmt: skip
    return what


def _subject(session: Session, new: NewGoodPractice, actor: Person, now: datetime,
             row: GoodPractice) -> None:  # fmt: skip
    given = [x for x in (new.child_reference, new.person_id, new.team_id) if x not in (None, "")]
    if len(given) != 1:
        raise GoodPracticeRefused("choose one child, one worker or one team it is about", "about")
    if new.child_reference:
        child = session.exec(
            select(Child).where(Child.case_reference == new.child_reference)
        ).first()
        if child is None:
            raise GoodPracticeRefused(
                f"there is no child '{new.child_reference}'", "child_reference"
            )
        assert child.id is not None and actor.id is not None
        if not may_act_for_child(session, actor.id, child.id, london_today(now)):
            raise GoodPracticeNotPermitted(
                actor.name, f"you are not the IRO for {child.case_reference}, nor covering for them"
            )
        row.child_id = child.id
    elif new.person_id is not None:
        worker = session.get(Person, new.person_id)
        if worker is None or not worker.active:
            raise GoodPracticeRefused("choose a worker from the list", "person_id")
        row.person_id = worker.id
    else:
        if new.team_id is None or session.get(Team, new.team_id) is None:
            raise GoodPracticeRefused("choose a team from the list", "team_id")
        row.team_id = new.team_id

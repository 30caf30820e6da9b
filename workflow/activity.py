"""The use case that records an IRO's activity between reviews. One transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from escalation_rules.model import Role
from workflow.activity_tables import ActivityKind, IroActivity
from workflow.errors import NotFound, NotPermitted, RuleViolation
from workflow.tables import Child, Person
from workflow.unit_of_work import UnitOfWork

_LONDON = ZoneInfo("Europe/London")
ACTION = "record_activity"


class ActivityRefused(RuleViolation):
    """The activity cannot be recorded as given; `field` names the input at fault."""

    def __init__(self, child_reference: str, problem: str, field: str | None = None) -> None:
        super().__init__(child_reference, ACTION, problem, field)
        self.args = (f"Child {child_reference}: cannot record activity: {problem}",)

    def __str__(self) -> str:
        return str(self.args[0])


class ActivityNotPermitted(NotPermitted):
    def __init__(self, person: str, child_reference: str, iro: str) -> None:
        super().__init__(person, ACTION, child_reference)
        self.args = (
            f"{person} may not record activity for child {child_reference}: only the child's "
            f"IRO ({iro}) may",
        )

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class NewActivity:
    child_reference: str
    kind: ActivityKind | str
    occurred_on: date
    note: str


def record_activity(uow: UnitOfWork, new: NewActivity, actor_id: int, now: datetime) -> IroActivity:
    """Record one activity on the child's footprint; only the child's IRO may."""
    child = _child(uow, new.child_reference)
    actor = uow.session.get(Person, actor_id)
    if actor is None:
        raise NotFound("person", actor_id)
    if actor.role != Role.IRO or child.iro_id != actor_id:
        iro = uow.session.get(Person, child.iro_id) if child.iro_id else None
        raise ActivityNotPermitted(actor.name, child.case_reference, iro.name if iro else "none")
    kind = _kind(child.case_reference, new.kind)
    today = now.astimezone(_LONDON).date()
    if new.occurred_on > today:
        raise ActivityRefused(
            child.case_reference,
            f"the date must be today or in the past (today is {today.isoformat()}, "
            f"not {new.occurred_on.isoformat()})",
            "occurred_on",
        )
    note = (new.note or "").strip()
    if not note:
        raise ActivityRefused(child.case_reference, "enter a note of what happened", "note")
    assert child.id is not None
    row = IroActivity(
        child_id=child.id,
        iro_id=actor_id,
        occurred_on=new.occurred_on,
        kind=kind.value,
        note=note,
        recorded_at=now,
    )
    uow.session.add(row)
    uow.commit()
    return row


def _child(uow: UnitOfWork, case_reference: str) -> Child:
    child = uow.session.exec(select(Child).where(Child.case_reference == case_reference)).first()
    if child is None:
        raise NotFound("child", case_reference)
    return child


def _kind(child_reference: str, value: ActivityKind | str) -> ActivityKind:
    try:
        return ActivityKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in ActivityKind)
        raise ActivityRefused(
            child_reference,
            f"there is no kind of activity '{value}' (choose one of: {kinds})",
            "kind",
        ) from None

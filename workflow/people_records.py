"""An admin adds and edits people and a child's allocation, one field at a time in pages.

Each change is checked against the same rules the CSV import applies (a real email, unique;
no one managing or deputising for themself; no management cycle; an active deputy; a social
worker and IRO who hold those roles and are active) and written with its change history in
the caller's transaction. The caller commits; a refusal raises `BadRecord` and writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from escalation_rules.model import LegalStatus, Role
from workflow.change_history import record_changes
from workflow.errors import NotFound, RuleViolation
from workflow.record_history import (
    keep_child_iro,
    keep_person_facts,
    note_child_iro,
    note_person_facts,
)
from workflow.tables import Child, Person, PersonPost, Team

# A post the ladder names (head_of_qa, iro_manager): the same key the CSV import accepts.
POST_KEY = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s,;<>()\"']+@[^@\s,;<>()\"'.]+(\.[^@\s,;<>()\"'.]+)+$")
MAX_NAME = 200
LONDON = ZoneInfo("Europe/London")


class BadRecord(RuleViolation):
    """The change would leave a person or child record wrong; `field` names the input."""

    def __init__(self, record: str, problem: str, field: str) -> None:
        self.reference, self.action, self.problem, self.field = record, "save", problem, field
        Exception.__init__(self, problem[0].upper() + problem[1:])


@dataclass(frozen=True)
class PersonDetails:
    name: str
    email: str
    role: str
    team_id: int | None = None
    manager_id: int | None = None
    deputy_id: int | None = None
    absent: bool = False
    posts: tuple[str, ...] = ()
    fte: float = 1.0  # the share of a full-time post they work (0.6: three days a week)


@dataclass(frozen=True)
class Allocation:
    legal_status: str
    social_worker_id: int | None
    iro_id: int | None
    team_id: int | None = None
    looked_after_from: date | None = None
    looked_after_until: date | None = None  # the day they stopped being looked after


def fte_problem(fte: float) -> str | None:
    """The working-time rule, shared with the import: more than 0, at most 1 (full time)."""
    if not 0 < fte <= 1:
        return "the working time must be more than 0 and at most 1 (full time), like 0.6"
    return None


def looked_after_problem(
    start: date | None, end: date | None, today: date
) -> tuple[str, str] | None:
    """(problem, field) when the looked-after dates cannot be right; shared with the import."""
    if start is not None and start > today:
        return "the date they became looked after must be today or in the past", "looked_after_from"
    if end is not None and start is None:
        return (
            "enter the date they became looked after as well as when it ended",
            "looked_after_from",
        )
    if end is not None and start is not None and end <= start:
        return (
            "the date it ended must be after the date they became looked after",
            "looked_after_until",
        )
    if end is not None and end > today:
        return "the date it ended must be today or in the past", "looked_after_until"
    return None


def fte_from(text: str) -> float:
    """Working time as people write it: 0.6, 60% or 3/5; empty is full time. Anything else
    is not a number (NaN), which `fte_problem` refuses."""
    value = text.strip().replace(" ", "")
    if not value:
        return 1.0
    try:
        if value.endswith("%"):
            return round(float(value[:-1]) / 100, 3)
        if "/" in value:
            top, bottom = value.split("/", 1)
            return round(float(top) / float(bottom), 3)
        return round(float(value), 3)
    except (ValueError, ZeroDivisionError):
        return float("nan")


def fte_shown(fte: float) -> str:
    return "Full time" if fte >= 1 else f"{fte:g} of full time"


def day_shown(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _name_of(session: Session, model: type[Person] | type[Team], row_id: int | None) -> str:
    if row_id is None:
        return ""
    row = session.get(Person, row_id) if model is Person else session.get(Team, row_id)
    return row.name if row is not None else ""


def person_shown(session: Session, person: Person) -> dict[str, str]:
    """The person's fields as the history keeps them: in words, not ids."""
    return {
        "Name": person.name,
        "Email": person.email,
        "Role": {r.value: r.label for r in Role}.get(person.role, person.role),
        "Team": _name_of(session, Team, person.team_id),
        "Line manager": _name_of(session, Person, person.manager_id),
        "Deputy": _name_of(session, Person, person.deputy_id),
        "Posts": "; ".join(_posts_of(session, person.id)),
        "Away": _yes_no(person.absent),
        "Active": _yes_no(person.active),
        "Working time": fte_shown(person.fte),
    }


def child_shown(session: Session, child: Child) -> dict[str, str]:
    statuses = {s.value: s.label for s in LegalStatus}
    return {
        "Legal status": statuses.get(child.legal_status, child.legal_status),
        "Social worker": _name_of(session, Person, child.social_worker_id),
        "IRO": _name_of(session, Person, child.iro_id),
        "Team": _name_of(session, Team, child.team_id),
        "Looked after from": day_shown(child.looked_after_from),
        "Looked after until": day_shown(child.looked_after_until),
    }


def posts_from(values: Iterable[str]) -> tuple[str, ...]:
    """Posts as people type them (`Head_of_QA `, twice): trimmed, lower case, once each."""
    return tuple(sorted({v.strip().lower() for v in values if v.strip()}))


def posts_held(session: Session, person_id: int) -> list[str]:
    """The posts a person holds, by key (sorted)."""
    return _posts_of(session, person_id)


def set_posts(
    session: Session, person_id: int, posts: Iterable[str], by_id: int, at: datetime
) -> Person:
    """Replace the posts a person holds, with the rules and change history of `save_person`."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    details = PersonDetails(
        name=person.name, email=person.email, role=person.role, team_id=person.team_id,
        manager_id=person.manager_id, deputy_id=person.deputy_id, absent=person.absent,
        posts=posts_from(posts), fte=person.fte,
    )  # fmt: skip
    return save_person(session, person_id, details, by_id, at)


def set_working_time(session: Session, person_id: int, fte: float, by_id: int,
                     at: datetime) -> Person:  # fmt: skip
    """Set the share of a full-time post a person works, with the rules and change history
    of `save_person`."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    details = PersonDetails(
        name=person.name, email=person.email, role=person.role, team_id=person.team_id,
        manager_id=person.manager_id, deputy_id=person.deputy_id, absent=person.absent,
        posts=tuple(_posts_of(session, person_id)), fte=fte,
    )  # fmt: skip
    return save_person(session, person_id, details, by_id, at)


def _posts_of(session: Session, person_id: int | None) -> list[str]:
    if person_id is None:
        return []
    query = select(PersonPost.post).where(PersonPost.person_id == person_id)
    return sorted(session.exec(query).all())


def _replace_posts(session: Session, person_id: int, posts: tuple[str, ...]) -> None:
    for row in session.exec(select(PersonPost).where(PersonPost.person_id == person_id)).all():
        if row.post not in posts:
            session.delete(row)
    held = set(_posts_of(session, person_id))
    session.add_all([PersonPost(person_id=person_id, post=p) for p in posts if p not in held])
    session.flush()


def _check_person(session: Session, person_id: int | None, d: PersonDetails) -> None:
    who = "the person"
    if not d.name:
        raise BadRecord(who, "enter the person's full name", "name")
    if len(d.name) > MAX_NAME:
        raise BadRecord(who, f"the name must be {MAX_NAME} characters or fewer", "name")
    if not _EMAIL.match(d.email) or len(d.email) > 320:
        raise BadRecord(who, "enter an email address in the correct format, like name@council.gov.uk", "email")  # fmt: skip
    taken = session.exec(select(Person.id).where(func.lower(Person.email) == d.email)).first()
    if taken is not None and taken != person_id:
        raise BadRecord(who, f"someone else already has the email {d.email}", "email")
    if d.role not in {r.value for r in Role}:
        raise BadRecord(who, "select the person's role", "role")
    if problem := fte_problem(d.fte):
        raise BadRecord(who, problem, "fte")
    if d.team_id is not None and session.get(Team, d.team_id) is None:
        raise BadRecord(who, "select a team from the list", "team_id")
    for post in d.posts:
        if not POST_KEY.match(post) or len(post) > 60 or post in {r.value for r in Role}:
            raise BadRecord(who, f"'{post}' is not a post key, such as head_of_qa", "posts")
    _check_manager(session, person_id, d.manager_id)
    _check_deputy(session, person_id, d.deputy_id)


def _check_manager(session: Session, person_id: int | None, manager_id: int | None) -> None:
    if manager_id is None:
        return
    if manager_id == person_id:
        raise BadRecord("the person", "a person cannot be their own line manager", "manager_id")
    manager, seen = session.get(Person, manager_id), {manager_id}
    if manager is None:
        raise BadRecord("the person", "select a line manager from the list", "manager_id")
    while manager is not None and manager.manager_id is not None:
        if manager.manager_id == person_id:
            raise BadRecord("the person", f"{manager.name} is managed (directly or through others) by this person: choose someone above them", "manager_id")  # fmt: skip
        if manager.manager_id in seen:
            return  # an older loop above, not through this person: the import reports those
        seen.add(manager.manager_id)
        manager = session.get(Person, manager.manager_id)


def _check_deputy(session: Session, person_id: int | None, deputy_id: int | None) -> None:
    if deputy_id is None:
        return
    if deputy_id == person_id:
        raise BadRecord("the person", "a person cannot be their own deputy", "deputy_id")
    deputy = session.get(Person, deputy_id)
    if deputy is None:
        raise BadRecord("the person", "select a deputy from the list", "deputy_id")
    if not deputy.active:
        raise BadRecord("the person", f"{deputy.name} is deactivated: choose an active deputy", "deputy_id")  # fmt: skip


def save_person(
    session: Session, person_id: int | None, details: PersonDetails, by_id: int, at: datetime
) -> Person:
    """Add a person (`person_id` None) or change one, recording each changed field."""
    details = PersonDetails(**{**details.__dict__, "name": details.name.strip(),
                               "email": details.email.strip().lower()})  # fmt: skip
    _check_person(session, person_id, details)
    person = Person(email=details.email, name=details.name, role=details.role)
    if person_id is not None:
        found = session.get(Person, person_id)
        if found is None:
            raise NotFound("person", person_id)
        person = found
    before = person_shown(session, person) if person_id is not None else {}
    keep_person_facts(session, person)
    for name, value in details.__dict__.items():
        if name != "posts":
            setattr(person, name, value)
    session.add(person)
    session.flush()
    assert person.id is not None
    _replace_posts(session, person.id, details.posts)
    record_changes(session, "person", person.id, before, person_shown(session, person), by_id, at)
    note_person_facts(session, person, at)
    return person


def set_active(
    session: Session, person_id: int, active: bool, by_id: int | None, at: datetime
) -> Person:
    """Deactivate a leaver or reactivate them; refused while an active person relies on
    them as deputy (they would silently stop answering for them)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("person", person_id)
    if not active:
        relying = session.exec(
            select(Person.name).where(Person.deputy_id == person_id, col(Person.active))
        ).all()
        if relying:
            raise BadRecord("the person", f"{person.name} is the deputy for {', '.join(sorted(relying))}: give them another deputy first", "active")  # fmt: skip
    before = person_shown(session, person)
    keep_person_facts(session, person)
    person.active = active
    session.add(person)
    record_changes(session, "person", person_id, before, person_shown(session, person), by_id, at)
    note_person_facts(session, person, at)
    return person


def _check_holder(
    session: Session, person_id: int | None, role: Role, field: str, noun: str
) -> None:
    if person_id is None:
        return
    person = session.get(Person, person_id)
    if person is None or person.role != role.value:
        raise BadRecord("the child", f"choose {noun} from the list", field)
    if not person.active:
        raise BadRecord("the child", f"{person.name} is deactivated: choose someone active", field)


def allocate_child(
    session: Session, child_id: int, allocation: Allocation, by_id: int, at: datetime
) -> Child:
    """Change a child's legal status, social worker and IRO, recording each changed field."""
    child = session.get(Child, child_id)
    if child is None:
        raise NotFound("child", child_id)
    if allocation.legal_status not in {s.value for s in LegalStatus}:
        raise BadRecord("the child", "select the child's legal status", "legal_status")
    _check_holder(
        session,
        allocation.social_worker_id,
        Role.SOCIAL_WORKER,
        "social_worker_id",
        "a social worker",
    )
    _check_holder(session, allocation.iro_id, Role.IRO, "iro_id", "an IRO")
    if allocation.team_id is not None and session.get(Team, allocation.team_id) is None:
        raise BadRecord("the child", "choose a team from the list", "team_id")
    today = at.astimezone(LONDON).date()
    if wrong := looked_after_problem(allocation.looked_after_from, allocation.looked_after_until,
                                     today):  # fmt: skip
        raise BadRecord("the child", *wrong)
    before = child_shown(session, child)
    keep_child_iro(session, child)
    for name, value in allocation.__dict__.items():
        setattr(child, name, value)
    session.add(child)
    record_changes(session, "child", child_id, before, child_shown(session, child), by_id, at)
    note_child_iro(session, child, at)
    return child

"""What several page and API routes share: finding a challenge the person may see,
recording that they saw it, and the actions they may take on it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from api.auth import reader_engine, record_access
from escalation_rules.model import Ladder, Role
from workflow import queries
from workflow.domain import Challenge
from workflow.errors import NotFound
from workflow.page_queries import challenge_seen_by
from workflow.read_scope import current_scope
from workflow.routing import may_raise_on, reach_condition
from workflow.runtime import Runtime
from workflow.services import allowed_actions, lifecycle
from workflow.states import Action
from workflow.tables import Person
from workflow.unit_of_work import UnitOfWork


def viewable(session: Session, person: Person, reference: str) -> queries.ChallengeRow:
    """The challenge, if this person may see it. Hidden ones are 'not found', not
    'forbidden', so nobody learns which references exist."""
    return viewable_with_record(session, person, reference)[0]


def viewable_with_record(
    session: Session, person: Person, reference: str
) -> tuple[queries.ChallengeRow, Challenge | None]:
    """`viewable`, with the domain challenge when the same read gave it (seen by role)."""
    assert person.id is not None
    seen = challenge_seen_by(session, person.id, Role(person.role), reference)
    if seen is not None:
        return seen
    if not queries.may_view(session, person.id, Role(person.role), reference):
        raise NotFound("challenge", reference)
    row = queries.challenge_row(session, reference)
    if row is None:
        raise NotFound("challenge", reference)
    return row, None


def visibility(session: Session, person: Person) -> sa.ColumnElement[bool]:
    """The lists' condition: what the person sees by role, and what their posts reach
    (copied on a stage, or may raise above it). What they can do on each row a list shows
    is `reach(..., among=those rows)`: a list never works it out for challenges it does not show."""
    assert person.id is not None
    role = Role(person.role)
    seen = queries.visible_to(person.id, role)
    if role in queries.SEE_ALL_ROLES or role is Role.SMT_READER:
        return seen
    through_posts = reach_condition(session, person.id)
    return seen if through_posts is None else sa.or_(seen, through_posts)


def view_and_record(
    runtime: Runtime, session: Session, person: Person, reference: str, via: str
) -> queries.ChallengeRow:
    return view_and_record_with_record(runtime, session, person, reference, via)[0]


def view_and_record_with_record(
    runtime: Runtime, session: Session, person: Person, reference: str, via: str
) -> tuple[queries.ChallengeRow, Challenge | None]:
    row, challenge = viewable_with_record(session, person, reference)
    assert person.id is not None
    record_access(runtime.engine, person.id, via, row.id, row.child_id, f"challenge {reference}")
    return row, challenge


@dataclass(frozen=True)
class Offered:
    """The actions the machine allows now, split by who may take them."""

    iro: list[Action]
    responder: list[Action]

    def for_person(
        self,
        person: Person,
        row: queries.ChallengeRow,
        runtime: Runtime,
        session: Session | None = None,
    ) -> list[Action]:
        if person.id in (row.raised_by_id, row.child_iro_id):
            return self.iro
        if row.responder_id is not None and _may_answer(runtime, person, row.responder_id,
                                                        session):  # fmt: skip
            return self.responder
        if Action.ESCALATE in self.iro and _may_raise(runtime, person, row.reference, session):
            return [Action.ESCALATE]  # a post the ladder lets raise a higher stage
        return []


def reading_uow(runtime: Runtime, session: Session | None = None) -> UnitOfWork:
    """A unit of work that only reads (no write lock on SQLite); it never commits.
    It reads through `session`, or the request's shared reads: one connection a request."""
    scope = current_scope()
    if session is None and scope is not None and scope.engine is runtime.engine:
        session = scope.session()
    return UnitOfWork(reader_engine(runtime.engine), runtime.ladders, runtime.listeners, session)


def _may_answer(
    runtime: Runtime, person: Person, responder_id: int, session: Session | None = None
) -> bool:
    assert person.id is not None
    with reading_uow(runtime, session) as uow:
        return uow.directory.may_answer_for(person.id, responder_id)


def _may_raise(
    runtime: Runtime, person: Person, reference: str, session: Session | None = None
) -> bool:
    assert person.id is not None
    with reading_uow(runtime, session) as uow:
        return may_raise_on(uow.session, person.id, reference)


def offered_actions(runtime: Runtime, reference: str, session: Session | None = None) -> Offered:
    """Exactly `workflow.services.allowed_actions`, split into the IRO's and the responder's."""
    with reading_uow(runtime, session) as uow:
        return _offered(uow, uow.challenges.get(reference))


def _offered(uow: UnitOfWork, challenge: Challenge) -> Offered:
    actions = allowed_actions(uow, challenge)
    iro: list[Action] = [a for a in actions if a is not Action.RESPOND]
    responder: list[Action] = [a for a in actions if a is Action.RESPOND]
    return Offered(iro, responder)


def actions_for(
    runtime: Runtime, person: Person, row: queries.ChallengeRow, session: Session | None = None
) -> list[Action]:
    return offered_actions(runtime, row.reference, session).for_person(
        person, row, runtime, session
    )


@dataclass(frozen=True)
class PageFacts:
    """What the challenge page shows beside its row, from one read of the challenge."""

    challenge: Challenge
    ladder: Ladder
    actions: list[Action]


def page_facts(
    runtime: Runtime,
    session: Session,
    person: Person,
    row: queries.ChallengeRow,
    challenge: Challenge | None = None,
) -> PageFacts:
    """`challenge`: the domain challenge already read with the row, if it was."""
    with reading_uow(runtime, session) as uow:
        if challenge is None:
            challenge = uow.challenges.get(row.reference)
        offered = _offered(uow, challenge)
        ladder = lifecycle(uow, challenge).ladder
    return PageFacts(challenge, ladder, offered.for_person(person, row, runtime, session))

"""Who responds at a stage, who is copied and told: the people records, read lazily.

The rules (routes, "any of", fallbacks, deputies) are pure, in
`escalation_rules.responders`; this module only answers their questions from the
database: who is this person, and who holds this post in a team, a service area or the
council.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from escalation_rules.model import Ladder, Role, Route, Stage, Who
from escalation_rules.responders import (
    Case,
    Found,
    PersonView,
    acting_for,
    find_holder,
    find_responder,
)
from workflow.tables import Child, Person, PersonPost, Team

# Where a built-in role is looked for when a ladder asks for the Head of Service (the
# overall cap's alert) and the child's line does not lead to one.
_WIDER = (Route.SOCIAL_WORKER_LINE, Route.SERVICE_AREA, Route.COUNCIL)


class _Organisation:
    """The council's structure as `escalation_rules.responders` asks about it."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._people: dict[int, PersonView | None] = {}

    def person(self, person_id: int) -> PersonView | None:
        if person_id not in self._people:
            self._people[person_id] = self._load(person_id)
        return self._people[person_id]

    def _load(self, person_id: int) -> PersonView | None:
        row = self._session.get(Person, person_id)
        if row is None or row.id is None:
            return None
        posts = self._session.exec(
            select(PersonPost.post).where(PersonPost.person_id == person_id)
        ).all()
        return PersonView(
            id=row.id,
            role=Role(row.role),
            manager_id=row.manager_id,
            deputy_id=row.deputy_id,
            absent=row.absent,
            active=row.active,
            posts=frozenset(posts),
        )

    def holders(
        self, post: str, team_id: int | None = None, service_area: str | None = None
    ) -> list[int]:
        holds = sa.or_(
            col(Person.role) == post,
            col(Person.id).in_(select(PersonPost.person_id).where(PersonPost.post == post)),
        )
        query = select(Person.id).where(holds, col(Person.active).is_(True))
        if team_id is not None:
            query = query.where(Person.team_id == team_id)
        if service_area is not None:
            query = query.join(Team, col(Team.id) == Person.team_id).where(
                Team.service_area == service_area
            )
        return [i for i in self._session.exec(query.order_by(col(Person.id))) if i is not None]

    def case(self, child: Child, iro_id: int) -> Case:
        team_id = child.team_id
        if team_id is None and child.social_worker_id is not None:
            worker = self._session.get(Person, child.social_worker_id)
            team_id = worker.team_id if worker else None
        team = self._session.get(Team, team_id) if team_id is not None else None
        area = team.service_area if team is not None and team.service_area else None
        return Case(iro_id, child.social_worker_id, team_id, area)


class Directory:
    def __init__(self, session: Session) -> None:
        self._org = _Organisation(session)

    def route(self, ladder: Ladder, stage: Stage, child: Child, iro_id: int) -> Found | None:
        """Who answers at `stage` for this child: the responder, else a fallback."""
        case = self._org.case(child, iro_id)
        return find_responder(stage, case, self._org, lambda post: ladder.post(post).route)

    def holder_of(self, ladder: Ladder, who: Who, child: Child, iro_id: int) -> int | None:
        """The first holder of `who` for this child, away or not (for copies and notices)."""
        case = self._org.case(child, iro_id)
        return find_holder(who, case, self._org, lambda post: ladder.post(post).route)

    def responder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """Who answers for a built-in role on this child's case now (acting deputy included).

        Up the social worker's line first, then the child's service area, then the council.
        """
        if role is Role.IRO:
            return iro_id
        stage = Stage("", "", Who((role.value,)), None, fallbacks=_wider(role))
        found = find_responder(stage, self._org.case(child, iro_id), self._org, _role_route)
        return found.acting_id if found else None

    def holder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """The person holding `role` in the line, ignoring absence (for copies)."""
        if role is Role.IRO:
            return iro_id
        return find_holder(
            Who((role.value,)), self._org.case(child, iro_id), self._org, _role_route
        )

    def acting_for(self, responder_id: int) -> int | None:
        """Who answers for the responder now: them, or while they are away their deputy."""
        return acting_for(responder_id, self._org)

    def may_answer_for(self, person_id: int, responder_id: int) -> bool:
        """The responder themself, or the deputy acting for them while they are away."""
        if person_id == responder_id:
            return True
        return person_id == acting_for(responder_id, self._org)

    def holds(self, person_id: int, post: str) -> bool:
        person = self._org.person(person_id)
        return person is not None and person.active and person.holds(post)


def _wider(role: Role) -> tuple[Who, ...]:
    return tuple(Who((role.value,), route) for route in _WIDER[1:])


def _role_route(post: str) -> Route:
    return Route.SOCIAL_WORKER_LINE

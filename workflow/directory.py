"""Who responds at a stage, who is copied and told: the people records, read lazily.

The rules (routes, "any of", fallbacks, deputies) are pure, in
`escalation_rules.responders`; this module only answers their questions from the
database: who is this person, and who holds this post in a team, a service area or the
council.
"""

from __future__ import annotations

from functools import cached_property

import sqlalchemy as sa
from sqlmodel import Session, col, select

from escalation_rules.model import Ladder, Role, Route, Stage, Who
from escalation_rules.responders import (
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
    """The council's structure as `escalation_rules.responders` asks about it.

    Posts are read in one query, and only for a ladder that names posts of its own: the
    bundled ladders of built-in roles cost no more statements than before posts existed.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._people: dict[int, PersonView | None] = {}
        self._posts: dict[int, frozenset[str]] | None = None

    def use_posts(self, ladder: Ladder) -> None:
        if ladder.posts and self._posts is None:
            found: dict[int, set[str]] = {}
            for person_id, post in self._session.exec(
                select(PersonPost.person_id, PersonPost.post)
            ):
                found.setdefault(person_id, set()).add(post)
            self._posts = {k: frozenset(v) for k, v in found.items()}
            self._people.clear()  # read again, with their posts

    def person(self, person_id: int) -> PersonView | None:
        if person_id not in self._people:
            self._people[person_id] = self._load(person_id)
        return self._people[person_id]

    def _load(self, person_id: int) -> PersonView | None:
        row = self._session.get(Person, person_id)
        if row is None or row.id is None:
            return None
        return PersonView(
            id=row.id,
            role=Role(row.role),
            manager_id=row.manager_id,
            deputy_id=row.deputy_id,
            absent=row.absent,
            active=row.active,
            posts=(self._posts or {}).get(row.id, frozenset()),
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


class _Case:
    """The child's case for the search; the team is read only if a route asks for it."""

    def __init__(self, session: Session, child: Child, iro_id: int) -> None:
        self._session, self._child = session, child
        self.iro_id, self.social_worker_id = iro_id, child.social_worker_id

    @cached_property
    def team_id(self) -> int | None:
        if self._child.team_id is not None or self._child.social_worker_id is None:
            return self._child.team_id
        worker = self._session.get(Person, self._child.social_worker_id)
        return worker.team_id if worker else None

    @cached_property
    def service_area(self) -> str | None:
        team = self._session.get(Team, self.team_id) if self.team_id is not None else None
        return team.service_area if team is not None and team.service_area else None


class Directory:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._org = _Organisation(session)

    def route(self, ladder: Ladder, stage: Stage, child: Child, iro_id: int) -> Found | None:
        """Who answers at `stage` for this child: the responder, else a fallback."""
        self._org.use_posts(ladder)
        case = _Case(self._session, child, iro_id)
        return find_responder(stage, case, self._org, lambda post: ladder.post(post).route)

    def holder_of(self, ladder: Ladder, who: Who, child: Child, iro_id: int) -> int | None:
        """The first holder of `who` for this child, away or not (for copies and notices)."""
        self._org.use_posts(ladder)
        case = _Case(self._session, child, iro_id)
        return find_holder(who, case, self._org, lambda post: ladder.post(post).route)

    def responder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """Who answers for a built-in role on this child's case now (acting deputy included).

        Up the social worker's line first, then the child's service area, then the council.
        """
        if role is Role.IRO:
            return iro_id
        stage = Stage("", "", Who((role.value,)), None, fallbacks=_wider(role))
        found = find_responder(stage, _Case(self._session, child, iro_id), self._org, _role_route)
        return found.acting_id if found else None

    def holder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """The person holding `role` in the line, ignoring absence (for copies)."""
        if role is Role.IRO:
            return iro_id
        case = _Case(self._session, child, iro_id)
        return find_holder(Who((role.value,)), case, self._org, _role_route)

    def acting_for(self, responder_id: int) -> int | None:
        """Who answers for the responder now: them, or while they are away their deputy."""
        return acting_for(responder_id, self._org)

    def may_answer_for(self, person_id: int, responder_id: int) -> bool:
        """The responder themself, or the deputy acting for them while they are away."""
        if person_id == responder_id:
            return True
        return person_id == acting_for(responder_id, self._org)

    def holds(self, person_id: int, post: str) -> bool:
        person = self._session.get(Person, person_id)
        if person is None or not person.active:
            return False
        held = select(PersonPost.post).where(
            PersonPost.person_id == person_id, PersonPost.post == post
        )
        return person.role == post or self._session.exec(held).first() is not None


def _wider(role: Role) -> tuple[Who, ...]:
    return tuple(Who((role.value,), route) for route in _WIDER[1:])


def _role_route(post: str) -> Route:
    return Route.SOCIAL_WORKER_LINE

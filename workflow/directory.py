"""Who responds at a stage, who is copied and told: the people records, read lazily.

The rules (routes, "any of", fallbacks, deputies) are pure, in
`escalation_rules.responders`; this module only answers their questions from the
database: who is this person, and who holds this post in a team, a service area or the
council.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

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
from workflow.prepared import PreparedRead
from workflow.rows import SHARED_PREFIX, ChildFacts, connection_of
from workflow.tables import Person, PersonPost, Team

SHARED_KEY = SHARED_PREFIX + "directory"
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
        self.addresses: dict[int, str] = {}  # the email of each person read

    def use_posts(self, ladder: Ladder) -> None:
        if ladder.posts and self._posts is None:
            found: dict[int, set[str]] = {}
            for person_id, post in self._session.exec(
                select(PersonPost.person_id, PersonPost.post)
            ):
                found.setdefault(person_id, set()).add(post)
            self._posts = {k: frozenset(v) for k, v in found.items()}
            self._people.clear()  # read again, with their posts

    @property
    def posts_read(self) -> bool:
        return self._posts is not None

    def person(self, person_id: int) -> PersonView | None:
        if person_id not in self._people:
            self._load(person_id)
        return self._people[person_id]

    def _load(self, person_id: int) -> None:
        """The person and their manager in one read: a search up a line asks for both."""
        self._people[person_id] = None
        row = _READ_PERSON.first(connection_of(self._session), {"id": person_id})
        if row is None:
            return
        for prefix in ("", "manager__"):
            values = row._mapping
            found = values[prefix + "id"]
            if found is not None and (prefix == "" or found not in self._people):
                self._people[found] = self._view(values, prefix)
                self.addresses[found] = values[prefix + "email"]

    def note(self, values: Any, prefixes: tuple[str, ...]) -> None:
        for prefix in prefixes:
            found = values[prefix + "id"]
            if found is not None and found not in self._people:
                self._people[found] = self._view(values, prefix)
                self.addresses[found] = values[prefix + "email"]

    def _view(self, values: Any, prefix: str) -> PersonView:
        return PersonView(
            id=values[prefix + "id"],
            role=Role(values[prefix + "role"]),
            manager_id=values[prefix + "manager_id"],
            deputy_id=values[prefix + "deputy_id"],
            absent=values[prefix + "absent"],
            active=values[prefix + "active"],
            posts=(self._posts or {}).get(values[prefix + "id"], frozenset()),
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

    def __init__(self, session: Session, child: ChildFacts, iro_id: int) -> None:
        self._session, self._child = session, child
        self.iro_id, self.social_worker_id = iro_id, child.social_worker_id

    @cached_property
    def team_id(self) -> int | None:
        if self._child.team_id is not None or self._child.social_worker_id is None:
            return self._child.team_id
        found = self._session.connection().execute(_TEAM_OF, {"id": self._child.social_worker_id})
        team_id: int | None = found.scalar()
        return team_id

    @cached_property
    def service_area(self) -> str | None:
        if self.team_id is None:
            return None
        area = self._session.connection().execute(_AREA_OF, {"id": self.team_id}).scalar()
        return str(area) if area else None


class Directory:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._org = _Organisation(session)
        self._routes: dict[tuple[Any, ...], Found | None] = {}

    @classmethod
    def of(cls, session: Session) -> Directory:
        """The directory of the unit of work `session` belongs to: people an action read
        are not read again by the listeners in its transaction (see `workflow.rows`)."""
        found = session.info.get(SHARED_KEY)
        if not isinstance(found, Directory):
            found = session.info[SHARED_KEY] = cls(session)
        return found

    def route(self, ladder: Ladder, stage: Stage, child: ChildFacts, iro_id: int) -> Found | None:
        """Who answers at `stage` for this child: the responder, else a fallback.

        Searched once per unit of work for each stage and case it depends on (the IRO,
        the social worker, the child's team): a sweep's batch routes hundreds of
        challenges whose children mostly share a line, and the people read stay as read
        for the unit of work anyway."""
        self._org.use_posts(ladder)
        key = (ladder.content_hash, stage.key, iro_id, child.social_worker_id, child.team_id,
               self._org.posts_read)  # fmt: skip
        if key not in self._routes:
            case = _Case(self._session, child, iro_id)
            route_of = lambda post: ladder.post(post).route  # noqa: E731
            self._routes[key] = find_responder(stage, case, self._org, route_of)
        return self._routes[key]

    def holder_of(self, ladder: Ladder, who: Who, child: ChildFacts, iro_id: int) -> int | None:
        """The first holder of `who` for this child, away or not (for copies and notices)."""
        self._org.use_posts(ladder)
        case = _Case(self._session, child, iro_id)
        return find_holder(who, case, self._org, lambda post: ladder.post(post).route)

    def responder(self, role: Role, child: ChildFacts, iro_id: int) -> int | None:
        """Who answers for a built-in role on this child's case now (acting deputy included).

        Up the social worker's line first, then the child's service area, then the council.
        """
        if role is Role.IRO:
            return iro_id
        stage = Stage("", "", Who((role.value,)), None, fallbacks=_wider(role))
        found = find_responder(stage, _Case(self._session, child, iro_id), self._org, _role_route)
        return found.acting_id if found else None

    def holder(self, role: Role, child: ChildFacts, iro_id: int) -> int | None:
        """The person holding `role` in the line, ignoring absence (for copies)."""
        if role is Role.IRO:
            return iro_id
        case = _Case(self._session, child, iro_id)
        return find_holder(Who((role.value,)), case, self._org, _role_route)

    def address(self, person_id: int) -> tuple[str, bool, bool] | None:
        """Email, active, absent of a person this directory has already read, else None."""
        person = self._org.person(person_id) if person_id in self._org.addresses else None
        if person is None:
            return None
        return self._org.addresses[person_id], person.active, person.absent

    def acting_for(self, responder_id: int) -> int | None:
        """Who answers for the responder now: them, or while they are away their deputy."""
        return acting_for(responder_id, self._org)

    def may_answer_for(self, person_id: int, responder_id: int) -> bool:
        """The responder themself, or the deputy acting for them while they are away."""
        if person_id == responder_id:
            return True
        return person_id == acting_for(responder_id, self._org)

    def note(self, row: Any, alongside: PeopleAlongside) -> None:
        """Keep the people `row` was read with (`PeopleAlongside`): not read again."""
        self._org.note(row._mapping, alongside.prefixes)

    def holds(self, person_id: int, post: str) -> bool:
        found = self._session.connection().execute(_HOLDS, {"id": person_id, "post": post})
        return found.first() is not None


# Built once: an action's routing runs these, by primary key, as plain rows.
_PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
_POST: sa.Table = PersonPost.__table__  # type: ignore[attr-defined]
_TEAM: sa.Table = Team.__table__  # type: ignore[attr-defined]
_MANAGER = _PERSON.alias("manager")
_VIEWED = ("id", "email", "role", "manager_id", "deputy_id", "absent", "active")
_PERSON_BY_ID = (
    sa.select(
        *(_PERSON.c[name] for name in _VIEWED),
        *(_MANAGER.c[name].label(f"manager__{name}") for name in _VIEWED),
    )
    .outerjoin(_MANAGER, _MANAGER.c.id == _PERSON.c.manager_id)
    .where(_PERSON.c.id == sa.bindparam("id"))
)
_READ_PERSON = PreparedRead(_PERSON_BY_ID)  # on the driver: routing up a line reads a few


class PeopleAlongside:
    """People an action is likely to ask about, read in the query it makes first (the
    challenge, or the child being raised for), each with their manager: the social worker
    and their manager answer the first stages, the IRO hears of responses. One query
    fewer for the routing and the outbox's recipients; whoever else is asked for is read
    as before (`_Organisation._load`)."""

    def __init__(self, **who: Any) -> None:
        self.columns: list[Any] = []
        self.joins: list[tuple[Any, Any]] = []
        prefixes = []
        for name, person_id in who.items():
            person = _PERSON.alias(f"{name}_p")
            manager = _PERSON.alias(f"{name}_m")
            self.joins += [(person, person.c.id == person_id),
                           (manager, manager.c.id == person.c.manager_id)]  # fmt: skip
            for alias, prefix in ((person, f"{name}__"), (manager, f"{name}_m__")):
                self.columns += [alias.c[n].label(prefix + n) for n in _VIEWED]
                prefixes.append(prefix)
        self.prefixes = tuple(prefixes)

    def join(self, source: Any) -> Any:
        for alias, on in self.joins:
            source = source.outerjoin(alias, on)
        return source


_TEAM_OF = sa.select(_PERSON.c.team_id).where(_PERSON.c.id == sa.bindparam("id"))
_AREA_OF = sa.select(_TEAM.c.service_area).where(_TEAM.c.id == sa.bindparam("id"))
# An active person holding the post by their role or as a post of their own.
_HOLDS = sa.select(_PERSON.c.id).where(
    _PERSON.c.id == sa.bindparam("id"),
    _PERSON.c.active.is_(True),
    sa.or_(
        _PERSON.c.role == sa.bindparam("post"),
        sa.exists().where(_POST.c.person_id == _PERSON.c.id, _POST.c.post == sa.bindparam("post")),
    ),
)


def _wider(role: Role) -> tuple[Who, ...]:
    return tuple(Who((role.value,), route) for route in _WIDER[1:])


def _role_route(post: str) -> Route:
    return Route.SOCIAL_WORKER_LINE

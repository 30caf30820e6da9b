"""Who responds at a stage: a pure walk over a snapshot of the council's structure.

The workflow hands in an `Organisation` (people, and who holds a post where); nothing
here touches a database. Data entered by hand has loops in it (a manager's manager set
to themselves, two deputies covering each other), so every walk remembers where it has
been.

The responder recorded on a challenge is the person who holds the post (the
principal). While they are marked away their deputy acts for them; when they are back
they answer their own stage again. A holder who is away with nobody to act for them
does not count as found: the search goes on to the next post, then the fallbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from escalation_rules.model import Role, Route, Stage, Who

# Roles that can answer a challenge at a stage. The IRO raises challenges, and admins
# and SMT readers do not hold cases, so none of them can be a stage's responder.
RESPONDER_ROLES: tuple[Role, ...] = (
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.SERVICE_MANAGER,
    Role.HEAD_OF_SERVICE,
    Role.SENIOR_MANAGER,
)


@dataclass(frozen=True)
class PersonView:
    id: int
    role: Role
    manager_id: int | None
    deputy_id: int | None
    absent: bool
    active: bool = True
    posts: frozenset[str] = field(default_factory=frozenset)

    def holds(self, post: str) -> bool:
        return self.role.value == post or post in self.posts


@dataclass(frozen=True)
class Case:
    """What the search needs to know about the child's case."""

    iro_id: int
    social_worker_id: int | None
    team_id: int | None = None
    service_area: str | None = None


class CaseFacts(Protocol):
    """A `Case`, or anything that answers the same (the workflow reads the team lazily)."""

    @property
    def iro_id(self) -> int: ...
    @property
    def social_worker_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...
    @property
    def service_area(self) -> str | None: ...


class Organisation(Protocol):
    def person(self, person_id: int) -> PersonView | None: ...

    def holders(
        self, post: str, team_id: int | None = None, service_area: str | None = None
    ) -> list[int]:
        """Active holders of `post` (in the team, or the service area, when given), by id."""
        ...


@dataclass(frozen=True)
class Found:
    responder_id: int  # who holds the post: recorded on the challenge
    acting_id: int  # who answers now: the responder, or their deputy while they are away
    who: Who  # the responder or fallback that found them
    fallback: int  # 0: the stage's responder; 1: its first fallback; ...


RouteOf = Callable[[str], Route]


def find_responder(
    stage: Stage, case: CaseFacts, org: Organisation, route_of: RouteOf
) -> Found | None:
    """The stage's responder, else its fallbacks in turn; None when nobody can answer."""
    for position, who in enumerate(stage.finders):
        for candidate in candidates(who, case, org, route_of):
            acting = acting_for(candidate, org)
            if acting is not None:
                return Found(candidate, acting, who, position)
    return None


def find_holder(who: Who, case: CaseFacts, org: Organisation, route_of: RouteOf) -> int | None:
    """The first holder of `who`, away or not: for copies and notifications."""
    return next(candidates(who, case, org, route_of), None)


def candidates(who: Who, case: CaseFacts, org: Organisation, route_of: RouteOf) -> Iterator[int]:
    """Active holders of any of `who.posts`, nearest first, each once."""
    seen: set[int] = set()
    for post in who.posts:
        for person_id in _holders(post, who.route or route_of(post), case, org):
            if person_id not in seen:
                seen.add(person_id)
                yield person_id


def _holders(post: str, route: Route, case: CaseFacts, org: Organisation) -> Iterator[int]:
    if post == Role.IRO.value:
        yield case.iro_id
    elif route is Route.SOCIAL_WORKER_LINE:
        yield from _line(post, case.social_worker_id, org)
    elif route is Route.IRO_LINE:
        yield from _line(post, case.iro_id, org)
    elif route is Route.CHILD_TEAM:
        yield from org.holders(post, team_id=case.team_id) if case.team_id is not None else ()
    elif route is Route.SERVICE_AREA:
        yield from org.holders(post, service_area=case.service_area) if case.service_area else ()
    else:
        yield from org.holders(post)


def _line(post: str, start_id: int | None, org: Organisation) -> Iterator[int]:
    """Holders of `post` walking up the line from `start_id` (included)."""
    seen: set[int] = set()
    current = start_id
    while current is not None and current not in seen:
        seen.add(current)
        person = org.person(current)
        if person is None:
            return
        if person.active and person.holds(post):
            yield current
        current = person.manager_id


def acting_for(person_id: int, org: Organisation) -> int | None:
    """Who answers for `person_id` now: them, or while they are away the deputy chain."""
    seen: set[int] = set()
    current: int | None = person_id
    while current is not None and current not in seen:
        seen.add(current)
        person = org.person(current)
        if person is None:
            return None
        if person.active and not person.absent:
            return current
        current = person.deputy_id
    return None


class _Snapshot:
    """An `Organisation` over a plain mapping of people, for the simple cases and tests."""

    def __init__(self, people: Mapping[int, PersonView]) -> None:
        self._people = people

    def person(self, person_id: int) -> PersonView | None:
        return self._people.get(person_id)

    def holders(
        self, post: str, team_id: int | None = None, service_area: str | None = None
    ) -> list[int]:
        return sorted(i for i, p in self._people.items() if p.active and p.holds(post))


def find_in_line(role: Role, start_id: int, people: Mapping[int, PersonView]) -> int | None:
    """The first active person holding `role`, walking up from `start_id` (included)."""
    return next(_line(role.value, start_id, _Snapshot(people)), None)


def responder_for(role: Role, start_id: int, people: Mapping[int, PersonView]) -> int | None:
    """Who should answer now: the person in line, or their deputy (and so on) when away.

    None when nobody in line holds the role, or when everyone in the deputy chain is
    absent or has left: the caller decides what to do then (tell an admin).
    """
    found = find_in_line(role, start_id, people)
    return None if found is None else acting_for(found, _Snapshot(people))

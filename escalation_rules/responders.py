"""Who responds at a stage: a pure walk over a snapshot of the council's structure.

The workflow loads the people it needs into `PersonView`s; nothing here touches a
database. Data entered by hand has loops in it (a manager's manager set to themselves,
two deputies covering each other), so every walk remembers where it has been.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from escalation_rules.model import Role

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


def find_in_line(role: Role, start_id: int, people: Mapping[int, PersonView]) -> int | None:
    """The first active person holding `role`, walking up from `start_id` (included)."""
    seen: set[int] = set()
    current: int | None = start_id
    while current is not None and current in people and current not in seen:
        seen.add(current)
        person = people[current]
        if person.active and person.role == role:
            return current
        current = person.manager_id
    return None


def responder_for(role: Role, start_id: int, people: Mapping[int, PersonView]) -> int | None:
    """Who should answer: the person in line, or their deputy (and so on) when away.

    None when nobody in line holds the role, or when everyone in the deputy chain is
    absent or has left: the caller decides what to do then (tell an admin).
    """
    found = find_in_line(role, start_id, people)
    seen: set[int] = set()
    while found is not None and found in people and found not in seen:
        seen.add(found)
        person = people[found]
        if person.active and not person.absent:
            return found
        found = person.deputy_id
    return None

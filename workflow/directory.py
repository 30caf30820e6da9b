"""Who responds at a stage and who is copied: the people records, read lazily."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlmodel import Session

from escalation_rules.model import Role
from escalation_rules.responders import PersonView, find_in_line, responder_for
from workflow.tables import Child, Person


class _LazyPeople(Mapping[int, PersonView]):
    """Loads a person only when the walk up the management line reaches them."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[int, PersonView] = {}

    def __getitem__(self, person_id: int) -> PersonView:
        if person_id not in self._cache:
            row = self._session.get(Person, person_id)
            if row is None or row.id is None:
                raise KeyError(person_id)
            self._cache[person_id] = PersonView(
                id=row.id,
                role=Role(row.role),
                manager_id=row.manager_id,
                deputy_id=row.deputy_id,
                absent=row.absent,
                active=row.active,
            )
        return self._cache[person_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._cache)

    def __len__(self) -> int:
        return len(self._cache)


class Directory:
    def __init__(self, session: Session) -> None:
        self._people = _LazyPeople(session)

    def responder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """The person who answers for `role` on this child's case, or their deputy."""
        if role is Role.IRO:
            return iro_id
        if child.social_worker_id is None:
            return None
        return responder_for(role, child.social_worker_id, self._people)

    def holder(self, role: Role, child: Child, iro_id: int) -> int | None:
        """The person holding `role` in the line, ignoring absence (for copies)."""
        if role is Role.IRO:
            return iro_id
        if child.social_worker_id is None:
            return None
        return find_in_line(role, child.social_worker_id, self._people)

    def may_answer_for(self, person_id: int, responder_id: int) -> bool:
        """The responder themself, or the deputy named for them."""
        if person_id == responder_id:
            return True
        try:
            return self._people[responder_id].deputy_id == person_id
        except KeyError:
            return False

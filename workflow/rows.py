"""Plain rows an action reads on its hot path, and what one unit of work has read.

Building an ORM object (a `Child`, a `Person` by `session.get`) costs more than the query
that fetches it, so an action reads plain rows into small frozen records, and the
listeners that run in the same transaction (the outbox's recipients) reuse what the
action already read instead of reading it again. The shared reads live in
`session.info` for the life of one unit of work (`workflow.unit_of_work` clears them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from workflow.tables import Child

_CHILD: sa.Table = Child.__table__  # type: ignore[attr-defined]
SHARED_PREFIX = "iro_disputes.unit."  # keys of what one unit of work shares in `session.info`
_CHILDREN_KEY = SHARED_PREFIX + "children"
_RESPONDERS_KEY = SHARED_PREFIX + "responders"
_CONNECTION_KEY = SHARED_PREFIX + "connection"
_OUTCOME_KINDS_KEY = SHARED_PREFIX + "outcome_kinds"
CHILDREN = sa.select(_CHILD).where(_CHILD.c.id.in_(sa.bindparam("ids", expanding=True)))


class ChildFacts(Protocol):
    """What the workflow asks of a child: a `ChildRow`, or a `workflow.tables.Child`."""

    @property
    def id(self) -> int | None: ...
    @property
    def case_reference(self) -> str: ...
    @property
    def legal_status(self) -> str: ...
    @property
    def social_worker_id(self) -> int | None: ...
    @property
    def iro_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ChildRow:
    id: int
    case_reference: str
    display_name: str
    legal_status: str
    date_of_birth: date | None
    social_worker_id: int | None
    iro_id: int | None
    team_id: int | None


CHILD_FIELDS = ChildRow.__slots__


def child_row(row: Any, prefix: str = "") -> ChildRow:
    """A `ChildRow` from a result row (its columns optionally labelled `prefix` + name)."""
    values = row._mapping
    return ChildRow(*(values[prefix + name] for name in CHILD_FIELDS))


def remember_children(session: Session, children: list[ChildFacts]) -> None:
    """Note children this unit of work has read, for the listeners in its transaction."""
    known: dict[int, ChildFacts] = session.info.setdefault(_CHILDREN_KEY, {})
    for child in children:
        if child.id is not None:
            known[child.id] = child


def known_children(session: Session) -> dict[int, ChildFacts]:
    found: dict[int, ChildFacts] = session.info.get(_CHILDREN_KEY, {})
    return found


def read_children(session: Session, ids: set[int]) -> dict[int, ChildFacts]:
    """The children of `ids`: those already read in this unit of work, the rest in one query."""
    known = known_children(session)
    found = {i: known[i] for i in ids if i in known}
    wanted = [i for i in ids if i not in known]
    if wanted:
        rows = [child_row(r) for r in session.connection().execute(CHILDREN, {"ids": wanted})]
        remember_children(session, list(rows))
        found.update((r.id, r) for r in rows)
    return found


def remember_responders(session: Session, challenge_id: int, text: str | None) -> None:
    """Note everyone who has been a responder on the challenge, as read with it (the
    comma-separated ids of `workflow.services`' read for an ending)."""
    ids = [int(i) for i in text.split(",") if i] if text else []
    session.info.setdefault(_RESPONDERS_KEY, {})[challenge_id] = ids


def known_responders(session: Session, challenge_id: int) -> list[int] | None:
    """Who has responded on the challenge, if this unit of work read it; else None."""
    found: list[int] | None = session.info.get(_RESPONDERS_KEY, {}).get(challenge_id)
    return found


def remember_outcome_kind(session: Session, key: str, active: bool) -> None:
    """Note whether a kind of outcome is on the list and not retired, as read with the
    challenge (`workflow.services`' read for an ending)."""
    session.info.setdefault(_OUTCOME_KINDS_KEY, {})[key] = active


def known_outcome_kind(session: Session, key: str) -> bool | None:
    """Whether the kind may be picked, if this unit of work read it; else None."""
    found: bool | None = session.info.get(_OUTCOME_KINDS_KEY, {}).get(key)
    return found


def connection_of(session: Session) -> sa.Connection:
    """The connection of the session's transaction, asked of the session once per unit of
    work: `Session.connection()` costs about 20 µs of bookkeeping, and an action's
    statements and listeners asked it half a dozen times. Asked again once that
    transaction has ended (the connection closed or no longer in a transaction)."""
    info = session.info
    found: sa.Connection | None = info.get(_CONNECTION_KEY)
    if found is None or found.closed or not found.in_transaction():
        found = info[_CONNECTION_KEY] = session.connection()
    return found


def forget(session: Session) -> None:
    """The unit of work ended: a later one (a page's next, on the same session) reads afresh."""
    for key in [k for k in session.info if str(k).startswith(SHARED_PREFIX)]:
        del session.info[key]

"""The council's editable lists known by a stable key: challenge themes and the kinds of outcome
an IRO picks when accepting a response. Both are edited the same way (the command line and
the admin pages call these): add, rename, retire and bring back; delete only an entry never
used. Keys are stored on challenges and events, so an entry in use is retired, never deleted
or re-keyed. Every change goes into the change history in the caller's transaction; the
caller commits."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from workflow.change_history import RecordKind, record_changes
from workflow.errors import NotFound, RuleViolation
from workflow.states import Action
from workflow.tables import ChallengeEvent, ChallengeRecord, OutcomeKind, Theme

KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MAX_LABEL = 200
ListRow = Theme | OutcomeKind


@dataclass(frozen=True)
class KeyedList:
    model: Any  # Theme or OutcomeKind: a key, a label, a position, whether offered
    record_kind: RecordKind  # in the change history
    noun: str  # "theme", "kind of outcome"
    uses: Callable[[Session, str], int]  # how many records use a key


def _theme_uses(session: Session, key: str) -> int:
    stmt = sa.select(sa.func.count()).where(ChallengeRecord.theme_key == key)  # type: ignore[arg-type]
    return int(session.execute(stmt).scalar_one())


def _outcome_kind_uses(session: Session, key: str) -> int:
    ev = ChallengeEvent.__table__  # type: ignore[attr-defined]
    stmt = sa.select(sa.func.count()).where(
        ev.c.kind == Action.ACCEPT.value, ev.c.details["outcome_kind"].as_string() == key
    )
    return int(session.execute(stmt).scalar_one())


THEMES = KeyedList(Theme, "theme", "theme", _theme_uses)
OUTCOME_KINDS = KeyedList(OutcomeKind, "outcome_kind", "kind of outcome", _outcome_kind_uses)


class ListRefused(RuleViolation):
    """The change would leave the list wrong; `field` names the input at fault."""

    def __init__(self, problem: str, field: str) -> None:
        self.reference, self.action, self.problem, self.field = "list", "save", problem, field
        Exception.__init__(self, problem[0].upper() + problem[1:])


class NotOnList(NotFound):
    def __init__(self, noun: str, key: str) -> None:
        super().__init__(noun, key)
        self.args = (f"there is no {noun} '{key}'",)


def entries(session: Session, lst: KeyedList) -> list[ListRow]:
    """Every entry in the order offered, retired ones included."""
    order = sa.text("position")
    return list(session.exec(select(lst.model).order_by(order)).all())


def _shown(row: ListRow) -> dict[str, str]:
    return {"Label": row.label, "Offered": "Yes" if row.active else "No (retired)"}


def _get(session: Session, lst: KeyedList, key: str) -> ListRow:
    row: ListRow | None = session.get(lst.model, key)
    if row is None:
        raise NotOnList(lst.noun, key)
    return row


def _label(lst: KeyedList, label: str) -> str:
    text = (label or "").strip()
    if not text:
        raise ListRefused(f"enter the {lst.noun}'s label, as people will see it", "label")
    if len(text) > MAX_LABEL:
        raise ListRefused(f"the label must be {MAX_LABEL} characters or fewer", "label")
    return text


def key_from(label: str) -> str:
    """A key made from a label: "Education support" -> "education_support"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return (key if key[:1].isalpha() else f"k_{key}")[:60]


def _record(session: Session, lst: KeyedList, row: ListRow, before: dict[str, str],
            by_id: int | None, at: datetime) -> None:  # fmt: skip
    record_changes(session, lst.record_kind, 0, before, _shown(row), by_id, at, row.key)


def save(session: Session, lst: KeyedList, key: str, label: str, by_id: int | None,
         at: datetime, new_only: bool = False) -> ListRow:  # fmt: skip
    """Add an entry, or rename an existing one and offer it again if it was retired
    (`new_only`: refuse a key already on the list)."""
    if not KEY.match(key):
        raise ListRefused(f"key '{key}' must be lower case letters, digits and _", "key")
    text = _label(lst, label)
    row: ListRow | None = session.get(lst.model, key)
    if row is not None and new_only:
        raise ListRefused(f"there is already a {lst.noun} '{row.label}' ({key})", "label")
    before = _shown(row) if row is not None else {}
    if row is None:
        last = session.exec(select(sa.func.max(lst.model.position))).one()
        row = lst.model(key=key, label=text, position=(last or 0) + 1)
    row.label, row.active = text, True
    session.add(row)
    _record(session, lst, row, before, by_id, at)
    return row


def rename(session: Session, lst: KeyedList, key: str, label: str, by_id: int | None,
           at: datetime) -> ListRow:  # fmt: skip
    row = _get(session, lst, key)
    before = _shown(row)
    row.label = _label(lst, label)
    session.add(row)
    _record(session, lst, row, before, by_id, at)
    return row


def set_offered(session: Session, lst: KeyedList, key: str, offered: bool, by_id: int | None,
                at: datetime) -> ListRow:  # fmt: skip
    """Retire an entry (no longer offered; records keep it) or bring it back."""
    row = _get(session, lst, key)
    before = _shown(row)
    row.active = offered
    session.add(row)
    _record(session, lst, row, before, by_id, at)
    return row


def delete(session: Session, lst: KeyedList, key: str, by_id: int | None, at: datetime) -> None:
    """Delete an entry nothing uses (added by mistake); one in use can only be retired."""
    row = _get(session, lst, key)
    used = lst.uses(session, key)
    if used:
        raise ListRefused(f"'{row.label}' is used by {used} record{'s' if used != 1 else ''}: "
                          "retire it instead", "key")  # fmt: skip
    record_changes(session, lst.record_kind, 0, _shown(row), {"Label": "", "Offered": "Deleted"},
                   by_id, at, key)  # fmt: skip
    session.delete(row)

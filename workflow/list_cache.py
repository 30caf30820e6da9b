"""The log's filter lists (themes, teams, IROs, responders), kept by each process until
they change.

They change rarely (an admin's edit, an import) and were read on every log page. Database
triggers raise `list_version.n` on any change to what they show (migration 0020), so a
request reads that one number and rebuilds the lists only when it moved.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlmodel import Session

from workflow.queries import LogChoices, log_choices
from workflow.tables import ListVersion

_V = ListVersion.__table__  # type: ignore[attr-defined]


def list_version(session: Session) -> int | None:
    """The number, or None where its row is missing (then nothing is kept)."""
    found = session.execute(sa.select(_V.c.n).where(_V.c.id == 1)).scalar_one_or_none()
    return None if found is None else int(found)


class ChoicesCache:
    """One process's copy of the lists, with the version it was read at."""

    def __init__(self) -> None:
        self._held: tuple[int, LogChoices] | None = None
        self._lock = threading.Lock()

    def choices(self, session: Session) -> LogChoices:
        # The number first: lists read after it are at least that new, so a change made
        # in between is read again on the next request, never missed.
        version = list_version(session)
        held = self._held
        if version is not None and held is not None and held[0] == version:
            return held[1]
        fresh = log_choices(session)
        if version is not None:
            with self._lock:
                self._held = (version, fresh)
        return fresh

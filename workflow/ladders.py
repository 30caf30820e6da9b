"""Which ladder governs a challenge.

New challenges start under the ladder in use. A running challenge keeps the
exact version it started under (stored by content hash), so editing a ladder
file never silently moves the deadlines of challenges already running.
"""

from __future__ import annotations

from sqlmodel import Session

from escalation_rules.loader import parse_ladder
from escalation_rules.model import Ladder
from workflow.errors import LadderChanged
from workflow.event_facts import WorkingDayNumbers
from workflow.tables import LadderVersion, utc_now

_ADDED = "iro_disputes.ladder_added"  # in `session.info`: this session recorded the version


class LadderBook:
    def __init__(self, current: Ladder, current_content: bytes) -> None:
        self.current = current
        self._content = current_content
        self._versions: dict[str, Ladder] = {current.content_hash: current}
        # Events' working-day numbers, from the calendar of the ladder in use (the one the
        # report counts with), cached for the life of the process.
        self.numbers = WorkingDayNumbers(current)
        # Databases seen to hold the current version (a recorded row is never removed), so
        # a raise does not look for it again.
        self._recorded_in: set[str] = set()

    def record_current(self, session: Session) -> None:
        """Keep the text of the ladder in use, once, before a challenge starts under it."""
        database = str(session.get_bind().engine.url)
        if database in self._recorded_in:
            return
        if session.get(LadderVersion, self.current.content_hash) is not None:
            if session.info.get(_ADDED) != self.current.content_hash:
                self._recorded_in.add(database)  # committed by someone else: it stays
        else:
            # Not noted as recorded until a later unit of work finds it: this one may roll back.
            session.info[_ADDED] = self.current.content_hash
            session.add(
                LadderVersion(
                    content_hash=self.current.content_hash,
                    ladder_id=self.current.id,
                    content=self._content.decode("utf-8"),
                    first_used_at=utc_now(),
                )
            )
            session.flush()

    def version(self, session: Session, reference: str, content_hash: str) -> Ladder:
        if content_hash in self._versions:
            return self._versions[content_hash]
        row = session.get(LadderVersion, content_hash)
        if row is None:
            raise LadderChanged(reference, "?", content_hash, self.current.content_hash)
        ladder = parse_ladder(row.content.encode("utf-8"), f"{row.ladder_id}@{content_hash[:12]}")
        self._versions[content_hash] = ladder
        return ladder

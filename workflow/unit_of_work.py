"""One transaction per use case: everything commits together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflow.directory import Directory
from workflow.domain import Challenge, NewEvent
from workflow.errors import ConcurrentUpdate
from workflow.ladders import LadderBook
from workflow.read_scope import end_reads
from workflow.repository import ChallengeRepository
from workflow.rows import forget

# Called just before commit with everything the unit of work appended to the log;
# deadlines and notifications write their rows here so they commit with the event.
EventListener = Callable[[Session, list[tuple[Challenge, list[NewEvent]]]], None]


class UnitOfWork:
    """A transaction, with the listeners it was built with (see `api.wiring.build`).

    The listeners are handed in rather than registered globally, so a process
    cannot forget to install them: whoever builds the unit of work decides."""

    session: Session
    challenges: ChallengeRepository
    directory: Directory

    def __init__(
        self,
        engine: Engine,
        ladders: LadderBook,
        listeners: Sequence[EventListener] = (),
        session: Session | None = None,
    ) -> None:
        """`session`: read through a session the caller owns (a page's one session per
        request) instead of opening one; such a unit of work leaves it open."""
        self.engine = engine
        self.ladders = ladders
        self.listeners = tuple(listeners)
        self._given = session

    def __enter__(self) -> UnitOfWork:
        if self._given is None:
            end_reads()  # one connection at a time: the request's reads give theirs back
        self.session = self._given or Session(self.engine, expire_on_commit=False)
        self.challenges = ChallengeRepository(self.session, self.ladders.numbers)
        forget(self.session)
        self.directory = Directory.of(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back anything uncommitted without expiring loaded rows,
        # so callers may read what they fetched after the unit of work ends.
        forget(self.session)
        if self._given is None:
            self.session.close()

    def publish(self) -> None:
        """Write any held saves, then let the listeners write their rows for what was
        appended, without committing.

        `commit` does this itself; the deadline sweep, which fires a batch of deadlines
        in one transaction, calls it once per batch (or sooner when a challenge comes
        up twice in one batch, so each event is published as it left the challenge).
        """
        self.challenges.write_held()
        appended, self.challenges.appended = self.challenges.appended, []
        if not appended:
            return
        for listener in self.listeners:
            listener(self.session, appended)

    def commit(self) -> None:
        self.publish()
        try:
            self.session.commit()
        except sa.exc.IntegrityError as error:
            # Two writers appended the same event number: the loser sees a conflict.
            if "uq_challenge_event_seq" in str(error.orig):
                raise ConcurrentUpdate("(unknown)", -1) from error
            raise

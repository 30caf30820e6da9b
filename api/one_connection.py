"""Each request holds at most one database connection at a time, and no more requests
use the database at once than the pool holds.

This middleware opens the request's read scope (`workflow.read_scope`): the page's
reads share one session, and a write first gives the reads' connection back. The
reads end when the route returns (`api.auth.read_session`) or at the latest when the
answer starts (a page is rendered by then), so a request never holds a connection
while its answer travels to a slow client.

A request keeps its read connection from the sign-in check (a dependency, run in one
thread) to the route (another thread), so bounding the threads alone does not bound
the connections held: a burst would let every waiting request hold one and the pool
run dry. Requests are therefore admitted only as many at a time as the pool's steady
size; the rest queue here, holding nothing, and each admission ends with its reads.
"""

from __future__ import annotations

from anyio import CapacityLimiter, to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.db import pool_capacity
from workflow.read_scope import ReadScope, read_scope

# Files served from disk: they never touch the database, so they never queue for it.
_NO_DATABASE = ("/static/", "/assets/")


async def give_back(reads: ReadScope) -> None:
    """End the reads (a quick ROLLBACK, but blocking, so in a thread).

    Not a thread of the default pool: that pool is as large as the connection pool,
    and its threads may all be waiting for a connection this would give back."""
    if reads.holds_connection:
        await to_thread.run_sync(reads.end_reads, limiter=CapacityLimiter(1))


class OneConnection:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._capacity = pool_capacity(engine)
        self._admitted: CapacityLimiter | None = None  # made inside the event loop

    def _admission(self) -> CapacityLimiter | None:
        if self._capacity and self._admitted is None:
            self._admitted = CapacityLimiter(self._capacity)
        return self._admitted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_NO_DATABASE):
            await self.app(scope, receive, send)
            return
        admission = self._admission()
        # The request, not a task, borrows the token: a streamed answer sends from a task
        # of its own.
        borrower = object()
        if admission is not None:
            await admission.acquire_on_behalf_of(borrower)

        def leave() -> None:
            nonlocal admission
            if admission is not None:
                admission.release_on_behalf_of(borrower)
                admission = None

        with read_scope(self.engine) as reads:

            async def send_after_reads(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await give_back(reads)
                    leave()
                await send(message)

            try:
                await self.app(scope, receive, send_after_reads)
            finally:
                await give_back(reads)
                leave()

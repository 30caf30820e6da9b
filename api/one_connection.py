"""Each request holds at most one database connection at a time.

This middleware opens the request's read scope (`workflow.read_scope`): the page's
reads share one session, and a write first gives the reads' connection back. The
reads end when the route returns (`api.auth.read_session`) or at the latest when the
answer starts (a page is rendered by then), so a request never holds a connection
while its answer travels to a slow client.
"""

from __future__ import annotations

from anyio import CapacityLimiter, to_thread
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.read_scope import ReadScope, read_scope


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with read_scope(self.engine) as reads:

            async def send_after_reads(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await give_back(reads)
                await send(message)

            try:
                await self.app(scope, receive, send_after_reads)
            finally:
                await give_back(reads)

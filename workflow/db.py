"""Engines for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import select
import time
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from workflow.driver import on_cursor

# Connections beyond one per request: for the worker when `serve --worker` runs it in
# the web process (its jobs take one each), and anything outside a request.
RESERVE = 3


def make_engine(
    url: str, pool_size: int | None = None, pool_timeout: float | None = None, **kwargs: Any
) -> Engine:
    """An engine for `url`; with `pool_size`, a pool of one connection for each request
    handled at once (a request never holds two: `workflow.read_scope`), `RESERVE` more,
    and a short wait."""
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=RESERVE)
    if pool_timeout is not None:
        kwargs["pool_timeout"] = pool_timeout
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    engine = sa.create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        check_before_use(engine)
    return engine


# A pooled connection idle this long is pinged before use even when its socket is quiet:
# a peer that vanished without closing (a host gone, a firewall dropping the flow) says
# nothing until written to.
IDLE_BEFORE_PING = 30.0
_LAST_USED = "iro_disputes.last_used"


def check_before_use(engine: Engine) -> None:
    """Hand out no pooled connection the database has closed, without pool_pre_ping's
    round trip on every checkout (a quarter to a third of an action's writes on
    PostgreSQL, which the plain-SQL floor never makes).

    A server that stops or restarts, or an administrator's pg_terminate_backend, tells
    each of its clients before it closes the socket, so a dead pooled connection has
    something to read and a live idle one has not: asking the kernel (poll, no round
    trip) finds it. Such a connection, and one idle longer than `IDLE_BEFORE_PING`, is
    pinged; a failed ping is a `DisconnectionError`, on which the pool opens a fresh
    connection in its place, so the user's request never sees the restart."""

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED)
        recent = last_used is not None and time.monotonic() - last_used < IDLE_BEFORE_PING
        if recent and _quiet(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError(f"a pooled connection was closed: {error}") from error


def _quiet(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has nothing to read (as it should between
    statements: anything there is the server's farewell, or its closing of the socket)."""
    try:
        if dbapi_connection.closed:
            return False
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError, AttributeError):
        return False


WAL_CHECKPOINT_PAGES = 10_000


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, begin transactions, so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # Copy the WAL back into the database every 10,000 pages (about 40 MB), not
        # SQLite's 1,000: a sweep's batch of 500 escalations writes about a thousand, so
        # every batch paid a checkpoint that rewrote the same hot index pages again. Measured
        # on the sweep: 3,716 to 3,918 escalations a second, its plain-SQL floor 7,520 to
        # 8,472. The file is cut back to 64 MB after a checkpoint if a long read let it grow.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cur.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        # Take the write lock at the start: two writers never both read then fail to upgrade.
        on_cursor(conn, "BEGIN IMMEDIATE", (), beginning=True)

    return engine


def read_only_engine(engine: Engine) -> Engine:
    """An engine for reads only: pages, reports, the log.

    On SQLite the main engine starts every transaction with BEGIN IMMEDIATE (the
    write lock), so a long read would hold writers off; on a WAL database a plain
    read needs no lock at all. On PostgreSQL reads and writes share the engine.
    """
    if engine.dialect.name != "sqlite":
        return engine
    reader = _READERS.get(engine)
    if reader is None:
        pool = engine.pool
        sizing = (
            {
                "pool_size": pool.size(),
                "max_overflow": pool._max_overflow,
                "pool_timeout": pool._timeout,
            }
            if isinstance(pool, sa.pool.QueuePool)
            else {}
        )
        reader = sa.create_engine(
            engine.url, connect_args={"check_same_thread": False, "timeout": 30}, **sizing
        )

        @sa.event.listens_for(reader, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA query_only=ON")
            # 512 KB of page cache per reading connection, not SQLite's 2 MB: a web process
            # holds one per request at once, and the file's pages stay in the OS's cache
            # anyway. Measured under 8 log clients: 144 MB resident instead of 163, pages a
            # second the same within noise.
            cur.execute("PRAGMA cache_size=-512")
            cur.close()

        _READERS[engine] = reader
    return reader


_READERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def pool_capacity(engine: Engine) -> int | None:
    """How many requests may use the database at once: the pool's steady size, one
    connection each (the overflow is `RESERVE`, for users outside requests)."""
    pool = engine.pool
    return pool.size() if isinstance(pool, sa.pool.QueuePool) else None


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False

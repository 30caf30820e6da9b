"""Statements sent on the connection's own DB-API cursor, as SQLAlchemy would send them.

Even `exec_driver_sql` costs about 20 µs per statement in SQLAlchemy (an execution
context, a result object), a fifth of a SQLite action's CPU over its half-dozen
statements. So an action's statements (`workflow.prepared`) and the BEGIN of its
transaction (`workflow.db`) run on a cursor of the connection's DB-API connection, as
SQLAlchemy's own `Connection._cursor_execute` does for its side statements: inside the
connection's transaction, with the engine's `before_cursor_execute` and
`after_cursor_execute` listeners called (statement counts and tracing still see each
one) and the driver's errors wrapped into SQLAlchemy's (`sa.exc.IntegrityError`; a
disconnect invalidates the connection). A connection that echoes SQL, a dialect with
listeners of its own, or a connection with no transaction yet goes through
`exec_driver_sql` instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy.engine import Connection
from sqlalchemy.pool import PoolProxiedConnection


class DriverResult(NamedTuple):
    """What a prepared statement tells its caller: rows changed, any rows it returned (as
    the driver gave them) and the driver's description of their columns."""

    rowcount: int
    rows: list[Any]
    description: Any = None

    def scalar_one(self) -> Any:
        (row,) = self.rows  # exactly one, as Core's scalar_one insists
        return row[0]


def on_cursor(
    connection: Connection,
    sql: str,
    parameters: Any,
    many: bool = False,
    beginning: bool = False,
    returns_rows: bool = False,
    describe: bool = False,
) -> DriverResult:
    """Run `sql` on a DB-API cursor in the connection's transaction, listeners called and
    errors wrapped as SQLAlchemy would. `beginning`: the statement that begins the
    transaction itself (from the engine's `begin` listener), before SQLAlchemy records it.
    `returns_rows`: fetch its rows; `describe`: also the cursor's description, which
    psycopg builds afresh, column by column, each time it is asked (about a third of a
    millisecond of CPU for an action's sixty-column read), so only when wanted."""
    in_transaction = beginning or connection.in_transaction()
    if connection._echo or connection.dialect._has_events or not in_transaction:
        result = connection.exec_driver_sql(sql, parameters)
        if not result.returns_rows:
            return DriverResult(result.rowcount, [])
        description = result.cursor.description if result.cursor is not None else None
        return DriverResult(result.rowcount, list(result), description)
    dialect = connection.dialect
    listened = _cursor_listeners(connection)
    pooled = connection.connection
    cursor = _cursor_of(pooled)
    try:
        if listened:
            for before in connection.dispatch.before_cursor_execute:
                sql, parameters = before(connection, cursor, sql, parameters, None, many)
        if many:
            dialect.do_executemany(cursor, sql, parameters, None)
        else:
            dialect.do_execute(cursor, sql, parameters, None)
        if listened:
            connection.dispatch.after_cursor_execute(
                connection, cursor, sql, parameters, None, many
            )
        rows = list(cursor.fetchall()) if returns_rows else []
        return DriverResult(cursor.rowcount, rows, cursor.description if describe else None)
    except BaseException as error:
        pooled.info.pop(_CURSOR, None)  # SQLAlchemy closes it, below
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        raise  # pragma: no cover - the line above raises the wrapped error


# One cursor per DB-API connection, kept with the pooled connection and used for each of
# its statements: a new psycopg cursor looks up how to send each type of value afresh
# (about 12 µs more a statement, six or seven an action; the plain-SQL floor keeps one
# cursor an action too). Kept with the DB-API connection it belongs to, so a connection
# the pool replaced (after a disconnect) never gets its predecessor's cursor.
_CURSOR = "iro_disputes.cursor"


def _cursor_of(pooled: PoolProxiedConnection) -> Any:
    raw = pooled.dbapi_connection
    kept = pooled.info.get(_CURSOR)
    if kept is not None and kept[0] is raw:
        return kept[1]
    cursor = pooled.cursor()
    pooled.info[_CURSOR] = (raw, cursor)
    return cursor


def _cursor_listeners(connection: Connection) -> bool:
    """Whether anyone listens for the cursor's statements (a test counting them, tracing).

    Asked of the engine's own listener lists, not the connection's: each new connection
    joins the engine's dispatch afresh, and walking the joined lists cost a dozen
    Python calls per statement even when both were empty. A listener on the
    connection itself sets its `_has_events`, as SQLAlchemy's own checks assume."""
    if connection._has_events:
        return True
    engine_dispatch = connection.engine.dispatch
    return bool(engine_dispatch.before_cursor_execute or engine_dispatch.after_cursor_execute)

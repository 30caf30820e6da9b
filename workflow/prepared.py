"""Write statements compiled once per dialect and handed straight to the driver.

Executing a Core statement costs about 25 µs of SQLAlchemy's bookkeeping before the
driver sees it (cache key, compiled-cache look-up, parameter processing, result set-up):
more than SQLite takes to run it, and an action makes half a dozen. Its writes are
fixed statements, so each is compiled once per dialect, its parameters converted by the
columns' own types (the same bind processors Core would apply: aware UTC times, JSON,
booleans) and sent on the connection's DB-API cursor (`workflow.driver`): the same
connection and transaction, and the same engine events
(`tests/integration/test_statement_counts.py` still sees each one).

Only for statements whose every value is a bound parameter: a column with a Python-side
default or `onupdate` would be skipped silently by the driver, so preparing one refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from workflow.driver import DriverResult, on_cursor
from workflow.tables import UTCDateTime, sqlite_utc_text

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement for one dialect: its SQL, and how to turn values into parameters."""

    def __init__(self, statement: sa.ClauseElement, keys: Sequence[str] | None, dialect: Dialect):
        compiled = statement.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        assert isinstance(compiled, SQLCompiler)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError(f"{statement!r}: a column default the driver would not apply")
        # Expanded once with a stand-in for each value the caller gives: literal IN lists
        # (`status IN ('pending', 'stuck')`) become plain binds with their values.
        given = {name: None for name, bind in compiled.binds.items() if bind.required}
        expanded = compiled.construct_expanded_state(given)
        self.sql = expanded.statement
        self.positional = dialect.positional
        names = list(expanded.positiontup or expanded.parameters)
        self.names = names
        # Values the statement carries itself; the caller must give every other one.
        self.defaults = {n: expanded.parameters.get(n) for n in names if n not in given}
        processors: dict[str, _Processor] = {
            name: _processor(bind.type, dialect) for name, bind in compiled.binds.items()
        }
        processors.update(expanded.processors)  # the expanded IN lists' own names
        self.processors: list[tuple[str, _Processor]] = [(n, processors.get(n)) for n in names]
        # Per parameter: its name, the value it takes when the caller gives none
        # (`_REQUIRED`: the caller must give it) and its converter, if any.
        self._plan = [(n, self.defaults.get(n, _REQUIRED), p) for n, p in self.processors]
        # A SELECT's columns, in order: their names and types (for `PreparedRead`).
        self.columns = [(c.keyname, c.type) for c in compiled._result_columns]
        self.returns_rows = _returns_rows(statement, compiled, self.sql)

    def parameters(self, values: Mapping[str, Any]) -> Any:
        # One comprehension, no per-value method calls: run for every row of every
        # statement of an action, this loop was a tenth of a SQLite action's CPU.
        get = values.get
        converted = [
            value if process is None or value is None else process(value)
            for name, default, process in self._plan
            if (value := get(name, default)) is not _REQUIRED or _missing(name)
        ]
        return (
            tuple(converted) if self.positional else dict(zip(self.names, converted, strict=True))
        )


_REQUIRED: Any = object()  # a parameter the caller must give: no default in the statement


def _missing(name: str) -> bool:
    raise KeyError(name)


def _returns_rows(statement: sa.ClauseElement, compiled: SQLCompiler, sql: str) -> bool:
    """Whether the driver will have rows to fetch (asking the cursor costs, on psycopg)."""
    if isinstance(statement, sa.TextClause):  # plain SQL text: read what it says
        text = sql.lstrip().upper()
        return text.startswith(("SELECT", "WITH")) or " RETURNING " in text
    if compiled.isinsert or compiled.isupdate or compiled.isdelete:
        return bool(compiled.effective_returning)
    return True


def _processor(type_: Any, dialect: Dialect) -> _Processor:
    if isinstance(type_, UTCDateTime) and dialect.name == "sqlite":
        return _sqlite_utc
    processor: _Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


# An action binds the same few moments again and again; equal moments share an entry.
_sqlite_utc = lru_cache(maxsize=4096)(sqlite_utc_text)


class Prepared:
    """A Core statement run on the driver with its parameters converted as Core would.

    `keys`: for an INSERT, the columns every row gives (as `column_keys` to compile)."""

    def __init__(self, statement: sa.ClauseElement, keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.keys = tuple(keys) if keys is not None else None
        self._compiled: dict[Dialect, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            if len(self._compiled) >= 16:  # tests build many engines, each with a dialect
                self._compiled.clear()
            found = self._compiled[dialect] = _Compiled(self.statement, self.keys, dialect)
        return found

    def run(
        self, connection: Connection, values: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> DriverResult:
        """Execute with one set of values, or with a list of them (the driver's executemany)."""
        compiled = self._for(connection.dialect)
        if isinstance(values, Mapping):
            parameters = compiled.parameters(values)
            return on_cursor(
                connection, compiled.sql, parameters, returns_rows=compiled.returns_rows
            )
        rows = [compiled.parameters(v) for v in values]
        # No rows from an executemany: DB-API drivers keep none (psycopg only if asked).
        return on_cursor(connection, compiled.sql, rows, many=True)

    def insert_rows(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """An INSERT's rows, however many. On the driver, except a batch's on PostgreSQL:
        there Core sends them as a few multi-row INSERTs, where the driver's executemany
        makes a round trip a row. SQLite has no round trips to save, and Core's conversion
        of each row cost more than the inserts (a tenth of a sweep's batch)."""
        if not rows:
            return
        if len(rows) > _FEW_ROWS and connection.dialect.name == "postgresql":
            assert isinstance(self.statement, sa.Insert), "insert_rows is for an INSERT"
            connection.execute(self.statement, list(rows))
        else:
            self.run(connection, rows[0] if len(rows) == 1 else rows)


_FEW_ROWS = 8  # an action's rows: on the driver whatever the database


class PlainRow:
    """A row read by `PreparedRead`: its values by column name, as `row.name` or through
    `row._mapping`, like the Core rows the callers read before."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]) -> None:
        self._mapping = mapping

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


class PreparedRead(Prepared):
    """A SELECT compiled once and run on the driver, its values converted by the columns'
    own result processors (the ones Core applies: aware UTC times, JSON, booleans).

    For an action's one read: Core spends more on the statement's cache key and the
    result's set-up than SQLite spends running it."""

    def __init__(self, statement: sa.ClauseElement) -> None:
        super().__init__(statement)
        self._converters: dict[Dialect, list[tuple[str, _Processor]]] = {}

    def first(self, connection: Connection, values: Mapping[str, Any]) -> PlainRow | None:
        compiled = self._for(connection.dialect)
        converters = self._converters.get(connection.dialect)
        parameters = compiled.parameters(values)
        result = on_cursor(connection, compiled.sql, parameters, returns_rows=True,
                           describe=converters is None)  # fmt: skip
        if not result.rows:
            return None
        if converters is None:  # the driver's column types, as Core reads them
            if len(self._converters) >= 16:  # as `_for`: tests build many engines
                self._converters.clear()
            converters = self._converters[connection.dialect] = [
                (name, type_._cached_result_processor(connection.dialect, described[1]))
                for (name, type_), described in zip(
                    compiled.columns, result.description, strict=True
                )
            ]
        return PlainRow(
            {
                name: value if convert is None or value is None else convert(value)
                for (name, convert), value in zip(converters, result.rows[0], strict=True)
            }
        )

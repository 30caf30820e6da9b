"""Many rows through one statement, handed to the database driver as they are.

SQLAlchemy's `executemany` converts every value of every row through its type
(a time to text on SQLite, a dict to JSON) and builds a parameter set per row: for a
sweep's batch of a thousand planned deadlines that costs more than the database's own
work. A `DriverStatement` is a Core statement compiled once per dialect; its caller
gives rows already in the driver's form (`driver_time`, `driver_json`), so each row
costs one tuple or dict and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from workflow.tables import UTCDateTime


class DriverStatement:
    """`over_arrays`: on PostgreSQL, the same writes as ONE statement over arrays
    (`unnest`), each `%(key)s` in it bound as the array of the rows' values for that key:
    one execution instead of one per row."""

    def __init__(self, statement: sa.Executable, over_arrays: str | None = None) -> None:
        self.statement = statement
        self.over_arrays = over_arrays
        self._compiled: dict[str, tuple[str, Sequence[str] | None, dict[str, Any]]] = {}

    def executemany(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Make the statement's write for each row; return the rows changed."""
        if self.over_arrays and connection.dialect.name == "postgresql":
            arrays = {key: [row[key] for row in rows] for key in rows[0]}
            return connection.exec_driver_sql(self.over_arrays, arrays).rowcount
        sql, positions, fixed = self._for(connection.dialect)
        if fixed:
            rows = [{**fixed, **row} for row in rows]
        if positions is None:
            params: Any = rows
        else:
            params = [tuple(row[name] for name in positions) for row in rows]
        return connection.exec_driver_sql(sql, params).rowcount

    def _for(self, dialect: sa.Dialect) -> tuple[str, Sequence[str] | None, dict[str, Any]]:
        if dialect.name not in self._compiled:
            compiled = self.statement.compile(dialect=dialect, for_executemany=True)  # type: ignore[attr-defined]
            fixed = {
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required
            }
            for name, value in fixed.items():  # a text or number the statement holds
                if value is not None and not isinstance(value, str | int):
                    raise ValueError(f"{name}: only text and numbers pass as they are")
            self._compiled[dialect.name] = (str(compiled), compiled.positiontup, fixed)
        return self._compiled[dialect.name]


def driver_time(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """An aware time as the driver takes it for a `UTCDateTime` column."""
    if dialect.name == "sqlite":
        return UTCDateTime().bind_processor(dialect)  # type: ignore[no-any-return]
    return lambda moment: UTCDateTime().process_bind_param(moment, dialect)


def driver_json(value: Any) -> str:
    """A JSON column's value (the text SQLite keeps; PostgreSQL casts it to JSONB)."""
    return json.dumps(value)

"""A sweep's batch in few statements: its ids as one value, its rows as arrays.

An expanding `IN` renders one placeholder per id. On PostgreSQL, psycopg parses a
statement of 500 placeholders afresh on every execution (it caches only short ones),
which cost the sweep more than the statements themselves; `= ANY(:ids)` binds the
batch as one array instead. SQLite has no arrays: it keeps the expanding `IN`.

Likewise a batch's rows: on PostgreSQL one statement over arrays (`unnest`) makes a
thousand rows' writes in one execution, where an `executemany` runs one per row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

S = TypeVar("S", bound=sa.Executable)
Criterion = Callable[[sa.ColumnElement[Any], str], sa.ColumnElement[bool]]
DIALECTS = ("sqlite", "postgresql")


def _pg(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))


def _other(column: sa.ColumnElement[Any], name: str) -> sa.ColumnElement[bool]:
    return column.in_(sa.bindparam(name, expanding=True))


class PerDialect(Generic[S]):
    """One statement per dialect, built once; `build(in_set)` makes it, where
    `in_set(column, "name")` is the criterion "column is one of the ids bound as name"."""

    def __init__(self, build: Callable[[Criterion], S]) -> None:
        self._built = {name: build(_pg if name == "postgresql" else _other) for name in DIALECTS}

    def on(self, connection: sa.Connection) -> S:
        return self._built.get(connection.dialect.name, self._built["sqlite"])


class OverArrays:
    """PostgreSQL only: the rows' writes as ONE statement over arrays. Each `%(key)s` in
    `sql` is bound as the list of the rows' values for `key` (those in `json_keys` as
    JSON text, for a `::jsonb[]` cast); times must be aware, as the tables keep them."""

    def __init__(self, sql: str, json_keys: Sequence[str] = ()) -> None:
        self.sql = sql
        self.keys = tuple(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
        self.json = frozenset(json_keys)

    def run(self, connection: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Make every row's write; return how many rows the statement changed."""
        assert connection.dialect.name == "postgresql", "arrays are PostgreSQL's"
        arrays = {
            key: [json.dumps(row[key]) for row in rows]
            if key in self.json
            else [row[key] for row in rows]
            for key in self.keys
        }
        return connection.exec_driver_sql(self.sql, arrays).rowcount

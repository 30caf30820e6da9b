"""A batch's ids as one bound value: statements built once per dialect.

An expanding `IN` renders one placeholder per id. On PostgreSQL, psycopg parses a
statement of 500 placeholders afresh on every execution (it caches only short ones),
which cost the sweep more than the statements themselves; `= ANY(:ids)` binds the
batch as one array instead. SQLite has no arrays: it keeps the expanding `IN`.
"""

from __future__ import annotations

from collections.abc import Callable
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

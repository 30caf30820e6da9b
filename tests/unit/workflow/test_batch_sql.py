"""The sweep's batch statements: SQLite times stored as before, ids as one array on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from workflow.batch_sql import PerDialect
from workflow.tables import UTCDateTime

PG = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
MOMENTS = [
    datetime(2027, 1, 15, 17, 5, tzinfo=UTC),
    datetime(2027, 6, 1, 9, 0, 1, 5, tzinfo=timezone(timedelta(hours=1))),
    datetime(2027, 7, 1, 0, 30, tzinfo=ZoneInfo("Europe/London")),  # the day before in UTC
    datetime(5, 1, 1, tzinfo=UTC),
]


def _fast(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    process = UTCDateTime().bind_processor(dialect)
    assert process is not None
    return process  # type: ignore[no-any-return]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sqlite_times_are_stored_as_sqlalchemy_stores_them(moment: datetime) -> None:
    # Stored times are compared as text on SQLite: the fast path must write the same text.
    dialect = sqlite.dialect()
    plain = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert plain is not None
    expected = plain(moment.astimezone(UTC).replace(tzinfo=None))
    assert _fast(dialect)(moment) == expected


def test_naive_times_are_refused_on_both_paths() -> None:
    naive = datetime(2027, 1, 15, 17, 5)
    with pytest.raises(ValueError, match="naive"):
        _fast(sqlite.dialect())(naive)
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(naive, PG)


def test_a_batch_of_ids_is_one_array_on_postgresql_and_a_list_elsewhere() -> None:
    table = sa.table("t", sa.column("id", sa.Integer))
    query = PerDialect(lambda in_set: sa.select(table.c.id).where(in_set(table.c.id, "ids")))
    pg = str(query._built["postgresql"].compile(dialect=PG))
    lite = str(query._built["sqlite"].compile(dialect=sqlite.dialect()))
    assert "= ANY (%(ids)s" in pg
    assert "IN (__[POSTCOMPILE_ids])" in lite

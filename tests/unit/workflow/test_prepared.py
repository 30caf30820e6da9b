"""Statements run on the driver get the parameters Core would have sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from workflow.deadline_planner import _CANCEL_ONE_BUT_THE_CAP
from workflow.domain import TRACKED_FIELDS
from workflow.prepared import Prepared
from workflow.repository import _save_for, _save_of
from workflow.tables import UTCDateTime

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.psycopg.dialect()}
MOMENTS = [
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 12, tzinfo=UTC),
    datetime(2026, 6, 2, 23, 4, 5, 999999, tzinfo=timezone(timedelta(hours=1))),
]


def _core(statement: Any, values: dict[str, Any], dialect: sa.Dialect) -> list[Any]:
    """The parameters Core sends, in the statement's order."""
    compiled = statement.compile(dialect=dialect)
    state = compiled.construct_expanded_state(values)
    processors = {**compiled._bind_processors, **state.processors}
    names = state.positiontup or list(state.parameters)
    raw = [state.parameters[n] for n in names]
    return [processors[n](v) if n in processors and v is not None else v
            for n, v in zip(names, raw, strict=True)]  # fmt: skip


@pytest.mark.parametrize("dialect", DIALECTS.values(), ids=DIALECTS.keys())
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_save_sends_what_core_sends(dialect: sa.Dialect, moment: datetime) -> None:
    save_all = _save_for(TRACKED_FIELDS)
    values = {name: None for name in save_all._for(dialect).names}
    values.update(state="paused", due_at=moment, paused_at=moment, updated_at=moment,
                  informal_recorded=True, version=3, _id=7, _version=2)  # fmt: skip
    sent = save_all._for(dialect).parameters(values)
    as_list = list(sent) if isinstance(sent, tuple) else list(sent.values())
    assert as_list == _core(_save_of(TRACKED_FIELDS), values, dialect)


@pytest.mark.parametrize("dialect", DIALECTS.values(), ids=DIALECTS.keys())
def test_literal_in_lists_keep_their_values(dialect: sa.Dialect) -> None:
    compiled = _CANCEL_ONE_BUT_THE_CAP._for(dialect)
    sent = compiled.parameters({"challenge": 4, "outcome": "moved on", "wall": MOMENTS[0]})
    values = list(sent) if isinstance(sent, tuple) else list(sent.values())
    assert {"pending", "stuck", "cap", "cancelled", 4, "moved on"} <= set(values)


def test_a_value_the_caller_must_give_is_never_sent_as_null() -> None:
    with pytest.raises(KeyError):
        _CANCEL_ONE_BUT_THE_CAP._for(DIALECTS["sqlite"]).parameters({"challenge": 4})


def test_naive_times_are_refused_as_core_refuses_them() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime))
    prepared = Prepared(sa.insert(table), ["at"])
    with pytest.raises(ValueError, match="naive"):
        prepared._for(DIALECTS["sqlite"]).parameters({"at": datetime(2026, 1, 1)})


def test_a_column_default_the_driver_would_skip_is_refused() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer),
                     sa.Column("b", sa.Integer, default=5))  # fmt: skip
    with pytest.raises(ValueError, match="default"):
        Prepared(sa.insert(table), ["a"])._for(DIALECTS["sqlite"])

"""The compared periods: the same period a year earlier beside the previous period, and
"no data for that period" in the cells of a compared period before anything was recorded.

Every compared figure names its previous-period columns "Previous period" (beside "This
period") or "Previous: <column>" (beside "<Column>"). The year-earlier column is that
period's "This period" (or "<Column>") as the same builder counts it for the year-earlier
period: each figure stays defined once, by its builder, whatever the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import FIGURE_BY_KEY, NO_DATA, YEAR_EARLIER, Period
from workflow.report_queries.model import Cell, Table
from workflow.report_queries.schema import ACT, CH, GP

PREVIOUS = "Previous period"
THIS = "This period"
_PREVIOUS_OF = "Previous: "
_TOTALS = ("Total", "All ")


def previous_columns(table: Table) -> list[int]:
    """The columns that hold the previous period's figures."""
    return [i for i, c in enumerate(table.columns) if c == PREVIOUS or c.startswith(_PREVIOUS_OF)]


def _source_and_title(table: Table, column: int) -> tuple[int, str]:
    """The column a year-earlier run is read from for the previous column `column`, and the
    added column's header."""
    name = table.columns[column]
    if name == PREVIOUS:
        return table.columns.index(THIS), YEAR_EARLIER
    what = name.removeprefix(_PREVIOUS_OF)
    lowered = [c.lower() for c in table.columns]
    return lowered.index(what.lower()), f"{YEAR_EARLIER}: {what}"


def is_compared(table: Table) -> bool:
    return FIGURE_BY_KEY[table.key].compared and bool(previous_columns(table))


def add_year_earlier(table: Table, year: Table | None) -> list[int]:
    """Append the year-earlier columns to `table`, read from `year` (the same figure counted
    for the year-earlier period) or, when `year` is None (the year earlier is the previous
    period, as for a whole year), copied from the previous columns. Rows are matched by their
    first cell; a row only the year earlier has is added before the totals, with zeros (or
    no value where the figure has none) for this and the previous period. Returns the
    indices of the added columns."""
    pairs = [(p, *_source_and_title(table, p)) for p in previous_columns(table)]
    width = len(table.columns)
    table.columns += [title for _, _, title in pairs]
    by_label = {str(r[0]): r for r in year.rows} if year is not None else {}
    for row in table.rows:
        found = by_label.pop(str(row[0]), None)
        row += [row[p] if year is None else (found[s] if found else 0) for p, s, _ in pairs]
    if year is not None:
        drills = dict(zip((str(r[0]) for r in year.rows), year.drill, strict=True))
        for label, found in by_label.items():
            blank = [_nothing(found[i]) for i in range(1, width)]
            _insert_before_totals(table, [label, *blank, *(found[s] for _, s, _ in pairs)],
                                  drills.get(label))  # fmt: skip
    return list(range(width, len(table.columns)))


def _nothing(like: Cell) -> Cell:
    return 0 if isinstance(like, int) else None


def _insert_before_totals(table: Table, row: list[Cell], drill: str | None) -> None:
    at = next((i for i, r in enumerate(table.rows) if str(r[0]).startswith(_TOTALS)),
              len(table.rows))  # fmt: skip
    table.rows.insert(at, row)
    table.drill.insert(at, drill)


def say_no_data(table: Table, columns: Sequence[int]) -> None:
    """Every cell of `columns` reads "no data for that period" (and is not charted)."""
    for row in table.rows:
        for c in columns:
            row[c] = NO_DATA
    table.chart_columns = tuple(c for c in table.chart_columns if c not in columns)


def has_data(conn: Connection, period: Period) -> bool:
    """Whether anything at all (a challenge, IRO activity, good practice) was recorded before
    the period ended: if not, the service was not yet in use and its zeros mean no data."""
    after = period.end + timedelta(days=1)
    return _anything_before(conn, after)


def _anything_before(conn: Connection, day: date) -> bool:
    start = Period(day, day).bounds()[0]
    probes = (
        sa.select(CH.c.id).where(CH.c.raised_at < start).limit(1),
        sa.select(ACT.c.id).where(ACT.c.occurred_on < day).limit(1),
        sa.select(GP.c.id).where(GP.c.occurred_on < day).limit(1),
    )
    return any(conn.execute(p).first() is not None for p in probes)

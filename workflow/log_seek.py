"""Keyset (seek) pagination for the challenge log: a page starts where the last one stopped.

A page of the log is found by seeking in the sort order's index to the row after the last
one shown (a cursor carries its sort key), never by counting past the rows before it:
page 2,000 costs what page 2 costs. Pages by number reach the first `NUMBERED_PAGES`
only (those few rows are cheap to step over).

Every sort ends in the id, so ties have one order. A column that can be empty (the due
date, the stage) puts empty ones last going up and first going down, on both databases,
by reading the filled and the empty part of its index one after the other.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from workflow.errors import LogPageOutOfReach
from workflow.tables import ChallengeRecord

_C = ChallengeRecord.__table__  # type: ignore[attr-defined]

# Pages by number reach this far; after that, the next page's cursor.
NUMBERED_PAGES = 10


@dataclass(frozen=True)
class SortKey:
    column: str
    nullable: bool = False
    unique: bool = False  # no id needed to break ties


SORT_KEYS = {
    "raised": SortKey("raised_at"),
    "due": SortKey("due_at", nullable=True),
    "reference": SortKey("reference", unique=True),
    "status": SortKey("state"),
    "stage": SortKey("stage_key", nullable=True),
}


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the row with this sort key."""

    sort: str
    descending: bool
    value: Any  # the sort column's value in that row (None when empty)
    id: int
    page: int  # the number of the page it leads to, for the page's caption
    before: bool = False

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([self.sort, self.descending, value, self.id, self.page, self.before])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text: str, sort: str, descending: bool) -> Cursor:
    """The cursor in a link, if it is one made for this sort order."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        s, desc, value, id_, page, before = json.loads(raw)
        if s not in SORT_KEYS or not isinstance(id_, int) or not isinstance(page, int):
            raise ValueError(s)
        if SORT_KEYS[s].column.endswith("_at") and value is not None:
            value = datetime.fromisoformat(value)
        elif value is not None and not isinstance(value, str):
            raise ValueError(value)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as bad:
        raise LogPageOutOfReach(
            "That page link is not one this service made: start again from the first page",
            field="cursor",
        ) from bad
    if (s, bool(desc)) != (sort, descending):
        raise LogPageOutOfReach(
            "That page link was made for another sort order: start again from the first page",
            field="cursor",
        )
    return Cursor(s, bool(desc), value, id_, max(1, page), bool(before))


def cursor_at(row: Any, sort: str, descending: bool, page: int, before: bool = False) -> Cursor:
    """The cursor for the page after (or before) this row."""
    key = SORT_KEYS[sort]
    return Cursor(sort, descending, getattr(row, key.column), row.id, page, before)


def segments(
    sort: str, descending: bool, cursor: Cursor | None
) -> Iterator[tuple[list[sa.ColumnElement[bool]], list[Any]]]:
    """The conditions and order of each part of the index to read, in the order the rows
    come: one part, or for a column that can be empty its filled and its empty part."""
    key = SORT_KEYS[sort]
    col, id_ = _C.c[key.column], _C.c.id
    up = descending == (cursor is not None and cursor.before)  # reading the index upwards
    order = [col.asc(), id_.asc()] if up else [col.desc(), id_.desc()]
    if key.unique:
        order = order[:1]
    filled: list[sa.ColumnElement[bool]] = [col.is_not(None)] if key.nullable else []
    empty: list[sa.ColumnElement[bool]] = [col.is_(None)]
    empty_order = [id_.asc() if up else id_.desc()]
    if cursor is None:
        parts = [(filled, order), (empty, empty_order)] if key.nullable else [(filled, order)]
        yield from parts if up else reversed(parts)
        return
    if cursor.value is None:  # the cursor is in the empty part
        past_id = id_ > cursor.id if up else id_ < cursor.id
        yield [*empty, past_id], empty_order
        if not up:
            yield filled, order
        return
    if key.unique:
        past = col > cursor.value if up else col < cursor.value
    else:
        row, at = sa.tuple_(col, id_), sa.tuple_(sa.literal(cursor.value, col.type), cursor.id)
        past = row > at if up else row < at
    yield [*filled, past], order
    if up and key.nullable:
        yield empty, empty_order


def check_page(page: int, cursor: Cursor | None) -> None:
    if cursor is None and page > NUMBERED_PAGES:
        raise LogPageOutOfReach(
            f"Pages by number go up to {NUMBERED_PAGES}. For the pages after that, follow the "
            "link to the next page (in the API, the 'next' cursor in the answer or its Link "
            "header)"
        )


@dataclass(frozen=True)
class Found:
    ids: list[int]  # the page's challenges, in order
    has_next: bool
    has_previous: bool


def page_ids(
    session: Any,
    where: list[sa.ColumnElement[bool]],
    sort: str,
    descending: bool,
    cursor: Cursor | None,
    page: int,
    per_page: int,
    few: bool = False,
) -> Found:
    """The ids of one page: after (or before) the cursor, or the numbered page `page`.

    `few`: the matches are known to be few (counted exactly): read them all through the
    filters' own indexes and sort them, rather than walk the sort order's index hoping to
    meet them soon. A planner guessing how many rows a condition keeps (a viewer's
    visibility, a few children) may walk most of the table for a handful of rows.

    Reads one more than it shows, to know whether there is a page beyond."""
    skip = 0 if cursor is not None else (page - 1) * per_page
    wanted = skip + per_page + 1
    found: list[int] = []
    for conditions, order in segments(sort, descending, cursor):
        if few:
            query = _sorted_matches([*where, *conditions], SORT_KEYS[sort].column, order)
        else:
            query = sa.select(_C.c.id).where(*where, *conditions).order_by(*order)
        found += session.execute(query.limit(wanted - len(found))).scalars()
        if len(found) >= wanted:
            break
    if cursor is not None and cursor.before:
        return Found(found[:per_page][::-1], True, len(found) > per_page)
    shown = found[skip : skip + per_page]
    return Found(shown, len(found) > skip + per_page, cursor is not None or page > 1)


def _sorted_matches(where: list[sa.ColumnElement[bool]], column: str, order: list[Any]) -> Any:
    """The matches' ids with their sort key, gathered first (a materialised CTE, so neither
    database can turn it back into a walk of the sort order's index), then sorted."""
    matches = (
        sa.select(_C.c.id, _C.c[column]).where(*where).cte("matches").prefix_with("MATERIALIZED")
    )
    on_matches = ClauseAdapter(matches)
    return sa.select(matches.c.id).order_by(*(on_matches.traverse(o) for o in order))

"""Read-side queries for the pages and the API: who may see what, dashboards, the log.

Everything is filtered, sorted, counted and paginated in SQL; nothing loads every row.
The visibility rule lives here once (`visible_to`) so pages, the API and the CSV
export cannot disagree about who sees which challenge.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from escalation_rules.model import Role
from workflow import log_seek
from workflow.addressed import addressing, event_responder_id
from workflow.child_access import covered_iros, iro_children, london_today
from workflow.states import CLOCK_RUNNING_STATES, OPEN_STATES, State
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person, Team, Theme

LONDON = ZoneInfo("Europe/London")
SEE_ALL_ROLES = frozenset({Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN})
_C = ChallengeRecord.__table__  # type: ignore[attr-defined]
_E = ChallengeEvent.__table__  # type: ignore[attr-defined]
_CH = Child.__table__  # type: ignore[attr-defined]
_P = Person.__table__  # type: ignore[attr-defined]
_T = Team.__table__  # type: ignore[attr-defined]
_TH = Theme.__table__  # type: ignore[attr-defined]
_OPEN = sorted(s.value for s in OPEN_STATES)
_RUNNING = sorted(s.value for s in CLOCK_RUNNING_STATES)


# -- who may see what ------------------------------------------------------------------


def visible_to(person_id: int, role: Role, today: date | None = None) -> sa.ColumnElement[bool]:
    """The SQL condition on `challenge` for the challenges a person may see.

    IROs: those they raised and those of children they are IRO for or cover today
    (`workflow.child_access`). Responders:
    those addressed to them now or earlier, those they escalated, and those they deputise on now.
    Head of Service, senior managers and admins: all. SMT readers: none (reports only).

    A responder's parts are each a look-up in an index of their own (migration 0024), and the
    condition is "among" their union (`_among`): ORed together with subqueries, PostgreSQL
    read every challenge and every addressing event's JSON to check them (0.5-1.7 s a count
    at 1,000,000 challenges), and SQLite did too (12-36 s). What they cost now grows with the
    person's own challenges, not with the table.
    """
    if role in SEE_ALL_ROLES:
        return sa.true()
    if role is Role.SMT_READER:
        return sa.false()
    if role is Role.IRO:
        # What they raised, or is about a child they oversee or cover. On PostgreSQL the
        # children are gathered first by look-up (`_among`: their own by `ix_child_iro_id`,
        # those they cover through `iro_cover`) and the challenges compared with that list,
        # which the planner can answer from the challenges' indexes, or check row by row
        # while walking the sort order when the caseload is large. With the children as a
        # subquery it could use no index: it read every challenge and every child (27 ms a
        # count at 100,000, 2.9 s a page under 8 clients at 1,000,000). Gathering the
        # challenges' ids as well was as fast for a caseload of hundreds but three times
        # slower for one of 33,000 (the benchmark's `--one-council` stress). On SQLite the
        # subquery form, checked row by row, reads the caseload through the IRO's and the
        # children's indexes already (`HIDDEN_FOR_CASELOAD` in `challenge_log`).
        today = today or london_today()
        own = iro_children(person_id, today)
        return _per_database(
            sa.or_(
                _C.c.raised_by_id == person_id,
                _C.c.child_id.in_(sa.select(_CH.c.id).where(own)),
            ),
            sa.or_(
                _C.c.raised_by_id == person_id,
                _among(
                    _C.c.child_id,
                    sa.union(
                        sa.select(_CH.c.id).where(_CH.c.iro_id == person_id),
                        sa.select(_CH.c.id).where(_CH.c.iro_id.in_(covered_iros(person_id, today))),
                    ).scalar_subquery(),
                ),
            ),
        )
    # Addressed to them, or moved into a stage by them (a post the ladder lets raise it):
    # whoever escalated a challenge still sees what they did once it has climbed past them.
    deputising = sa.select(_P.c.id).where(_P.c.deputy_id == person_id)
    addressed = addressing(_E.c.kind)
    return _among(
        _C.c.id,
        sa.union(
            sa.select(_C.c.id).where(_C.c.responder_id == person_id),
            sa.select(_C.c.id).where(_C.c.responder_id.in_(deputising)),
            sa.select(_E.c.challenge_id).where(addressed, event_responder_id() == person_id),
            sa.select(_E.c.challenge_id).where(addressed, _E.c.actor_id == person_id),
        ).scalar_subquery(),
    )


class _among(FunctionElement[bool]):  # noqa: N801  (used like a SQL operator)
    """`column IN (ids)`; on PostgreSQL `column = ANY(ARRAY(ids))`: the ids are gathered once,
    then looked up by the column's index. As `IN`, PostgreSQL joined them to the whole table
    (guessing 20,000 ids for 7,900, it hashed them and read all 1,000,000 challenges)."""

    type = sa.Boolean()
    inherit_cache = True
    # A condition already: compared with 1 (as SQLite is sent a function's truth), SQLite
    # checked every challenge against the list instead of looking the ids up (13 ms a count
    # at 100,000 against 0.2).
    _is_implicitly_boolean = True


@compiles(_among)
def _among_postgresql(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"{column} = ANY(ARRAY{ids})"


@compiles(_among, "sqlite")
def _among_sqlite(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"{column} IN {ids}"


class _per_database(FunctionElement[bool]):  # noqa: N801  (used like a SQL operator)
    """One condition written two ways, each as its database can answer it from its
    indexes: the first on SQLite, the second on PostgreSQL."""

    type = sa.Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # as `_among`


@compiles(_per_database)
def _per_database_postgresql(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses.clauses[1], **kw)})"


@compiles(_per_database, "sqlite")
def _per_database_sqlite(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses.clauses[0], **kw)})"


def may_view(session: Session, person_id: int, role: Role, reference: str) -> bool:
    found = session.execute(
        sa.select(_C.c.id).where(_C.c.reference == reference, visible_to(person_id, role))
    ).first()
    if found is not None:
        return True
    # A post the ladder lets raise a higher stage (the Head of QA), or copies or tells at
    # the challenge's stage, sees the challenge too.
    from workflow.routing import reach  # routing reads the ladder; queries need not

    return role is not Role.SMT_READER and bool(reach(session, person_id, reference).ids)


# -- one challenge -------------------------------------------------------------------


_IRO = aliased(_P, name="iro")
_RESP = aliased(_P, name="responder")
_SW = aliased(_P, name="sw")

_ROW_COLUMNS = (
    _C.c.id,
    _C.c.reference,
    _C.c.state,
    _C.c.stage_key,
    _C.c.theme_key,
    _TH.c.label.label("theme"),
    _C.c.raised_at,
    _C.c.due_at,
    _C.c.cap_due_at,
    _C.c.resolved_at,
    _C.c.version,
    _C.c.raised_by_id,
    _C.c.responder_id,
    _C.c.child_id,
    _CH.c.case_reference.label("child_reference"),
    _CH.c.display_name.label("child_name"),
    _CH.c.iro_id.label("child_iro_id"),
    _IRO.c.name.label("iro_name"),
    _RESP.c.name.label("responder_name"),
    _T.c.name.label("team_name"),
)


def _joined() -> Any:
    return (
        _C.join(_CH, _CH.c.id == _C.c.child_id)
        .join(_TH, _TH.c.key == _C.c.theme_key)
        .join(_IRO, _IRO.c.id == _C.c.raised_by_id)
        .outerjoin(_RESP, _RESP.c.id == _C.c.responder_id)
        .outerjoin(_SW, _SW.c.id == _CH.c.social_worker_id)
        .outerjoin(_T, _T.c.id == _SW.c.team_id)
    )


@dataclass(frozen=True)
class ChallengeRow:
    """One challenge as the pages and the log show it."""

    id: int
    reference: str
    state: str
    stage_key: str | None
    theme_key: str
    theme: str
    raised_at: datetime
    due_at: datetime | None
    cap_due_at: datetime | None
    resolved_at: datetime | None
    version: int
    raised_by_id: int
    responder_id: int | None
    child_id: int
    child_reference: str
    child_name: str
    child_iro_id: int | None
    iro_name: str
    responder_name: str | None
    team_name: str | None

    def overdue(self, now: datetime) -> bool:
        return self.state in _RUNNING and self.due_at is not None and self.due_at < now

    @property
    def is_open(self) -> bool:
        return self.state in _OPEN


# The row's columns are the record's fields, in order, so a row becomes a record by
# position (by name cost a mapping per row: a twentieth of a log page's CPU).
assert [c.name for c in _ROW_COLUMNS] == list(ChallengeRow.__dataclass_fields__)


def _rows(result: Any) -> list[ChallengeRow]:
    rows = result.all() if isinstance(result, sa.Result) else result  # one fetch, not per row
    return [ChallengeRow(*row) for row in rows]


def challenge_row(session: Session, reference: str) -> ChallengeRow | None:
    rows = _rows(
        session.execute(
            sa.select(*_ROW_COLUMNS).select_from(_joined()).where(_C.c.reference == reference)
        )
    )
    return rows[0] if rows else None


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    kind: str
    occurred_at: datetime
    actor_name: str | None
    from_state: str
    to_state: str
    stage_key: str | None
    details: dict[str, Any]


def timeline(session: Session, challenge_id: int) -> list[TimelineEntry]:
    """Everything that happened to a challenge, oldest first: its footprint."""
    actor = aliased(_P, name="actor")
    result = session.execute(
        sa.select(
            _E.c.seq,
            _E.c.kind,
            _E.c.occurred_at,
            actor.c.name.label("actor_name"),
            _E.c.from_state,
            _E.c.to_state,
            _E.c.stage_key,
            _E.c.details,
        )
        .select_from(_E.outerjoin(actor, actor.c.id == _E.c.actor_id))
        .where(_E.c.challenge_id == challenge_id)
        .order_by(_E.c.seq)
    )
    return [TimelineEntry(**row._mapping) for row in result]


def people_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    result = session.execute(sa.select(_P.c.id, _P.c.name).where(_P.c.id.in_(sorted(set(ids)))))
    return {row.id: row.name for row in result}


# -- dashboards ----------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    awaiting_decision: list[ChallengeRow]
    due_soon: list[ChallengeRow]
    open: list[ChallengeRow]
    to_answer: list[ChallengeRow]
    answered_before: list[ChallengeRow]
    # Open challenges reached through a post: copied on the stage, or may raise above it.
    through_posts: list[ChallengeRow] = field(default_factory=list)


def or_ids(condition: sa.ColumnElement[bool], ids: Iterable[int]) -> sa.ColumnElement[bool]:
    """`condition`, widened to the challenges with these ids (those a post reaches)."""
    wanted = sorted(ids)
    return sa.or_(condition, _C.c.id.in_(wanted)) if wanted else condition


def rows_where(
    session: Session, condition: sa.ColumnElement[bool], limit: int = 50
) -> list[ChallengeRow]:
    """The challenges meeting `condition`, soonest due first."""
    query = (sa.select(*_ROW_COLUMNS).select_from(_joined()).where(condition)
             .order_by(_C.c.due_at.is_(None), _C.c.due_at, _C.c.id).limit(limit))  # fmt: skip
    return _rows(session.execute(query))


def dashboard(
    session: Session, person_id: int, role: Role, now: datetime, limit: int = 50
) -> Dashboard:
    """What a person's home page lists: for IROs their open challenges; for responders what
    waits for their answer and what was addressed to them before."""
    # Each list is the person's own, found by look-ups in indexes (the IRO's, their
    # children's, the responder's), gathered, then sorted (`_own_first`). Written as one
    # query over the joined tables with its order, both databases walked every open
    # challenge in due order checking each: 0.4 s at 100,000 for a Head of Service
    # addressed nothing, seconds at 1,000,000. SQLite (no statistics) is also told not to
    # start from the state's index (`HIDDEN_FOR_CASELOAD`).
    hidden = HIDDEN_FOR_CASELOAD if session.get_bind().dialect.name == "sqlite" else ()
    state = _column("state", hidden)
    if role is Role.IRO:
        children = sa.select(_CH.c.id).where(_CH.c.iro_id == person_id).scalar_subquery()
        mine = sa.or_(_C.c.raised_by_id == person_id, _among(_C.c.child_id, children))
        open_rows = _own_first(session, [mine, state.in_(_OPEN)], "due_at", limit)
        decision = [
            r for r in open_rows if r.state in ("response_received", "awaiting_iro_decision")
        ]
        soon = [
            r
            for r in open_rows
            if r.due_at is not None and r.due_at <= now + timedelta(days=7) and r.state in _RUNNING
        ]
        return Dashboard(decision, soon, open_rows, [], [])
    if role is Role.SMT_READER:
        return Dashboard([], [], [], [], [])
    for_whom = sa.union(
        sa.select(sa.literal(person_id, sa.Integer)),
        sa.select(_P.c.id).where(_P.c.deputy_id == person_id),
    ).scalar_subquery()
    current = _among(_C.c.responder_id, for_whom)
    # Only a challenge awaiting a response waits for its responder; one out of time waits
    # for the IRO's decision, even though the responder is still named on it.
    awaiting = state == State.AWAITING_RESPONSE.value
    to_answer = _own_first(session, [current, awaiting], "due_at", limit)
    if role in SEE_ALL_ROLES:  # they see everything: "addressed to you before" is not theirs
        return Dashboard([], [], [], to_answer, [])
    waiting = {r.id for r in to_answer}
    not_waiting = sa.or_(
        _C.c.responder_id != person_id,
        _C.c.responder_id.is_(None),
        _C.c.state != State.AWAITING_RESPONSE.value,
    )
    before = _own_first(session, [visible_to(person_id, role), not_waiting], "raised_at", limit)
    before = [r for r in before if r.id not in waiting]
    return Dashboard([], [], [], to_answer, before)


def _own_first(
    session: Session, where: list[sa.ColumnElement[bool]], key: str, limit: int
) -> list[ChallengeRow]:
    """The first `limit` challenges under `where`: by due date, soonest first and none
    last (`key` "due_at"), or newest raised first ("raised_at"); ties by id. Gathered with
    their sort key first (a materialised CTE, so neither database can turn it back into a
    walk of the sort order's index), then sorted, then joined for those rows only."""
    own = sa.select(_C.c.id, _C.c[key]).where(*where).cte("own").prefix_with("MATERIALIZED")
    column = own.c[key]
    if key == "due_at":
        order = [column.is_(None), column, own.c.id]
    else:
        order = [column.desc(), own.c.id.desc()]
    ids = session.execute(sa.select(own.c.id).order_by(*order).limit(limit)).scalars().all()
    return _rows_in_order(session, list(ids))


# -- the challenge log ---------------------------------------------------------------

SORTS = {
    "raised": _C.c.raised_at,
    "due": _C.c.due_at,
    "reference": _C.c.reference,
    "status": _C.c.state,
    "stage": _C.c.stage_key,
}


@dataclass(frozen=True)
class LogFilters:
    status: str | None = None  # a state, or "open"
    stage: str | None = None
    theme: str | None = None
    team_id: int | None = None
    iro_id: int | None = None
    responder_id: int | None = None
    overdue: bool = False
    raised_from: date | None = None
    raised_to: date | None = None
    child_reference: str | None = None
    search: str | None = None  # the start of a challenge reference or a child's case reference
    sort: str = "raised"
    descending: bool = True
    page: int = 1
    per_page: int = 50
    cursor: str | None = None  # where a page starts, past the numbered ones (`log_seek`)

    def query_args(self, **changes: Any) -> dict[str, str]:
        """These filters as URL query arguments (for pagination and CSV links)."""
        f = replace(self, **changes)
        args = {
            "status": f.status,
            "stage": f.stage,
            "theme": f.theme,
            "team": f.team_id,
            "iro": f.iro_id,
            "responder": f.responder_id,
            "overdue": "yes" if f.overdue else None,
            "from": f.raised_from.isoformat() if f.raised_from else None,
            "to": f.raised_to.isoformat() if f.raised_to else None,
            "child": f.child_reference,
            "q": f.search,
            "sort": f.sort,
            "order": "desc" if f.descending else "asc",
            "page": f.page if f.page != 1 and not changes.get("cursor") else None,
            "per_page": f.per_page if f.per_page != 50 else None,
            # A cursor belongs to one page: any other link starts from a numbered page.
            "cursor": changes.get("cursor"),
        }
        return {k: str(v) for k, v in args.items() if v not in (None, "")}


# The log counts at most this many matches ("more than 10,000"): an exact count costs a
# walk over every match, which grows with the table; this one stays bounded. The pages
# offered stop there too (200 pages of 50); the CSV export has every row.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class LogPage:
    rows: list[ChallengeRow]
    total: int  # exact, or COUNT_CAP when `more`
    filters: LogFilters
    more: bool = False  # more than COUNT_CAP challenges match
    # The cursors of the pages either side, where those are not reached by number.
    next_cursor: str | None = None
    previous_cursor: str | None = None
    has_previous: bool = False
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.filters.per_page)))

    @property
    def numbered(self) -> int:
        """The pages offered by number (the first few); past them, by cursor."""
        return min(self.pages, log_seek.NUMBERED_PAGES)


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), LONDON)


def _column(name: str, hidden: Collection[str]) -> Any:
    """A challenge column; if `hidden` names it, it is hidden from SQLite's index choice
    (unary +), see below."""
    return sa.literal_column(f"+challenge.{name}") if name in hidden else _C.c[name]


# The filters' columns a walk of the sort order's index hides from SQLite (`challenge_log`).
HIDDEN_FOR_WALK = frozenset({"state", "due_at", "child_id"})
# ...and those hidden for an IRO's list: their caseload is bounded, the state and due-date
# indexes grow with the table (a child's challenges are fewer still, so the child filter
# keeps its index).
HIDDEN_FOR_CASELOAD = frozenset({"state", "due_at"})


def log_conditions(
    f: LogFilters,
    now: datetime,
    hidden: Collection[str] = (),
    children: Sequence[int] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions on `challenge` alone (subqueries for child and team), so counting is cheap.

    `hidden`: columns SQLite is not to choose an index for (`_column`).
    `children`: the ids the child and team filters come to, already read (`_children`);
    then they are a list of values the planner can estimate, not a subquery."""
    where: list[sa.ColumnElement[bool]] = []
    state, due_at = _column("state", hidden), _column("due_at", hidden)
    if f.status == "open":
        where.append(state.in_(_OPEN))
    elif f.status == "ended":
        where.append(state.not_in(_OPEN))
    elif f.status:
        where.append(state == f.status)
    if f.stage:
        where.append(_C.c.stage_key == f.stage)
    if f.theme:
        where.append(_C.c.theme_key == f.theme)
    if f.iro_id is not None:
        where.append(_C.c.raised_by_id == f.iro_id)
    if f.responder_id is not None:
        where.append(_C.c.responder_id == f.responder_id)
    if f.overdue:
        where += [state.in_(_RUNNING), due_at < now]
    if f.raised_from:
        where.append(_C.c.raised_at >= _london_midnight(f.raised_from))
    if f.raised_to:
        where.append(_C.c.raised_at < _london_midnight(f.raised_to + timedelta(days=1)))
    child_id = _column("child_id", hidden)
    if children is not None:
        where.append(_listed(child_id, children))
    elif f.child_reference or f.team_id is not None:
        where.append(child_id.in_(_children_query(f)))
    if f.search:
        where.append(_search(f.search))
    return where


def _listed(
    column: Any, ids: Sequence[int] | None = None, name: str | None = None
) -> sa.ColumnElement[bool]:
    """`column IN ids` (the ids given now, or bound later under `name`); on PostgreSQL the
    ids bound as one array (`= ANY(...)`), so the statement's text is the same whatever
    they are. Written out, a team's 200 children made a 6 KB statement of 200 parameters
    that SQLAlchemy expanded, psycopg parsed afresh (its cache keeps no statement of more
    than 50 parameters) and PostgreSQL planned again, on every page."""
    values = list(ids) if ids is not None else None
    return _per_database(
        column.in_(sa.bindparam(name, values, expanding=True)),
        column == sa.any_(sa.bindparam(name, values, type_=ARRAY(sa.Integer))),
    )


def _children_query(f: LogFilters) -> Any:
    """The ids of the children the child-reference and team filters select."""
    query = sa.select(_CH.c.id)
    if f.child_reference:
        ref = f.child_reference.strip().upper().replace("%", "").replace("_", "")
        query = query.where(_begins(_CH.c.case_reference, f"{ref}%"))
    if f.team_id is not None:
        workers = sa.select(_P.c.id).where(_P.c.team_id == f.team_id)
        query = query.where(_CH.c.social_worker_id.in_(workers))
    return query


def _begins(column: Any, pattern: str) -> sa.ColumnElement[bool]:
    """A reference (a child's case reference, a challenge's) begins with `pattern`'s text
    (upper case, then `%`), in any case, written as each database finds it in
    `ix_child_reference_search` or `ix_challenge_reference_search` (migration 0025):
    PostgreSQL `upper(column) LIKE 'LL12%'` from an index on that expression; SQLite
    `column LIKE 'LL12%'`, its LIKE ignoring case already (ASCII letters, as its upper()
    does), from an index with NOCASE collation: its LIKE cannot use an index on upper()."""
    term = sa.literal(pattern)
    return _per_database(column.like(term), sa.func.upper(column).like(term))


# Up to this many children, the child and team filters are read first and passed as
# values: PostgreSQL cannot estimate `upper(case_reference) LIKE 'LL1234%'` and, guessing
# hundreds of matches, walked the date index for one child's challenges (0.3 s at 100,000).
FEW_CHILDREN = 1000


def _children(session: Session, f: LogFilters) -> list[int] | None:
    if not f.child_reference and f.team_id is None:
        return None
    ids = list(session.execute(_children_query(f).limit(FEW_CHILDREN + 1)).scalars())
    return ids if len(ids) <= FEW_CHILDREN else None


def _search(text: str) -> sa.ColumnElement[bool]:
    """The challenge's reference or its child's begins with `text`: each looked up in its
    index (migration 0025), the children gathered first, so both sides of the OR are index
    reads (about a second a search at 1,000,000 on PostgreSQL when either was not)."""
    term = text.strip().upper().replace("%", "").replace("_", "") + "%"
    children = sa.select(_CH.c.id).where(_begins(_CH.c.case_reference, term))
    return sa.or_(
        _begins(_C.c.reference, term),
        _among(_C.c.child_id, children.scalar_subquery()),
    )


def _ordered(query: Any, f: LogFilters) -> Any:
    column = SORTS.get(f.sort, _C.c.raised_at)
    if f.descending:
        return query.order_by(column.desc(), _C.c.id.desc())
    return query.order_by(column.asc(), _C.c.id.asc())


# How a page's ids are found depends on the count, which the page has already read:
# - up to COUNT_CAP matches (an exact count), from the filters' own indexes, sorted
#   (`log_seek.page_ids(few=True)`): bounded by the cap at any size. Walking the date index
#   instead for 2,500 of 1,000,000 looked at 20,000 rows on SQLite (28 ms against 1), and
#   PostgreSQL, misjudging an IRO's visibility condition, walked 700,000 (5 s) for 101;
# - past it, walking the sort order's index and checking the filters on the way, which
#   meets a page of them soon. SQLite is told to (the filters hidden from its index choice:
#   it keeps no statistics to know); PostgreSQL's planner decides for itself.


def challenge_log(
    session: Session,
    f: LogFilters,
    now: datetime,
    visible: sa.ColumnElement[bool] | None = None,
    viewer_role: Role | None = None,
) -> LogPage:
    """One page of the log: count (up to COUNT_CAP), then the page's ids from `challenge`
    alone, seeking in the sort order's index (`workflow.log_seek`), then the joins for
    those rows only. `visible` limits it to what `viewer_role`'s holder may see."""
    cursor = log_seek.decode(f.cursor, f.sort, f.descending) if f.cursor else None
    log_seek.check_page(f.page, cursor)
    allowed = visible if visible is not None else sa.true()
    children = _children(session, f)
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite keeps no statistics: for anyone who sees only their own challenges it walked
    # every open or overdue challenge of the table checking each against the person's
    # caseload (an IRO's: 0.3 s a count at 1,000,000; a responder's id list: 40-80 ms a
    # query among 100 councils' 1,000,000); from the caseload's own indexes it reads the
    # caseload and checks the state on the way.
    restricted = viewer_role is not None and viewer_role not in SEE_ALL_ROLES
    caseload = HIDDEN_FOR_CASELOAD if sqlite and restricted else ()
    where = [*log_conditions(f, now, caseload, children), allowed]
    matches = sa.select(_C.c.id).where(*where).limit(COUNT_CAP + 1).subquery("matches")
    total = session.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one()
    few = total <= COUNT_CAP
    if sqlite and not few:  # a walk of the sort order's index, which meets a page soon
        hidden = HIDDEN_FOR_WALK if f.sort in ("raised", "reference") else ()
        where = [*log_conditions(f, now, hidden, children), allowed]
    page = cursor.page if cursor is not None else max(1, f.page)
    found = log_seek.page_ids(
        session, where, f.sort, f.descending, cursor, page, f.per_page, few=few
    )
    rows = _rows_in_order(session, found.ids)
    after = before = None
    if found.has_next and rows:
        after = log_seek.cursor_at(rows[-1], f.sort, f.descending, page + 1).encode()
    if found.has_previous and rows and page - 1 > log_seek.NUMBERED_PAGES:
        before = log_seek.cursor_at(rows[0], f.sort, f.descending, page - 1, True).encode()
    return LogPage(
        rows,
        min(int(total), COUNT_CAP),
        replace(f, page=page),
        total > COUNT_CAP,
        next_cursor=after,
        previous_cursor=before,
        has_previous=found.has_previous and page > 1,
    )


# A page's rows by their ids, built once, the ids one array on PostgreSQL (`_listed`):
# as an IN list of 50 values every page was new text, a sixth of a log page's CPU.
_ROWS_BY_ID = sa.select(*_ROW_COLUMNS).select_from(_joined()).where(_listed(_C.c.id, name="ids"))


def _rows_in_order(session: Session, ids: list[int]) -> list[ChallengeRow]:
    if not ids:
        return []
    by_id = {row.id: row for row in _rows(session.execute(_ROWS_BY_ID, {"ids": list(ids)}))}
    return [by_id[i] for i in ids if i in by_id]


def iter_log(
    session: Session,
    f: LogFilters,
    now: datetime,
    visible: sa.ColumnElement[bool] | None = None,
    batch: int = 1000,
) -> Iterator[ChallengeRow]:
    """Every row matching the filters, in order, fetched in batches (for the CSV export)."""
    where = [*log_conditions(f, now), visible if visible is not None else sa.true()]
    query = _ordered(sa.select(*_ROW_COLUMNS).select_from(_joined()).where(*where), f)
    result = session.execute(query.execution_options(yield_per=batch))
    for part in result.partitions(batch):
        yield from _rows(part)


@dataclass(frozen=True)
class LogChoices:
    """What the log's filter controls offer."""

    themes: list[tuple[str, str]]
    teams: list[tuple[int, str]]
    iros: list[tuple[int, str]]
    responders: list[tuple[int, str]]


def log_choices(session: Session) -> LogChoices:
    themes = [
        (r.key, r.label)
        for r in session.execute(
            sa.select(_TH.c.key, _TH.c.label).order_by(_TH.c.position, _TH.c.label)
        )
    ]
    teams = [
        (r.id, r.name) for r in session.execute(sa.select(_T.c.id, _T.c.name).order_by(_T.c.name))
    ]
    people = session.execute(sa.select(_P.c.id, _P.c.name, _P.c.role).order_by(_P.c.name)).all()
    iros = [(r.id, r.name) for r in people if r.role == Role.IRO.value]
    responders = [
        (r.id, r.name)
        for r in people
        if r.role not in (Role.IRO.value, Role.ADMIN.value, Role.SMT_READER.value)
    ]
    return LogChoices(themes, teams, iros, responders)


def open_states() -> list[State]:
    return [s for s in State if s in OPEN_STATES]

"""The log's query shapes give the same rows, in the same order, with the same counts.

A page's ids come either from a filter's index, sorted (few matches: a few children's
challenges from (child_id, raised_at, id)), or from walking the sort order's index and
checking the filters on the way (many matches; on SQLite the filters are hidden from the
index choice past the count's cap). Both must agree with each other and with the rule
itself, computed here in Python: ties in the sort keys broken by the id, empty due dates
last going up and first going down, on both databases, every page followed by its cursor,
for every kind of viewer, whose visibility is worked out here in Python too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from escalation_rules.model import Role
from tests.factories import new_challenge
from workflow import addressed, queries
from workflow.migrate import alembic_config
from workflow.services import raise_challenge, take_action
from workflow.states import CLOCK_RUNNING_STATES, OPEN_STATES
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person

OPEN = {s.value for s in OPEN_STATES}
RUNNING = {s.value for s in CLOCK_RUNNING_STATES}


@pytest.fixture
def tied(runtime, council):
    """Challenges of two children raised at the same moments (ties in the date), informal
    ones, withdrawn ones (no due date), ones not yet due, and ones escalated to the team
    manager (addressed to the social worker before: they still see them)."""
    now = datetime.now(UTC).replace(microsecond=0)
    moments = [now - timedelta(days=20)] * 4 + [now - timedelta(days=3)] * 3 + [now] * 2
    references = []
    for n, at in enumerate(moments):
        child = "LL1001" if n % 2 else "LL1002"
        with runtime.uow() as uow:
            wanted = new_challenge(at, formal=n % 3 != 0, stage="social_worker", child=child)
            references.append(raise_challenge(uow, wanted, council.iro, at).reference)
    for n in (2, 4, 5, 7):  # formal ones; 4 and 5 tie in the date, 5 is withdrawn below
        with runtime.uow() as uow:
            take_action(uow, references[n], "escalate", council.iro, {}, now)
    for reference in references[1::4]:
        with runtime.uow() as uow:
            take_action(uow, reference, "withdraw", council.iro, {"reason": "Sorted"}, now)
    return now


def _all_rows(engine):
    c, child = ChallengeRecord.__table__, Child.__table__
    with engine.connect() as conn:
        return conn.execute(
            sa.select(
                c.c.id, c.c.raised_at, c.c.due_at, c.c.state, child.c.case_reference
            ).join_from(c, child, child.c.id == c.c.child_id)
        ).all()


def _expected(rows, f: queries.LogFilters, now: datetime) -> list[int]:
    def kept(r) -> bool:
        if f.status == "open" and r.state not in OPEN:
            return False
        if f.status not in (None, "open") and r.state != f.status:
            return False
        if f.overdue and not (r.state in RUNNING and r.due_at is not None and r.due_at < now):
            return False
        return not f.child_reference or r.case_reference.startswith(f.child_reference)

    matching = [r for r in rows if kept(r)]
    if f.sort == "raised":
        return [r.id for r in sorted(matching, key=lambda r: (r.raised_at, r.id),
                                     reverse=f.descending)]  # fmt: skip
    filled = sorted((r for r in matching if r.due_at is not None), key=lambda r: (r.due_at, r.id))
    empty = sorted((r for r in matching if r.due_at is None), key=lambda r: r.id)
    ordered = filled + empty  # empty due dates last going up, first going down
    return [r.id for r in (ordered[::-1] if f.descending else ordered)]


def _every_page(engine, f: queries.LogFilters, now: datetime, visible=None, role=None):
    """The ids of every page in order, following each page's next cursor; the totals."""
    seen: list[int] = []
    totals = set()
    while True:
        with Session(engine) as session:
            page = queries.challenge_log(session, f, now, visible, role)
        seen += [r.id for r in page.rows]
        totals.add(page.total)
        if page.next_cursor is None:
            return seen, totals
        f = replace(f, cursor=page.next_cursor)


def _seen_by(engine, person_id: int, role: Role) -> set[int]:
    """Who sees what (`queries.visible_to`), worked out in Python from every row: IROs what
    they raised and their children's; responders what is or was addressed to them (or what
    they addressed), and what waits for someone they deputise for."""
    c, child, e, p = (t.__table__ for t in (ChallengeRecord, Child, ChallengeEvent, Person))
    with engine.connect() as conn:
        challenges = conn.execute(sa.select(c.c.id, c.c.raised_by_id, c.c.responder_id,
                                            child.c.iro_id).join_from(c, child)).all()  # fmt: skip
        events = conn.execute(sa.select(e.c.challenge_id, e.c.kind, e.c.actor_id,
                                        e.c.details)).all()  # fmt: skip
        deputising = set(conn.execute(sa.select(p.c.id).where(p.c.deputy_id == person_id))
                         .scalars())  # fmt: skip
    if role is Role.IRO:  # no cover recorded here
        return {r.id for r in challenges if person_id in (r.raised_by_id, r.iro_id)}
    addressed_to_them = {ev.challenge_id for ev in events
                         if ev.kind in addressed.ADDRESSING_KINDS
                         and person_id in (ev.details.get("responder_id"), ev.actor_id)}  # fmt: skip
    return {r.id for r in challenges if r.responder_id == person_id
            or r.responder_id in deputising or r.id in addressed_to_them}  # fmt: skip


VIEWERS = {  # who, in the council fixture, and in what role
    "head_of_service": ("head_of_service", Role.HEAD_OF_SERVICE),
    "iro": ("iro", Role.IRO),  # raised every challenge
    "other_iro": ("other_iro", Role.IRO),  # made the IRO of one child below
    "social_worker": ("social_worker", Role.SOCIAL_WORKER),
    "team_manager": ("team_manager", Role.TEAM_MANAGER),
    "deputy_team_manager": ("deputy_team_manager", Role.TEAM_MANAGER),
}


@pytest.mark.parametrize("viewer", sorted(VIEWERS))
@pytest.mark.parametrize("cap", [0, 3, 10_000])
def test_every_shape_gives_the_rule_s_rows_and_order(runtime, council, tied, cap, viewer,
                                                     monkeypatch):  # fmt: skip
    """Past the count's cap the page walks the sort order's index; up to it, it sorts the
    matches it gathered: the cap decides the shape, never the rows (for a viewer who sees
    everything, and for each kind of viewer whose visibility is a condition of its own)."""
    monkeypatch.setattr("workflow.queries.COUNT_CAP", cap)
    monkeypatch.setattr("workflow.log_seek.NUMBERED_PAGES", 2)
    now = tied
    with runtime.engine.begin() as conn:  # the other IRO is now the IRO of one child
        conn.execute(sa.update(Child).where(Child.case_reference == "LL1001")
                     .values(iro_id=council.other_iro))  # fmt: skip
    rows = _all_rows(runtime.engine)
    person, role = VIEWERS[viewer]
    person_id = getattr(council, person)
    visible = None if role is Role.HEAD_OF_SERVICE else queries.visible_to(person_id, role)
    if visible is not None:
        seen_by = _seen_by(runtime.engine, person_id, role)
        assert 0 < len(seen_by) <= len(rows)
        # The IRO raised every challenge; each of the others sees some of them.
        assert (len(seen_by) == len(rows)) == (viewer == "iro"), seen_by
        rows = [r for r in rows if r.id in seen_by]
    assert {r.due_at is None for r in rows} == {True, False}  # both kinds of due date
    assert len({r.raised_at for r in rows}) < len(rows)  # ties in the date
    for filters in ({}, {"child_reference": "LL1001"}, {"child_reference": "LL100"},
                    {"status": "open"}, {"overdue": True}, {"status": "withdrawn"},
                    {"status": "open", "child_reference": "LL1002"}):  # fmt: skip
        for sort, descending in (("raised", True), ("raised", False),
                                 ("due", False), ("due", True)):  # fmt: skip
            f = queries.LogFilters(sort=sort, descending=descending, per_page=2, **filters)
            expected = _expected(rows, f, now)
            seen, totals = _every_page(runtime.engine, f, now, visible, role)
            assert seen == expected, (filters, sort, descending)
            assert totals == {min(len(expected), cap)}, (filters, sort, descending)


def _challenge_indexes(engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        found = sa.inspect(conn).get_indexes("challenge")
    return {str(i["name"]): [str(c) for c in i["column_names"]] for i in found}


def test_the_log_filters_migration_goes_down_and_up_keeping_every_row(runtime, tied):
    """0022 swaps two indexes for wider ones beginning with the same columns; down and up
    again, the log reads the same rows."""
    engine, now = runtime.engine, tied
    f = queries.LogFilters(child_reference="LL1001", per_page=3)
    before = _every_page(engine, f, now)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0021_next_deadline_rows")
    try:
        old = _challenge_indexes(engine)
        assert old["ix_challenge_child_id"] == ["child_id"]
        assert old["ix_challenge_raised_id"] == ["raised_at", "id"]
        assert "ix_challenge_child_raised" not in old
        assert "ix_challenge_raised_state_due" not in old
        assert _every_page(engine, f, now) == before
    finally:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
    new = _challenge_indexes(engine)
    assert new["ix_challenge_child_raised"] == ["child_id", "raised_at", "id"]
    assert new["ix_challenge_raised_state_due"] == ["raised_at", "id", "state", "due_at"]
    assert "ix_challenge_child_id" not in new and "ix_challenge_raised_id" not in new
    assert _every_page(engine, f, now) == before


def _event_indexes(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'challenge_event'").scalars()  # fmt: skip
        else:
            found = conn.exec_driver_sql("SELECT indexname FROM pg_indexes "
                                         "WHERE tablename = 'challenge_event'").scalars()  # fmt: skip
        return {str(name) for name in found}


def _plan(engine, condition) -> str:
    """The plan of a count under `condition`; on PostgreSQL with the other ways of reading
    turned off, so an index shows in it only if it can serve (its expression and condition
    are the query's own), whatever the size of the table."""
    query = sa.select(sa.func.count()).select_from(ChallengeRecord.__table__).where(condition)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return " ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))


ADDRESSED_INDEXES = {"ix_challenge_event_addressed_to", "ix_challenge_event_addressed_by"}


def test_a_responder_s_visibility_is_looked_up_in_the_addressed_indexes(runtime, council, tied):
    """Who an event addressed, and who made it, are read from the two partial indexes of
    migration 0024, not from every addressing event's JSON: only possible while the query
    writes the responder and the kinds exactly as the indexes hold them."""
    plan = _plan(runtime.engine, queries.visible_to(council.social_worker, Role.SOCIAL_WORKER))
    for index in ADDRESSED_INDEXES:
        assert index in plan, plan
    # The ids found are looked up, not checked against every challenge.
    assert "SCAN challenge" not in plan and "Seq Scan on challenge" not in plan, plan
    migration = (Path(__file__).parents[2] / "workflow/migrations/versions"
                 / "0024_addressed_index.py").read_text()  # fmt: skip
    responder = addressed.RESPONDER_SQL[runtime.engine.dialect.name].format(at="")
    assert responder in migration and addressed.ADDRESSING_SQL in migration


def test_the_addressed_index_migration_goes_down_and_up_keeping_every_row(runtime, council,
                                                                          tied):  # fmt: skip
    """0024 adds two indexes to the events already there; down and up again, a responder's
    list reads the same rows."""
    engine, now = runtime.engine, tied
    visible = queries.visible_to(council.social_worker, Role.SOCIAL_WORKER)
    f = queries.LogFilters(per_page=3)
    before = _every_page(engine, f, now, visible)
    assert len(before[0]) > 3
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0023_report_rollup")
    try:
        assert not ADDRESSED_INDEXES & _event_indexes(engine)
        assert _every_page(engine, f, now, visible) == before
    finally:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
    assert _event_indexes(engine) >= ADDRESSED_INDEXES
    assert _every_page(engine, f, now, visible) == before


def test_a_caseload_s_open_and_overdue_counts_read_the_caseload_not_the_table(runtime, council,
                                                                              tied):  # fmt: skip
    """On SQLite (no statistics) an IRO's or a responder's count of open or overdue
    challenges went through the state and due-date index, checking each of the table's
    matches against the person's caseload; it reads the caseload through its own indexes
    and checks the state on the way. The Head of Service's, which is the table's, keeps the
    state index. PostgreSQL's planner
    chooses from its statistics: the hint (a unary +, which PostgreSQL would refuse on
    text) never reaches it."""
    sqlite = runtime.engine.dialect.name == "sqlite"
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def count_of(role: Role, person_id: int | None) -> str:
        statements.clear()
        visible = None if person_id is None else queries.visible_to(person_id, role)
        sa.event.listen(runtime.engine, "before_cursor_execute", record)
        try:
            with Session(runtime.engine) as session:
                queries.challenge_log(session, queries.LogFilters(overdue=True), tied, visible,
                                      role)  # fmt: skip
        finally:
            sa.event.remove(runtime.engine, "before_cursor_execute", record)
        [count] = [s for s in statements if s.lstrip().startswith("SELECT count(*)")]
        if not sqlite:
            return count
        with runtime.engine.connect() as conn:
            # The plan does not depend on the values: every parameter bound as NULL.
            nulls = (None,) * count.count("?")
            return " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {count}", nulls))  # fmt: skip

    viewers = ((Role.IRO, council.iro), (Role.HEAD_OF_SERVICE, None),
               (Role.SOCIAL_WORKER, council.social_worker))  # fmt: skip
    if not sqlite:
        for role, person in viewers:
            assert "+challenge." not in count_of(role, person), role
        return
    iro = count_of(Role.IRO, council.iro)
    assert "ix_challenge_state_due" not in iro and "ix_challenge_raised_by" in iro, iro
    responder = count_of(Role.SOCIAL_WORKER, council.social_worker)
    assert "ix_challenge_state_due" not in responder, responder
    assert "SEARCH challenge USING INTEGER PRIMARY KEY" in responder, responder
    everyone = count_of(Role.HEAD_OF_SERVICE, None)
    assert "ix_challenge_state_due" in everyone, everyone


def test_the_child_filter_reads_the_reference_index(runtime, council, tied):
    """The child filter (the case reference begins with what was typed, in any case) is
    answered from migration 0025's index on both databases, not by reading every child, and
    finds the children whose reference begins with what was typed."""
    engine = runtime.engine
    query = queries._children_query(queries.LogFilters(child_reference=" ll100 "))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        found = set(conn.exec_driver_sql(sql).scalars())
        expected = set(conn.exec_driver_sql(
            "SELECT id FROM child WHERE case_reference IN ('LL1001', 'LL1002')").scalars())  # fmt: skip
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_child_reference_search" in plan, plan
    assert found == expected and len(found) == 2


def test_an_iro_s_caseload_is_looked_up_not_read_from_the_whole_table(runtime, council, tied):
    """An IRO's visibility (what they raised, or about a child they oversee or cover) is
    found through the indexes of the IRO, their children and those children's challenges,
    on both databases: with the children as a subquery, PostgreSQL could use none of them
    and read every challenge and every child (seconds a page at 1,000,000 challenges)."""
    plan = _plan(runtime.engine, queries.visible_to(council.iro, Role.IRO))
    if runtime.engine.dialect.name == "sqlite":
        assert "SCAN challenge" not in plan.replace("SCAN challenge USING", ""), plan
        assert "ix_challenge_raised_by" in plan, plan
    else:
        assert "Seq Scan on challenge" not in plan and "Seq Scan on child" not in plan, plan
        # Their children gathered by look-up, then compared as a list (any index serves).
        assert "ix_child_iro_id" in plan and "child_id = ANY" in plan, plan


def test_the_search_box_reads_the_reference_indexes(runtime, council, tied):
    """The log's search box (the challenge's reference, or its child's, begins with what
    was typed, in any case) reads both from migration 0025's indexes on both databases, not
    every challenge, and finds a challenge by either."""
    engine = runtime.engine
    c = ChallengeRecord.__table__
    with engine.connect() as conn:
        first = conn.execute(sa.select(c.c.reference, c.c.child_id).order_by(c.c.id)).first()
        assert first is not None
        of_child = conn.execute(sa.select(sa.func.count()).where(c.c.child_id == first.child_id)).scalar_one()  # fmt: skip
        child_reference = conn.execute(
            sa.select(Child.__table__.c.case_reference).where(Child.__table__.c.id == first.child_id)
        ).scalar_one()  # fmt: skip

        def found(text: str) -> int:
            return int(
                conn.execute(sa.select(sa.func.count()).where(queries._search(text))).scalar_one()
            )

        assert found(f" {first.reference.lower()} ") == 1
        assert found(child_reference.lower()) == of_child > 1
    for text, index in ((first.reference, "ix_challenge_reference_search"),
                        (child_reference, "ix_child_reference_search")):  # fmt: skip
        plan = _plan(engine, queries._search(text))
        assert index in plan, plan
        assert "SCAN challenge" not in plan and "Seq Scan on challenge" not in plan, plan


def test_the_home_page_lists_the_person_s_own_gathered_then_sorted(runtime, council, tied):
    """The home page's lists (an IRO's open challenges, what waits for a responder's
    answer, what was addressed to them before) are the rule's, in order: each gathered
    through the person's own indexes, then sorted. As one query in due order both databases
    walked every open challenge checking each (0.4 s at 100,000 for someone addressed
    nothing); SQLite is kept off the state and due-date indexes."""
    engine = runtime.engine
    rows = {r.id: r for r in _all_rows(engine)}
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def board(person_id: int, role: Role) -> queries.Dashboard:
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            with Session(engine) as session:
                return queries.dashboard(session, person_id, role, tied)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    def due_order(ids: set[int]) -> list[int]:
        return _expected(
            [rows[i] for i in ids], queries.LogFilters(sort="due", descending=False), tied
        )

    iro = board(council.iro, Role.IRO)
    mine = {i for i in _seen_by(engine, council.iro, Role.IRO) if rows[i].state in OPEN}
    assert [r.id for r in iro.open] == due_order(mine) and mine
    worker = board(council.social_worker, Role.SOCIAL_WORKER)
    with engine.connect() as conn:
        c = ChallengeRecord.__table__
        waiting = set(conn.execute(sa.select(c.c.id).where(
            c.c.responder_id == council.social_worker, c.c.state == "awaiting_response")).scalars())  # fmt: skip
    assert [r.id for r in worker.to_answer] == due_order(waiting) and waiting
    before = _seen_by(engine, council.social_worker, Role.SOCIAL_WORKER) - waiting
    newest = sorted(before, key=lambda i: (rows[i].raised_at, i), reverse=True)
    assert [r.id for r in worker.answered_before] == newest and before
    gathering = [s for s in statements if "MATERIALIZED" in s]
    assert len(gathering) == 3, statements
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            for statement in gathering:
                nulls = (None,) * statement.count("?")
                plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", nulls))  # fmt: skip
                assert "ix_challenge_state_due" not in plan and "ix_challenge_due_id" not in plan, (
                    plan
                )


def test_a_page_s_rows_are_read_by_one_statement_whatever_its_ids(runtime, council, tied):
    """Every page reads its rows with the same statement text, the ids bound apart from it:
    on PostgreSQL as one array, so the driver converts the text once and the server can
    prepare it (an IN list written out made new text for every page). The rows come back
    in the page's order, each the challenge its id names."""
    engine, seen = runtime.engine, []

    def record(_conn, _cursor, statement, parameters, *_):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            pages = [queries._rows_in_order(session, ids) for ids in ([3, 1, 2], [5, 4])]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert [[r.id for r in page] for page in pages] == [[3, 1, 2], [5, 4]]
    with engine.connect() as conn:
        references = dict(conn.exec_driver_sql("SELECT id, reference FROM challenge").all())
    assert all(r.reference == references[r.id] for page in pages for r in page)
    reads = [(s, p) for s, p in seen if "FROM challenge" in s]
    assert len(reads) == 2, seen
    if engine.dialect.name == "postgresql":
        assert reads[0][0] == reads[1][0], reads  # the same text for both pages
        assert [p for _, p in reads] == [{"ids": [3, 1, 2]}, {"ids": [5, 4]}]


def test_the_child_and_team_filters_send_their_children_as_one_value(runtime, council, tied):
    """The children a child or team filter comes to (read first) are sent as one array on
    PostgreSQL: the same short statement for a team of 3 children or of 300, where an IN
    list of 300 parameters was a statement of kilobytes parsed afresh on every page. The
    challenges found are those of the listed children, on both databases."""
    engine, sent = runtime.engine, []
    c = ChallengeRecord.__table__
    with engine.connect() as conn:
        first = conn.exec_driver_sql("SELECT min(id) FROM child").scalar_one()
        expected = set(conn.execute(sa.select(c.c.id).where(c.c.child_id == first)).scalars())
        sa.event.listen(conn, "before_cursor_execute", lambda *a: sent.append(a[2:4]))
        for children in ([first], [first, *range(10_000, 10_300)]):
            where = queries.log_conditions(queries.LogFilters(), tied, children=children)
            assert set(conn.execute(sa.select(c.c.id).where(*where)).scalars()) == expected
    assert expected and len(sent) == 2
    if engine.dialect.name == "postgresql":
        assert sent[0][0] == sent[1][0] and len(sent[1][0]) < 200, sent
        assert [list(p.values()) for _, p in sent] == [[[first]], [[first, *range(10_000, 10_300)]]]

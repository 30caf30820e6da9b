"""The child_record rule on both databases: after the 75th birthday a real run deletes the
child's challenges with their log, deadlines, mail (sent and received, attachments), link
tokens, alerts, the IRO's activities, the change history and the child's row, one
transaction per child; a dry run lists exactly that; each deletion is recorded; the
access log's rows about the child stay; `audit verify` accepts exactly the recorded gaps
and still catches an unrecorded deletion or a changed row."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.cli import cli
from api.retention import RetentionSettings, plan, run
from api.retention_children import RULE
from tests.factories import new_challenge
from tests.integration.test_retention import cli_database  # noqa: F401  (a fixture)
from workflow.audit_chain import seal, verify
from workflow.services import raise_challenge, take_action
from workflow.states import Action

NOW = datetime.now(UTC)
SETTINGS = RetentionSettings()  # 75 years; the other periods keep everything made here
OLD_CHILD, YOUNG_CHILD = "LL1002", "LL1001"


def _raise(runtime, council, child: str, withdraw: bool = True) -> tuple[str, int]:
    at = NOW - timedelta(hours=2)
    with runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(at, child=child), council.iro, at).reference
    if withdraw:
        with runtime.uow() as uow:
            take_action(uow, ref, Action.WITHDRAW, council.iro, {"reason": "Put right"}, at)
    with runtime.engine.connect() as conn:
        cid = conn.execute(sa.text("SELECT id FROM challenge WHERE reference = :r"), {"r": ref})
        return ref, cid.scalar_one()


def _mail_and_more(conn, challenge_id: int, child_id: int, person: int, n: int) -> None:
    """One of everything else held about a challenge and its child."""
    at = {"at": NOW - timedelta(hours=1), "c": challenge_id, "p": person, "n": f"{n}"}
    conn.execute(sa.text(
        "INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, to_address, copied,"
        " subject, body_text, body_html, headers, secrets, status, attempts, next_attempt_at,"
        " created_at) VALUES ('m' || :n, 'd' || :n, 'stage', :c, 'tm@council.test', false, 'S',"
        " 'text', '<p>h</p>', '{}', '[]', 'sent', 1, :at, :at)"), at)  # fmt: skip
    outbox = conn.execute(sa.text("SELECT max(id) FROM mail_outbox")).scalar_one()
    conn.execute(sa.text(
        "INSERT INTO mail_outbox_attachment (outbox_id, position, filename, media_type, size,"
        " content) VALUES (:o, 0, 'plan.pdf', 'application/pdf', 3, :b)"),
        {"o": outbox, "b": b"pdf"})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO mail_link_token (token_hash, purpose, person_id, challenge_id, action,"
        " created_at, expires_at) VALUES ('h' || :n, 'link', :p, :c, 'respond', :at, :at)"), at)  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO mail_inbound (raw_sha256, raw, source, received_at, from_address, subject,"
        " status, reason, reply_text, challenge_id) VALUES ('s' || :n, :raw, 'test', :at,"
        " 'tm@council.test', 'Re: S', 'matched', '', 'Booked.', :c)"),
        {**at, "raw": b"Subject: Re: S\r\n\r\nBooked."})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO mail_alert (kind, message, outbox_id, created_at) VALUES"
        " ('bounce', 'bounced', :o, :at)"), {"o": outbox, "at": NOW})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO iro_activity (child_id, iro_id, occurred_on, kind, note, recorded_at)"
        " VALUES (:k, :p, :d, 'visit', 'Saw the child', :at)"),
        {"k": child_id, "p": person, "d": date.today(), "at": NOW})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO change_record (record_kind, record_id, field, \"before\", \"after\","
        " changed_at) VALUES ('child', :k, 'display_name', 'A', 'B', :at)"),
        {"k": child_id, "at": NOW})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO access_log (person_id, challenge_id, child_id, viewed_at, via, what, ip,"
        " actor) VALUES (:p, :c, :k, :at, 'page', 'challenge', '', '')"),
        {**at, "k": child_id})  # fmt: skip


@pytest.fixture
def aged(runtime, council):
    """LL1001 (young) has a challenge raised first; LL1002, past 75, has two finished ones
    raised after it, so its events are the newest in the log."""
    young = _raise(runtime, council, YOUNG_CHILD, withdraw=False)
    old = [_raise(runtime, council, OLD_CHILD), _raise(runtime, council, OLD_CHILD)]
    with runtime.engine.begin() as conn:
        for n, (_, cid) in enumerate([young, *old]):
            child = council.children[YOUNG_CHILD if cid == young[1] else OLD_CHILD]
            _mail_and_more(conn, cid, child, council.iro, n)
        conn.execute(sa.text("UPDATE child SET date_of_birth = :d WHERE case_reference = :r"),
                     {"d": date(NOW.year - 76, 1, 1), "r": OLD_CHILD})  # fmt: skip
    seal(runtime.engine, NOW)
    return young, old


def _count(engine: Engine, table: str, ids: list[int]) -> int:
    if not ids:
        return 0
    with engine.connect() as conn:
        t = sa.table(table, sa.column("id"))
        q = sa.select(sa.func.count()).select_from(t).where(t.c.id.in_(ids))
        return int(conn.execute(q).scalar_one())


def _child_plan(engine: Engine):
    (p,) = [p for p in plan(engine, SETTINGS, NOW) if p.kind == RULE]
    return p


def test_a_dry_run_lists_every_row_a_run_deletes_and_a_run_deletes_exactly_those(runtime, aged):
    young, _ = aged
    planned = _child_plan(runtime.engine)
    assert planned.ids == [OLD_CHILD] and planned.held == []
    (rows,) = planned.children
    expected = {"mail_alert": 2, "mail_outbox_attachment": 2, "mail_link_token": 2,
                "mail_inbound": 2, "challenge": 2, "iro_activity": 2, "change_record": 2,
                "child": 1}  # fmt: skip
    assert {t: len(rows.rows[t]) for t in expected} == expected
    assert len(rows.rows["challenge_event"]) >= 4 and rows.rows["deadline"]
    assert len(rows.rows["mail_outbox"]) >= 2
    for table, ids in rows.rows.items():  # the dry run changed nothing
        assert _count(runtime.engine, table, ids) == len(ids), table

    (went,) = [p for p in run(runtime.engine, SETTINGS, NOW, "dpo@council.test") if p.kind == RULE]
    assert [c.rows for c in went.children] == [rows.rows], "the run deleted what the dry run listed"
    for table, ids in rows.rows.items():
        assert _count(runtime.engine, table, ids) == 0, table
    with runtime.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT case_reference FROM child")).scalars().all()
        challenges = conn.execute(sa.text("SELECT id FROM challenge")).scalars().all()
        about_old = conn.execute(sa.text("SELECT count(*) FROM access_log WHERE child_id = :k"),
                                 {"k": rows.child_id}).scalar_one()  # fmt: skip
        young_mail = conn.execute(sa.text("SELECT count(*) FROM mail_inbound WHERE challenge_id"
                                          " = :c"), {"c": young[1]}).scalar_one()  # fmt: skip
    assert left == [YOUNG_CHILD] and challenges == [young[1]] and young_mail == 1
    assert about_old == 2, "the access log's rows go by the access log's own period"
    assert verify(runtime.engine).ok, "the challenge log's recorded gaps are accepted"
    assert _child_plan(runtime.engine).ids == []


def test_each_deletion_is_recorded_with_its_rule_table_child_and_run(runtime, aged):
    rows = _child_plan(runtime.engine).children[0].rows
    run(runtime.engine, SETTINGS, NOW, "dpo@council.test")
    with runtime.engine.connect() as conn:
        records = conn.execute(sa.text(
            "SELECT id, kind, what, subject, rows, run_by, run_id FROM retention_record"
            " ORDER BY id")).all()  # fmt: skip
        retired = conn.execute(sa.text(
            "SELECT record_id, log, row_id FROM retention_retired_row ORDER BY row_id")).all()  # fmt: skip
    assert {r.what: r.rows for r in records} == {t: len(ids) for t, ids in rows.items() if ids}
    assert {(r.kind, r.subject, r.run_by) for r in records} == {
        (RULE, OLD_CHILD, "dpo@council.test")
    }
    assert len({r.run_id for r in records}) == 1 and records[0].run_id
    (event_record,) = [r.id for r in records if r.what == "challenge_event"]
    assert [tuple(r) for r in retired] == [
        (event_record, "challenge_event", i) for i in rows["challenge_event"]
    ]
    for table in ("retention_record", "retention_retired_row"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as c:
            c.execute(sa.text(f"DELETE FROM {table}"))


def test_an_id_the_run_deleted_is_never_used_again(runtime, council, aged):
    """The deleted events were the newest: the next event must not take one of their ids
    (on SQLite that needs AUTOINCREMENT), or the chain would hold a new row for an old link."""
    gone = _child_plan(runtime.engine).children[0].rows["challenge_event"]
    run(runtime.engine, SETTINGS, NOW, "dpo")
    _raise(runtime, council, YOUNG_CHILD)
    seal(runtime.engine, NOW)
    with runtime.engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM challenge_event")).scalars().all()
    assert not set(ids) & set(gone) and max(ids) > max(gone)
    assert verify(runtime.engine).ok


def _switch_log_triggers(conn, on: bool) -> None:
    """What only the owner (PostgreSQL) or someone with the file (SQLite) can do."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ALTER TABLE challenge_event {'ENABLE' if on else 'DISABLE'}"
                             " TRIGGER USER"))  # fmt: skip
    elif not on:
        conn.execute(sa.text("DROP TRIGGER challenge_event_no_update"))
        conn.execute(sa.text("DROP TRIGGER challenge_event_no_delete"))


def _tamper_after_a_run(runtime, young, sql: str) -> int:
    """Run retention, then apply `sql` to the young child's first event; returns its id."""
    run(runtime.engine, SETTINGS, NOW, "dpo")
    with runtime.engine.begin() as conn:
        first = conn.execute(sa.text("SELECT min(id) FROM challenge_event WHERE challenge_id = :c"),
                             {"c": young[1]}).scalar_one()  # fmt: skip
        _switch_log_triggers(conn, on=False)
        conn.execute(sa.text(sql), {"i": first})
        _switch_log_triggers(conn, on=True)
    return int(first)


def test_an_unrecorded_deletion_is_still_caught(runtime, aged):
    first = _tamper_after_a_run(runtime, aged[0], "DELETE FROM challenge_event WHERE id = :i")
    log = verify(runtime.engine).logs[0]
    assert (log.log, log.broken_at, log.why) == ("challenge_event", first, "the row was deleted")


def test_a_changed_row_is_still_caught_after_a_run(runtime, aged):
    sql = "UPDATE challenge_event SET kind = 'resolved' WHERE id = :i"
    first = _tamper_after_a_run(runtime, aged[0], sql)
    log = verify(runtime.engine).logs[0]
    assert (log.broken_at, log.why) == (first, "the row was changed after it was sealed")


def test_outside_a_run_the_challenge_log_refuses_delete(runtime, aged):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM challenge_event"))


def test_a_child_with_an_open_challenge_is_held_not_removed(runtime, council, aged):
    _raise(runtime, council, OLD_CHILD, withdraw=False)
    planned = _child_plan(runtime.engine)
    assert (planned.ids, planned.held) == ([], [OLD_CHILD])
    run(runtime.engine, SETTINGS, NOW, "dpo")
    with runtime.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one()
    assert kept == 4


@pytest.mark.parametrize(
    "sql",
    ["UPDATE change_record SET \"after\" = 'x'", "DELETE FROM change_record"],
)
def test_the_change_history_is_append_only(runtime, aged, sql):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(sa.text(sql))


@pytest.mark.usefixtures("cli_database")
def test_the_command_lists_each_table_of_a_child_then_removes_them(runtime, aged):
    dry = CliRunner().invoke(cli, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"child_record: 1 would go (older than {NOW.year - 75}" in dry.output
    assert f"  {OLD_CHILD}: mail_alert 2, mail_outbox_attachment 2, mail_outbox " in dry.output
    assert "challenge 2, iro_activity 2, change_record 2, child 1" in dry.output
    listed = CliRunner().invoke(cli, ["retention", "run", "--dry-run", "--json"])
    assert listed.exit_code == 0, listed.output
    (kind,) = [k for k in json.loads(listed.output) if k["kind"] == RULE]
    real = CliRunner().invoke(cli, ["retention", "run", "--by", "dpo@council.test", "--json"])
    assert real.exit_code == 0, real.output
    (went,) = [k for k in json.loads(real.output) if k["kind"] == RULE]
    assert went["children"] == kind["children"] and went["ids"] == [OLD_CHILD]
    assert set(kind["children"][0]["rows"]) >= {"challenge_event", "mail_inbound", "child"}
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0

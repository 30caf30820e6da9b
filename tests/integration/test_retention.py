"""Retention on both databases: a dry run changes nothing; a real run blanks old raw mail
and sent-mail bodies, removes the access log's old prefix and a child's record past 75
(tests/integration/test_retention_children.py), records what went, and
leaves `audit verify` passing; a deletion the retention record does not cover is caught."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import cli
from api.retention import RetentionSettings, plan, run
from workflow.audit_chain import seal, verify
from workflow.settings import get_settings

NOW = datetime.now(UTC)
OLD, RECENT = NOW - timedelta(days=400), NOW - timedelta(days=10)
SETTINGS = RetentionSettings(raw_mail_days=365, sent_mail_days=365, access_log_days=365)


def _inbound(conn, n: int, at: datetime, status: str = "matched") -> None:
    conn.execute(sa.text(
        "INSERT INTO mail_inbound (raw_sha256, raw, source, received_at, from_address, subject,"
        " status, reason, reply_text) VALUES (:h, :raw, 'test', :at, 'tm@council.test', 's',"
        " :status, '', 'Booked.')"
    ), {"h": f"{n:064d}", "raw": b"Subject: s\r\n\r\nBooked.", "at": at, "status": status})  # fmt: skip


def _outbox(conn, n: int, at: datetime, status: str = "sent") -> None:
    conn.execute(sa.text(
        "INSERT INTO mail_outbox (message_id, dedupe_key, kind, to_address, copied, subject,"
        " body_text, body_html, headers, secrets, status, attempts, next_attempt_at, created_at)"
        " VALUES (:m, :m, 'stage', 'tm@council.test', false, 'Challenge', 'text', '<p>html</p>',"
        " '{}', '[]', :status, 1, :at, :at)"
    ), {"m": f"m{n}", "status": status, "at": at})  # fmt: skip


def _access(conn, person: int, at: datetime, what: str) -> None:
    conn.execute(sa.text(
        "INSERT INTO access_log (person_id, viewed_at, via, what, ip, actor)"
        " VALUES (:p, :at, 'page', :what, '', '')"
    ), {"p": person, "at": at, "what": what})  # fmt: skip


@pytest.fixture
def held(runtime, council):
    with runtime.engine.begin() as conn:
        _inbound(conn, 1, OLD)
        _inbound(conn, 2, OLD, status="quarantined")  # waits for an admin
        _inbound(conn, 3, RECENT)
        _outbox(conn, 1, OLD)
        _outbox(conn, 2, OLD, status="pending")  # not finished: never blanked
        _outbox(conn, 3, RECENT)
        for i in range(3):
            _access(conn, council.iro, OLD + timedelta(minutes=i), f"old {i}")
        _access(conn, council.iro, RECENT, "recent")
        _access(conn, council.iro, OLD, "old, but after a recent one: waits")
        conn.execute(sa.text("UPDATE child SET date_of_birth = :d WHERE case_reference = 'LL1002'"),
                     {"d": date(NOW.year - 76, 1, 1)})  # fmt: skip
    return council


def _kinds(plans) -> dict[str, int]:
    return {p.kind: len(p.ids) for p in plans}


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM mail_inbound WHERE length(raw) > 0")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM mail_outbox WHERE body_text <> ''")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM access_log")).scalar_one(),
        )  # fmt: skip


def test_a_dry_run_lists_what_would_go_and_changes_nothing(runtime, held):
    seal(runtime.engine, NOW)
    plans = plan(runtime.engine, SETTINGS, NOW)
    assert _kinds(plans) == {"raw_mail": 1, "sent_mail_bodies": 1, "access_log": 3,
                             "child_record": 1}  # fmt: skip
    assert [p.ids for p in plans if p.kind == "child_record"] == [["LL1002"]]
    assert _counts(runtime.engine) == (3, 3, 5)


def test_a_run_removes_what_is_past_its_period_and_records_it(runtime, held):
    plans = run(runtime.engine, SETTINGS, NOW, "dpo@council.test")
    assert _kinds(plans)["access_log"] == 3
    assert _counts(runtime.engine) == (2, 2, 2)
    with runtime.engine.connect() as conn:
        left = conn.execute(sa.text("SELECT what FROM access_log ORDER BY id")).scalars().all()
        records = conn.execute(sa.text(
            "SELECT kind, rows, run_by FROM retention_record ORDER BY id")).all()  # fmt: skip
        reply = conn.execute(sa.text("SELECT reply_text FROM mail_inbound WHERE raw = :e"),
                             {"e": b""}).scalar_one()  # fmt: skip
    assert left == ["recent", "old, but after a recent one: waits"]
    assert [tuple(r) for r in records] == [("raw_mail", 1, "dpo@council.test"),
        ("sent_mail_bodies", 1, "dpo@council.test"), ("access_log", 3, "dpo@council.test"),
        ("child_record", 1, "dpo@council.test")]  # fmt: skip
    assert reply == "Booked.", "what the reply said stays on the challenge"
    assert verify(runtime.engine).ok, "the chain still verifies with its prefix gone"
    assert _kinds(run(runtime.engine, SETTINGS, NOW, "dpo"))["access_log"] == 0


@pytest.mark.parametrize("sql", ["UPDATE access_log SET via = 'x'", "DELETE FROM access_log"])
def test_outside_a_retention_run_the_access_log_stays_append_only(runtime, held, sql):
    run(runtime.engine, SETTINGS, NOW, "dpo")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_a_deletion_the_retention_record_does_not_cover_is_caught(runtime, held):
    run(runtime.engine, SETTINGS, NOW, "dpo")
    with runtime.engine.begin() as conn:  # someone copies the retention run's way in
        newest = conn.execute(sa.text("SELECT max(id) FROM access_log")).scalar_one()
        conn.execute(sa.text("INSERT INTO retention_pass (started_at) VALUES (:n)"), {"n": NOW})
        conn.execute(sa.text(f"DELETE FROM access_log WHERE id = {newest}"))
        conn.execute(sa.text("DELETE FROM retention_pass"))
    log = verify(runtime.engine).logs[1]
    assert (log.broken_at, log.why) == (newest, "the row was deleted")


def test_the_retention_record_is_append_only(runtime, held):
    run(runtime.engine, SETTINGS, NOW, "dpo")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM retention_record"))


@pytest.fixture
def cli_database(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    monkeypatch.setenv("IRO_DISPUTES_RETAIN_ACCESS_LOG_DAYS", "365")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_retention_run_command(runtime, held, cli_database):
    dry = CliRunner().invoke(cli, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "raw_mail: 1 would go" in dry.output and "access_log: 3 would go" in dry.output
    assert "child_record: 1 would go" in dry.output and "  LL1002: child 1" in dry.output
    assert _counts(runtime.engine) == (3, 3, 5)
    real = CliRunner().invoke(cli, ["retention", "run", "--by", "dpo@council.test"])
    assert real.exit_code == 0, real.output
    assert "access_log: 3 went" in real.output
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0

"""`iro-disputes demo`: a fictional council whose challenges went through the real use cases."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.auth import authenticate
from api.cli import cli
from api.web_settings import WebSettings
from api.wiring import build
from council_data.demo import SMALL, DatabaseNotEmpty, fill_demo
from tests.people.conftest import counts
from workflow.db import make_engine
from workflow.replay import replay
from workflow.repository import ChallengeRepository
from workflow.runtime import Runtime
from workflow.settings import WorkflowSettings
from workflow.states import State
from workflow.tables import ChallengeEvent, ChallengeRecord, Child, Person

# Thursday 26 November 2026, 11:00 London: the demo's "today".
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
runner = CliRunner()


def dump(engine: Engine) -> dict[str, Any]:
    """Everything the demo wrote, by natural keys, for comparing two databases."""
    with Session(engine) as s:
        email = {p.id: p.email for p in s.exec(select(Person))}
        refs = {c.id: c.reference for c in s.exec(select(ChallengeRecord))}
        return {
            "people": sorted(
                (
                    p.email,
                    p.name,
                    p.role,
                    email.get(p.manager_id),
                    email.get(p.deputy_id),
                    p.absent,
                    p.active,
                )
                for p in s.exec(select(Person))
            ),
            "children": sorted(
                (
                    c.case_reference,
                    c.display_name,
                    c.legal_status,
                    email.get(c.social_worker_id),
                    email.get(c.iro_id),
                )
                for c in s.exec(select(Child))
            ),
            "challenges": sorted(
                (
                    c.reference,
                    c.state,
                    c.stage_key,
                    c.theme_key,
                    c.raised_at,
                    c.due_at,
                    email.get(c.responder_id),
                )
                for c in s.exec(select(ChallengeRecord))
            ),
            "events": sorted(
                (
                    refs[e.challenge_id],
                    e.seq,
                    e.kind,
                    e.occurred_at,
                    email.get(e.actor_id),
                    e.to_state,
                )
                for e in s.exec(select(ChallengeEvent))
            ),
        }


def test_the_demo_council_has_challenges_in_every_state_built_by_the_use_cases(
    runtime: Runtime,
) -> None:
    report = fill_demo(runtime, seed=7, size=SMALL, now=NOW)

    assert report.cut_short == 0
    assert set(report.by_state) == {s.value for s in State} - {State.NEW.value}
    assert (report.people, report.children) == (25, SMALL.children)
    with Session(runtime.engine) as s:
        repo = ChallengeRepository(s)
        rows = list(s.exec(select(ChallengeRecord).order_by(sa.text("raised_at"))))
        assert len(rows) == report.challenges
        # References were handed out as the clock walked forward.
        assert [r.reference for r in rows] == sorted(r.reference for r in rows)
        assert rows[0].raised_at >= NOW - timedelta(days=130)
        for row in rows:
            events = repo.events(row.id or 0)
            assert events[0].kind in ("raise_informal", "raise_formal")
            times = [e.occurred_at for e in events]
            assert times == sorted(times) and times[-1] <= NOW
            assert replay(e.changes for e in events) == repo.get(row.reference).tracked()
        kinds = set(s.exec(select(ChallengeEvent.kind)))
        overdue = [
            r for r in rows if r.state == "awaiting_response" and r.due_at and r.due_at < NOW
        ]
        absent = s.exec(select(Person).where(Person.absent == sa.true())).all()
        unallocated = s.exec(select(Child).where(Child.social_worker_id == sa.null())).all()
    assert {
        "refer_cafcass",
        "record_good_practice",
        "time_out",
        "reject",
        "escalate",
        "pause",
        "resume",
        "extend",
        "close",
        "withdraw",
    } <= kinds
    assert len(overdue) >= 2
    assert [p.role for p in absent] == ["team_manager"] and absent[0].deputy_id is not None
    assert len(unallocated) == 1
    assert {row.highest_stage_key for row in rows} >= {
        "social_worker",
        "team_manager",
        "head_of_service",
        "senior_manager",
    }


def test_the_same_seed_gives_the_same_council_on_any_database(
    runtime: Runtime, sqlite_template: Path, tmp_path: Path
) -> None:
    fill_demo(runtime, seed=11, size=SMALL, now=NOW)
    shutil.copy(sqlite_template, tmp_path / "other.sqlite3")
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        fill_demo(
            build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), other),
            seed=11,
            size=SMALL,
            now=NOW,
        )
        assert dump(other) == dump(runtime.engine)
    finally:
        other.dispose()
    third = tmp_path / "third.sqlite3"
    shutil.copy(sqlite_template, third)
    different = make_engine(f"sqlite:///{third}")
    try:
        fill_demo(
            build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), different),
            seed=12,
            size=SMALL,
            now=NOW,
        )
        assert dump(different)["people"] != dump(runtime.engine)["people"]
    finally:
        different.dispose()


def test_the_demo_refuses_a_database_that_has_people(runtime: Runtime) -> None:
    with Session(runtime.engine) as s:
        s.add(Person(email="real@council.test", name="Real Person", role="iro"))
        s.commit()
    with pytest.raises(DatabaseNotEmpty):
        fill_demo(runtime, size=SMALL, now=NOW)
    assert counts(runtime.engine) == (1, 0, 0)


def test_the_demo_command_fills_prints_sign_ins_and_leaves_a_filled_database_alone(
    cli_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRO_DISPUTES_DEMO_PASSWORD", "a-local-demo-secret")
    result = runner.invoke(cli, ["demo", "--small", "--seed", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Northmoor Borough Council (fictional): 25 people in 7 teams, 24 ")
    table = lines[
        lines.index("Sign in as any of these (every demo person has the same password):") + 2 :
    ]
    assert table[0].split() == ["Role", "Name", "Email", "Password"]
    roles = [row.split("  ")[0] for row in table[1:]]
    assert roles == [
        "IRO",
        "Social worker",
        "Team manager",
        "Team manager",
        "Team manager",
        "Service manager",
        "Head of Service",
        "Senior manager",
        "Administrator",
        "SMT reader",
    ]
    assert all("a-local-demo-secret" in row for row in table[1:])
    iro_email = table[1].split()[3]
    signed_in = authenticate(cli_database, WebSettings(), iro_email, "a-local-demo-secret", NOW)
    assert signed_in.ok and signed_in.person is not None and signed_in.person.role == "iro"
    before = counts(cli_database)
    with Session(cli_database) as s:
        challenges = s.exec(select(sa.func.count()).select_from(ChallengeRecord)).one()
    assert challenges >= 26

    again = runner.invoke(cli, ["demo", "--if-empty"])
    assert again.exit_code == 0
    assert again.stdout == "The database already has people or challenges: demo data not added.\n"
    refused = runner.invoke(cli, ["demo", "--small"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: The database already holds people or challenges")
    assert counts(cli_database) == before


def test_every_start_prints_where_to_open_the_service_and_the_same_sign_in_table(
    cli_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` on a first start and on every later one: the same table both times."""
    monkeypatch.setenv("IRO_DISPUTES_DEMO_PASSWORD", "a-local-demo-secret")
    first = runner.invoke(cli, ["demo", "--small", "--seed", "3"])
    heading = "Sign in as any of these (every demo person has the same password):"
    table = first.stdout.split(heading)[1].split("\n\n")[1].strip().splitlines()
    for run in (
        runner.invoke(cli, ["demo", "--if-empty", "--open-at", "http://127.0.0.1:8000"]),
        runner.invoke(cli, ["demo", "--if-empty", "--open-at", "http://127.0.0.1:8000/"]),
    ):
        assert run.exit_code == 0, run.output
        out = run.stdout
        assert "Open the service at http://127.0.0.1:8000/\n" in out
        assert "read it at http://127.0.0.1:8000/dev/mail\n" in out
        assert out.count(heading) == 1
        assert out.split(heading)[1].strip().splitlines() == table

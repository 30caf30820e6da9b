"""The subject access export, on both databases: everything held about one child and
nothing about another, as JSON and PDF, and the export itself on the access log."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from api.auth import record_access
from api.cli import cli
from api.reports.pdf import subject_access_pdf
from api.subject_access import export_child, gather
from notifications.tables import InboundMail
from tests.factories import new_challenge
from workflow.activity import NewActivity, record_activity
from workflow.change_history import record_changes
from workflow.errors import NotFound
from workflow.services import raise_challenge, take_action
from workflow.settings import get_settings
from workflow.tables import Person

RAW = b"From: tm@council.test\r\nSubject: Re: LL1001\r\n\r\nBooked for 9 December.\r\n"


def _history(runtime, council) -> tuple[str, str]:
    """Two challenges about LL1001 and one about LL1002, with what surrounds them."""
    now = datetime.now(UTC) - timedelta(hours=2)
    refs = []
    for child in ("LL1001", "LL1001", "LL1002"):
        with runtime.uow() as uow:
            new = new_challenge(now, stage="social_worker", child=child)
            refs.append(raise_challenge(uow, new, council.iro, now).reference)
    with runtime.uow() as uow:
        take_action(uow, refs[0], "pause", council.iro, {"reason": "waiting for the review"}, now)
    with runtime.uow() as uow:
        visit = NewActivity("LL1001", "visit", now.date() - timedelta(days=3), "Saw her at school")
        record_activity(uow, visit, council.iro, now)
    with Session(runtime.engine) as s:
        challenge_id = s.execute(
            sa.text("SELECT id FROM challenge WHERE reference = :r"), {"r": refs[0]}
        ).scalar_one()
        s.add(InboundMail(raw_sha256="a" * 64, raw=RAW, source="test", received_at=now,
                          status="applied", challenge_id=challenge_id, subject="Re: LL1001"))  # fmt: skip
        for ref in ("LL1001", "LL1002"):
            record_changes(s, "child", council.children[ref], {"Legal status": "Child in need"},
                           {"Legal status": f"Looked after ({ref})"}, council.senior_manager, now)  # fmt: skip
        s.commit()
    record_access(runtime.engine, council.social_worker, "page", child_id=council.children["LL1001"],
                  what="footprint LL1001")  # fmt: skip
    record_access(runtime.engine, council.iro, "page", child_id=council.children["LL1002"],
                  what="footprint LL1002")  # fmt: skip
    return refs[0], refs[2]


def _hos(runtime) -> Person:
    with Session(runtime.engine, expire_on_commit=False) as s:
        return s.exec(sa.select(Person).where(Person.email == "hos@council.test")).scalar_one()


def test_the_export_holds_everything_about_the_child_and_nothing_else(runtime, council):
    paused, other = _history(runtime, council)
    export = export_child(runtime.engine, "LL1001", _hos(runtime), datetime.now(UTC))
    data = json.loads(json.dumps(export.as_json()))  # what the file holds
    assert data["child"]["case_reference"] == "LL1001"
    challenges = {c["reference"]: c for c in data["challenges"]}
    assert len(challenges) == 2 and other not in challenges
    assert [e["kind"] for e in challenges[paused]["events"]] == ["raise_formal", "pause"]
    assert challenges[paused]["events"][1]["details"]["reason"] == "waiting for the review"
    assert [a["note"] for a in data["activities"]] == ["Saw her at school"]
    assert [c["after"] for c in data["changes"]] == ["Looked after (LL1001)"]
    assert [m["raw"] for m in data["emails"]["received"]] == [RAW.decode()]
    assert all("secrets" not in m for m in data["emails"]["sent"]), "no live links"
    with runtime.engine.connect() as conn:
        sent = conn.execute(
            sa.text("SELECT count(*) FROM mail_outbox o JOIN challenge c ON c.id = o.challenge_id "
                    "WHERE c.child_id = :c"), {"c": council.children["LL1001"]},
        ).scalar_one()  # fmt: skip
    assert sent > 0 and len(data["emails"]["sent"]) == sent
    assert [v["what"] for v in data["access_log"]] == ["footprint LL1001"]
    named = set(data["people"].values())
    assert "Sam Worker <sw@council.test>" in named, "the viewer in the access log"
    assert "Ada Director <ad@council.test>" in named, "who changed the child's record"
    assert "Omar Reviewer <iro2@council.test>" not in named, "nobody the export does not mention"


def test_the_export_is_itself_on_the_access_log(runtime, council):
    _history(runtime, council)
    export_child(runtime.engine, "LL1001", _hos(runtime), datetime.now(UTC))
    again = gather(runtime.engine, "LL1001", "check", datetime.now(UTC))
    last = again.sections["access_log"][-1]
    assert (last["via"], last["person_id"]) == ("export", council.head_of_service)
    assert last["what"] == "subject access export of LL1001"


def test_an_unknown_child_is_refused(runtime, council):
    with pytest.raises(NotFound, match="LL9999"):
        export_child(runtime.engine, "LL9999", _hos(runtime), datetime.now(UTC))


def test_the_pdf_shows_the_record(runtime, council):
    paused, _ = _history(runtime, council)
    export = gather(runtime.engine, "LL1001", "Hugh Service", datetime.now(UTC))
    pdf = subject_access_pdf(export)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    words = text.stdout.decode()
    for expected in ("Everything held about Child LL1001", paused, "waiting for the review",
                     "Saw her at school", "Booked for 9 December", "footprint LL1001",
                     "Looked after (LL1001)"):  # fmt: skip
        assert expected in words


@pytest.fixture
def cli_database(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_child_export_command_writes_json_and_pdf(runtime, council, cli_database, tmp_path):
    _history(runtime, council)
    run = CliRunner()
    done = run.invoke(cli, ["child", "export", "LL1001", "--by", "hos@council.test",
                            "--out", str(tmp_path)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "2 challenge(s)" in done.output
    data = json.loads((tmp_path / "LL1001-subject-access.json").read_text("utf-8"))
    assert data["child"]["case_reference"] == "LL1001"
    assert (tmp_path / "LL1001-subject-access.pdf").read_bytes().startswith(b"%PDF")
    unknown = run.invoke(cli, ["child", "export", "LL9999", "--by", "hos@council.test"])
    assert unknown.exit_code == 1 and "LL9999" in unknown.output
    nobody = run.invoke(cli, ["child", "export", "LL1001", "--by", "nobody@council.test"])
    assert nobody.exit_code == 1 and "nobody@council.test" in nobody.output

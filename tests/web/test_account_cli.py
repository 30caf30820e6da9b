"""The account actions from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from tests.web.conftest import CSRF, PASSWORD, sign_in
from workflow.settings import get_settings


@pytest.fixture
def cli_database(runtime, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_sessions_deactivate_and_reactivate_from_the_command_line(app, people, cli_database):
    browser = sign_in(app, "iro@council.test")
    run = CliRunner()
    listed = run.invoke(cli, ["account", "sessions", "iro@council.test"])
    assert listed.exit_code == 0 and "1 session(s)" in listed.output
    done = run.invoke(cli, ["account", "deactivate", "iro@council.test"])
    assert done.exit_code == 0 and "1 session(s) ended" in done.output
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert run.invoke(cli, ["account", "reactivate", "iro@council.test"]).exit_code == 0
    assert sign_in(app, "iro@council.test").get("/").status_code == 200
    unknown = run.invoke(cli, ["account", "unlock", "nobody@council.test"])
    assert unknown.exit_code == 1 and "nobody has the email" in unknown.output


def sign_in_refused(app, email: str) -> bool:
    client = TestClient(app)
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                         "csrftoken": token.group(1)}, follow_redirects=False)  # fmt: skip
    return answer.status_code != 303


def test_invite_reset_unlock_and_end_sessions_from_the_command_line(
    app, runtime, people, cli_database
):
    run, email = CliRunner(), "iro@council.test"
    for action in ("invite", "reset"):
        done = run.invoke(cli, ["account", action, email])
        assert done.exit_code == 0, done.output
    with runtime.engine.connect() as conn:
        purposes = conn.execute(sa.text(
            "SELECT purpose FROM account_link WHERE person_id = :p ORDER BY id"),
            {"p": people.council.iro}).scalars().all()  # fmt: skip
        mailed = conn.execute(sa.text("SELECT count(*) FROM mail_outbox WHERE to_address = :e"),
                              {"e": email}).scalar_one()  # fmt: skip
    assert purposes == ["invite", "reset"] and mailed == 2, "each link goes by email"

    with runtime.engine.begin() as conn:  # five wrong passwords
        conn.execute(sa.text(
            "UPDATE password_credential SET failed_attempts = 5, locked_until = :t"
            " WHERE person_id = :p"),
            {"t": datetime.now(UTC) + timedelta(minutes=15), "p": people.council.iro})  # fmt: skip
    assert sign_in_refused(app, email)
    assert run.invoke(cli, ["account", "unlock", email]).exit_code == 0
    browser = sign_in(app, email)
    assert browser.get("/").status_code == 200

    ended = run.invoke(cli, ["account", "end-sessions", email])
    assert ended.exit_code == 0 and "1 session(s) ended" in ended.output
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_tokens_from_the_command_line_create_list_and_revoke(app, people, cli_database):
    run, email = CliRunner(), "iro@council.test"
    made = run.invoke(cli, ["token", "create", email, "--label", "Nightly export", "--days", "7"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip()
    client = TestClient(app)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    listed = run.invoke(cli, ["token", "list", email])
    (line,) = [row for row in listed.output.splitlines() if "Nightly export" in row]
    assert line.endswith("live") and "last used 20" in line
    token_id = line.split("\t")[0]
    assert run.invoke(cli, ["token", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert run.invoke(cli, ["token", "list", email]).output.rstrip().endswith("revoked")

"""The account actions from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import cli
from tests.web.conftest import sign_in
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

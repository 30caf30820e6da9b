"""One root settings object; a production start with development settings is refused."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.settings import load_settings, production_problems
from tests.factories import STRONG_SECRET_KEY

GOOD = {
    "IRO_DISPUTES_ENV": "production",
    "IRO_DISPUTES_SECRET_KEY": STRONG_SECRET_KEY,
    "IRO_DISPUTES_BASE_URL": "https://iro.northmoor.gov.uk",
    "IRO_DISPUTES_REPLY_DOMAIN": "iro.northmoor.gov.uk",
    "IRO_DISPUTES_SMTP_HOST": "relay.northmoor.gov.uk",
    "IRO_DISPUTES_MAIL_FROM": "IRO disputes <iro-disputes@northmoor.gov.uk>",
    "IRO_DISPUTES_MAIL_SINK": "false",
    "IRO_DISPUTES_METRICS_TOKEN": "m" * 32,
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_a_real_production_configuration_passes(environment):
    settings = load_settings()
    assert settings.is_production
    assert production_problems(settings) == []


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("IRO_DISPUTES_BASE_URL", "http://127.0.0.1:8000", "IRO_DISPUTES_BASE_URL"),
        ("IRO_DISPUTES_BASE_URL", "http://localhost", "IRO_DISPUTES_BASE_URL"),
        ("IRO_DISPUTES_REPLY_DOMAIN", "localhost", "IRO_DISPUTES_REPLY_DOMAIN"),
        ("IRO_DISPUTES_SMTP_HOST", "127.0.0.1", "IRO_DISPUTES_SMTP_HOST"),
        ("IRO_DISPUTES_MAIL_FROM", "IRO <disputes@localhost>", "IRO_DISPUTES_MAIL_FROM"),
        ("IRO_DISPUTES_MAIL_SINK", "true", "IRO_DISPUTES_MAIL_SINK"),
        ("IRO_DISPUTES_METRICS_TOKEN", "", "IRO_DISPUTES_METRICS_TOKEN"),
    ],
)
def test_each_development_setting_is_refused_by_name(environment, name, value, named):
    environment.setenv(name, value)
    problems = production_problems(load_settings())
    assert len(problems) == 1 and problems[0].startswith(named)


def test_development_is_never_refused(environment):
    environment.setenv("IRO_DISPUTES_ENV", "development")
    environment.setenv("IRO_DISPUTES_SMTP_HOST", "127.0.0.1")
    assert production_problems(load_settings()) == []


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["mail", "receive"]])
def test_every_long_running_command_refuses_and_says_which_setting(environment, command):
    environment.setenv("IRO_DISPUTES_BASE_URL", "http://localhost:8000")
    environment.setenv("IRO_DISPUTES_MAIL_SINK", "true")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2
    assert "IRO_DISPUTES_BASE_URL" in result.output
    assert "IRO_DISPUTES_MAIL_SINK" in result.output


def test_a_placeholder_secret_is_refused_by_name(environment):
    environment.setenv("IRO_DISPUTES_SECRET_KEY", "changeme")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2 and "IRO_DISPUTES_SECRET_KEY" in result.output

import json

from typer.testing import CliRunner

from api.commands.rules import app

runner = CliRunner()

BAD = """
id = "bad"
name = "Bad"

[[stages]]
key = "x"
name = "X"
responder = "head_of_servce"
working_days = -2
"""


def test_check_bundled_ladder():
    result = runner.invoke(app, ["check", "handbook"])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: handbook (IRO Handbook default), 4 stages, hash ")


def test_check_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.toml: stages[0].responder: unknown role 'head_of_servce' (expected one of: "
        "iro, social_worker, team_manager, service_manager, head_of_service, senior_manager, "
        "admin, smt_reader)",
        "bad.toml: stages[0].working_days: must be greater than 0, got -2",
    ]


def test_check_missing():
    result = runner.invoke(app, ["check", "nowhere"])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_explain_text():
    result = runner.invoke(app, ["explain", "handbook", "--start", "2026-12-23T10:00"])
    assert result.exit_code == 0
    assert "Mon 4 Jan 2027 17:00 GMT" in result.stdout


def test_explain_json():
    result = runner.invoke(app, ["explain", "handbook", "--start", "2026-12-23T10:00", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {s["due_at"] for s in data["stages"]} == {"2027-01-04T17:00:00+00:00"}


def test_explain_aware_start():
    # 09:30 UTC on 1 June is 10:30 BST.
    result = runner.invoke(
        app, ["explain", "handbook", "--start", "2026-06-01T09:30:00+00:00", "--json"]
    )
    assert json.loads(result.stdout)["start"] == "2026-06-01T10:30:00+01:00"


def test_explain_defaults_to_now():
    result = runner.invoke(app, ["explain", "barnet"])
    assert result.exit_code == 0
    assert "Practice Alert" in result.stdout


def test_explain_bad_start():
    result = runner.invoke(app, ["explain", "handbook", "--start", "soon"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.stderr

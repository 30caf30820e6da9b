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
        "bad.toml: stages[0].responder: unknown role or post 'head_of_servce' (expected one of: "
        "social_worker, team_manager, service_manager, head_of_service, senior_manager; "
        "declare new posts in [posts])",
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
    # The climb: each stage opens as the one below times out, no working day lost.
    assert [s["last_day"] for s in data["stages"]] == [
        "2027-01-04",
        "2027-01-11",
        "2027-01-18",
        "2027-01-25",
    ]
    assert data["cap"]["last_day"] == "2027-01-25"
    assert data["cap"]["due_at"] == data["stages"][-1]["due_at"] == "2027-01-25T17:00:00+00:00"
    assert data["stages"][1]["reminders"] == [
        "2027-01-07T09:00:00+00:00",
        "2027-01-11T09:00:00+00:00",
    ]
    assert data["informal"]["required"] is True


def test_explain_text_shows_the_climb_and_the_cap():
    result = runner.invoke(app, ["explain", "handbook", "--start", "2026-12-23T10:00"])
    lines = result.stdout.splitlines()
    due = {line.split("  ")[0]: line for line in lines if "GMT" in line}
    assert "Mon 11 Jan 2027 17:00 GMT" in due["Team manager"]
    assert "Mon 18 Jan 2027 17:00 GMT" in due["Head of Service"]
    assert "Mon 25 Jan 2027 17:00 GMT" in due["Senior manager"]
    assert "Mon 25 Jan 2027 17:00 GMT" in due["Overall cap"]


WARNED = """
id = "warned"
name = "Warned"
overall_cap_working_days = 90

[[reminders]]
working_days_before = 5

[[reminders]]
working_days_before = 0
at = "17:30"

[[stages]]
key = "x"
name = "X"
responder = "team_manager"
working_days = 5
"""


def test_check_warns_about_likely_mistakes_but_loads(tmp_path):
    path = tmp_path / "warned.toml"
    path.write_text(WARNED)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: warned")
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith("warning: warned.toml: reminders[0].working_days_before: 5 ")
    assert "can never fire" in warnings[0]
    assert warnings[1].startswith("warning: warned.toml: reminders[1].at: 17:30 is at or after")
    assert warnings[2].startswith("warning: warned.toml: overall_cap_working_days: 90 working")
    assert len(warnings) == 3


def test_check_names_a_duplicate_key(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text(BAD.replace("working_days = -2", "working_days = 5\nworking_days = 6"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "duplicate key 'working_days' at line 10" in result.stderr
    assert "Traceback" not in result.stderr


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

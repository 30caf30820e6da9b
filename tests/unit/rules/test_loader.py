import hashlib
import textwrap
from datetime import date, time

import pytest

from escalation_rules import (
    DayOne,
    LadderError,
    LegalStatus,
    TimeoutAction,
    load_ladder,
    load_ladder_setting,
    parse_ladder,
)
from escalation_rules.model import Who

GOOD = """
id = "test"
name = "Test council"

[[stages]]
key = "social_worker"
name = "Social worker"
responder = "social_worker"
working_days = 5

[[stages]]
key = "team_manager"
name = "Team manager"
responder = "team_manager"
working_days = 5
"""


def parse(text: str, file: str = "test.toml"):
    return parse_ladder(textwrap.dedent(text).encode(), file)


def problems(text: str) -> str:
    with pytest.raises(LadderError) as caught:
        parse(text)
    return str(caught.value)


def test_defaults():
    ladder = parse(GOOD)
    assert ladder.informal_first is True
    assert ladder.overall_cap_working_days == 20
    assert ladder.day_one is DayOne.NEXT_WORKING_DAY
    assert ladder.end_of_day == time(17, 0)
    assert ladder.timezone == "Europe/London"
    assert ladder.closure_days == frozenset()
    assert ladder.reminders == ()
    assert ladder.cafcass.legal_statuses == frozenset(LegalStatus)
    assert ladder.cafcass.requires_formal_process is False
    assert ladder.stages[0].may_start_here is True
    assert ladder.stages[0].copy == ()
    assert ladder.stages[0].on_timeout is TimeoutAction.ESCALATE


def test_the_top_stage_defaults_to_asking_the_iro():
    assert parse(GOOD).stages[-1].on_timeout is TimeoutAction.ASK_IRO


def test_every_key(tmp_path):
    text = GOOD.replace(
        'name = "Test council"',
        """name = "Test council"
description = "All the keys"
informal_first = false
overall_cap_working_days = 15
day_one = "same_day"
end_of_day = "16:30"
timezone = "Europe/London"
closure_days = [2026-12-29, "2026-12-30"]

[[reminders]]
working_days_before = 1
at = "08:45"

[cafcass]
legal_statuses = ["looked_after", "care_leaver"]
requires_formal_process = true
""",
    )
    ladder = parse(text)
    assert ladder.description == "All the keys"
    assert ladder.informal_first is False
    assert ladder.overall_cap_working_days == 15
    assert ladder.day_one is DayOne.SAME_DAY
    assert ladder.end_of_day == time(16, 30)
    assert ladder.closure_days == {date(2026, 12, 29), date(2026, 12, 30)}
    assert ladder.reminders[0].working_days_before == 1
    assert ladder.reminders[0].at == time(8, 45)
    assert ladder.cafcass.legal_statuses == {LegalStatus.LOOKED_AFTER, LegalStatus.CARE_LEAVER}
    assert ladder.cafcass.requires_formal_process is True


def test_copy_list_keeps_order_and_drops_repeats():
    text = GOOD.replace(
        'responder = "social_worker"',
        'responder = "social_worker"\ncopy = ["team_manager", "iro", "team_manager"]',
    )
    assert parse(text).stages[0].copy == (Who(("team_manager",)), Who(("iro",)))


def test_content_hash_is_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "test.toml"
    path.write_text(GOOD)
    assert load_ladder(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_ladder(str(path)).id == "test"


def test_load_ladder_setting_accepts_a_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    assert load_ladder_setting(str(path)).name == "Test council"


def test_load_ladder_setting_unknown():
    with pytest.raises(LadderError, match="no such file, nor a bundled ladder") as caught:
        load_ladder_setting("atlantis")
    assert "handbook" in str(caught.value)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(LadderError, match=r"^gone\.toml: cannot read"):
        load_ladder(tmp_path / "gone.toml")


def test_the_example_message_format():
    text = GOOD.replace('responder = "team_manager"', 'responder = "head_of_servce"')
    assert problems(text).startswith(
        "test.toml: stages[1].responder: unknown role or post 'head_of_servce' "
        "(expected one of: social_worker, team_manager,"
    )


def test_error_carries_file_key_and_problem():
    text = GOOD.replace("working_days = 5", "working_days = -5", 1)
    with pytest.raises(LadderError) as caught:
        parse(text, "mine.toml")
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.file, error.key) == ("mine.toml", "stages[0].working_days")
    assert error.problem == "must be greater than 0, got -5"


def test_all_problems_are_reported_one_per_line():
    text = GOOD.replace("working_days = 5", "working_days = 0").replace('id = "test"', 'id = "T T"')
    lines = problems(text).splitlines()
    assert lines == [
        "test.toml: id: must be a slug (lower-case letters, digits, '-' or '_'): 'T T'",
        "test.toml: stages[0].working_days: must be greater than 0, got 0",
        "test.toml: stages[1].working_days: must be greater than 0, got 0",
    ]


BAD = [
    (
        "unknown role",
        ('responder = "social_worker"', 'responder = "boss"'),
        "stages[0].responder",
        "unknown role or post 'boss'",
    ),
    (
        "role that cannot respond",
        ('responder = "social_worker"', 'responder = "admin"'),
        "stages[0].responder",
        "cannot respond",
    ),
    (
        "negative timescale",
        ("working_days = 5", "working_days = -1"),
        "stages[0].working_days",
        "greater than 0",
    ),
    (
        "fractional timescale",
        ("working_days = 5", "working_days = 2.5"),
        "stages[0].working_days",
        "whole number",
    ),
    (
        "boolean timescale",
        ("working_days = 5", "working_days = true"),
        "stages[0].working_days",
        "whole number",
    ),
    (
        "quoted timescale",
        ("working_days = 5", 'working_days = "5"'),
        "stages[0].working_days",
        "whole number",
    ),
    (
        "duplicate stage",
        ('key = "team_manager"', 'key = "social_worker"'),
        "stages[1].key",
        "duplicate stage key 'social_worker'",
    ),
    (
        "typo in a stage key",
        ("working_days = 5", "workng_days = 5"),
        "stages[0].workng_days",
        "did you mean 'working_days'",
    ),
    (
        "missing working days",
        ("working_days = 5", ""),
        "stages[0].working_days",
        "missing required key",
    ),
    (
        "typo at the top",
        ('name = "Test council"', 'name = "Test council"\ninformal_frist = true'),
        "informal_frist",
        "did you mean 'informal_first'",
    ),
    ("missing name", ('name = "Test council"', ""), "name", "missing required key"),
    ("empty name", ('name = "Test council"', 'name = " "'), "name", "must not be empty"),
    ("missing id", ('id = "test"', ""), "id", "missing required key"),
    ("id not a slug", ('id = "test"', 'id = "Test Council"'), "id", "must be a slug"),
    (
        "stage key not a slug",
        ('key = "social_worker"', 'key = "social worker"'),
        "stages[0].key",
        "must be a slug",
    ),
    (
        "copy names an unknown role",
        ('responder = "social_worker"', 'responder = "social_worker"\ncopy = ["team_manger"]'),
        "stages[0].copy[0]",
        "unknown role or post 'team_manger'",
    ),
    (
        "copy not a list",
        ('responder = "social_worker"', 'responder = "social_worker"\ncopy = "team_manager"'),
        "stages[0].copy",
        "must be a list",
    ),
    (
        "unknown on_timeout",
        ('responder = "social_worker"', 'responder = "social_worker"\non_timeout = "wait"'),
        "stages[0].on_timeout",
        "unknown on_timeout value 'wait'",
    ),
    (
        "top stage escalates",
        ('responder = "team_manager"', 'responder = "team_manager"\non_timeout = "escalate"'),
        "stages[1].on_timeout",
        "no higher stage",
    ),
    (
        "may_start_here not a boolean",
        ("working_days = 5", 'working_days = 5\nmay_start_here = "yes"'),
        "stages[0].may_start_here",
        "true or false",
    ),
    (
        "unknown day_one",
        ('id = "test"', 'id = "test"\nday_one = "tomorrow"'),
        "day_one",
        "unknown day_one value 'tomorrow'",
    ),
    ("bad end of day", ('id = "test"', 'id = "test"\nend_of_day = "5pm"'), "end_of_day", '"HH:MM"'),
    (
        "end of day out of range",
        ('id = "test"', 'id = "test"\nend_of_day = "24:00"'),
        "end_of_day",
        '"HH:MM"',
    ),
    (
        "bad date",
        ('id = "test"', 'id = "test"\nclosure_days = ["2026-02-30"]'),
        "closure_days[0]",
        "must be a date",
    ),
    (
        "date-time as a date",
        ('id = "test"', 'id = "test"\nclosure_days = [2026-12-29T09:00:00]'),
        "closure_days[0]",
        "must be a date",
    ),
    (
        "cap of zero",
        ('id = "test"', 'id = "test"\noverall_cap_working_days = 0'),
        "overall_cap_working_days",
        "greater than 0",
    ),
    (
        "unknown timezone",
        ('id = "test"', 'id = "test"\ntimezone = "Europe/Londn"'),
        "timezone",
        "unknown time zone 'Europe/Londn'",
    ),
    (
        "unknown legal status",
        ("", '\n[cafcass]\nlegal_statuses = ["in_care"]'),
        "cafcass.legal_statuses[0]",
        "unknown legal status 'in_care'",
    ),
    (
        "no legal status",
        ("", "\n[cafcass]\nlegal_statuses = []"),
        "cafcass.legal_statuses",
        "at least one",
    ),
    (
        "typo in cafcass",
        ("", "\n[cafcass]\nrequires_formal = true"),
        "cafcass.requires_formal",
        "did you mean 'requires_formal_process'",
    ),
    (
        "negative reminder",
        ("", "\n[[reminders]]\nworking_days_before = -1"),
        "reminders[0].working_days_before",
        "must be 0 or more",
    ),
    (
        "bad reminder time",
        ("", '\n[[reminders]]\nworking_days_before = 1\nat = "9am"'),
        "reminders[0].at",
        '"HH:MM"',
    ),
    (
        "reminder not a table",
        ('id = "test"', 'id = "test"\nreminders = [1]'),
        "reminders[0]",
        "must be a table",
    ),
]


@pytest.mark.parametrize(
    ("change", "key", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_ladders_are_refused_naming_file_and_key(change, key, message):
    old, new = change
    assert old in GOOD
    text = GOOD.replace(old, new, 1) if old else GOOD + new
    report = problems(text)
    assert f"test.toml: {key}: " in report
    assert message in report


def test_no_stages():
    text = GOOD[: GOOD.index("[[stages]]")] + "stages = []\n"
    assert "test.toml: stages: must have at least one stage" in problems(text)


def test_missing_stages():
    assert "test.toml: stages: missing required key" in problems(GOOD[: GOOD.index("[[stages]]")])


def test_not_toml():
    assert problems('id = "x\n').startswith("test.toml: not valid TOML:")


def test_not_utf8():
    with pytest.raises(LadderError, match="not UTF-8"):
        parse_ladder(b"id = '\xff'", "bin.toml")


def test_nowhere_to_start():
    text = GOOD.replace("working_days = 5", "working_days = 5\nmay_start_here = false")
    assert "test.toml: stages: no stage has may_start_here = true" in problems(text)


def test_large_reminder_is_allowed():
    text = GOOD + "[[reminders]]\nworking_days_before = 9\n"
    assert parse(text).reminders[0].at == time(9, 0)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (('responder = "social_worker"', 'responder = "iro"'), "stages[0].responder",
         "cannot respond"),
        (('responder = "social_worker"', 'responder = "social_worker"\nfallback = ["qa"]'),
         "stages[0].fallback[0]", "unknown role or post 'qa'"),
        (('responder = "social_worker"', 'responder = { post = "social_worker", route = "up" }'),
         "stages[0].responder.route", "unknown route 'up'"),
        (('responder = "social_worker"', 'responder = { route = "council" }'),
         "stages[0].responder.post", "missing required key"),
        (('responder = "social_worker"', 'responder = []'), "stages[0].responder",
         "at least one post"),
        (('responder = "social_worker"', 'responder = "social_worker"\nraised_by = ["team_manager"]'),
         "stages[0].raised_by", "must include 'iro'"),
        (("working_days = 5", 'working_days = "never"'), "stages[0].working_days",
         'or "none"'),
    ],
)  # fmt: skip
def test_bad_routes_and_posts_are_refused_naming_the_key(change, key, message):
    with pytest.raises(LadderError) as caught:
        parse(GOOD.replace(*change, 1))
    found = {p.key: p.problem for p in caught.value.problems}
    assert key in found, found
    assert message in found[key]


def test_posts_are_declared_with_a_name_and_not_as_roles():
    text = GOOD + '\n[posts.team_manager]\nname = "TM"\n'

    with pytest.raises(LadderError, match="is a built-in role"):
        parse(text)


def test_no_cap_and_no_timescale_are_written_none():
    text = GOOD.replace("working_days = 5", 'working_days = "none"', 1)
    ladder = parse(text.replace('id = "test"', 'id = "test"\noverall_cap_working_days = "none"'))
    assert ladder.stages[0].working_days is None
    assert ladder.overall_cap_working_days is None

import json

from escalation_rules import explain
from escalation_rules.explain_render import to_json_dict, to_text

from .conftest import london


def test_explanation_fields(handbook):
    expl = explain(handbook, london("2026-12-23T10:00"))
    assert (expl.ladder_id, expl.ladder_name) == ("handbook", "IRO Handbook default")
    assert expl.content_hash == handbook.content_hash
    assert expl.effective_start_day.isoformat() == "2026-12-23"
    assert [s.key for s in expl.stages] == list(handbook.stage_keys)
    assert expl.stages[0].due_at.isoformat() == "2027-01-04T17:00:00+00:00"
    assert expl.cap.last_day.isoformat() == "2027-01-25"


def test_json(handbook):
    data = to_json_dict(explain(handbook, london("2026-12-23T10:00")))
    json.dumps(data)  # serialisable as it stands
    stage = data["stages"][0]
    assert stage["key"] == "social_worker"
    assert stage["due_at"] == "2027-01-04T17:00:00+00:00"
    assert stage["skipped"][3] == {"date": "2026-12-28", "reason": "Boxing Day (substitute day)"}
    assert len(stage["skipped"]) == 7
    assert data["cap"]["working_days"] == 20
    assert data["ladder"]["hash"] == handbook.content_hash


def test_json_shows_the_summer_time_offset(handbook):
    data = to_json_dict(explain(handbook, london("2026-06-01T10:00")))
    assert data["stages"][0]["due_at"] == "2026-06-08T17:00:00+01:00"
    assert data["start"] == "2026-06-01T10:00:00+01:00"


def test_text(handbook):
    text = to_text(explain(handbook, london("2026-12-23T10:00")))
    assert "Head of Service  head_of_service  5 working days   Mon 18 Jan 2027 17:00 GMT" in text
    assert "Overall cap" in text
    assert "Mon 28 Dec 2026  Boxing Day (substitute day)" in text
    assert "Fri 1 Jan 2027   New Year's Day" in text
    assert "Working day 1 is Thu 24 Dec 2026".lower() in text.lower()


def test_text_without_holidays(handbook):
    text = to_text(explain(handbook, london("2026-06-01T10:00")))
    assert "Mon 8 Jun 2026 17:00 BST" in text
    assert "No holidays or closures" in text

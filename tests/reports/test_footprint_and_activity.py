"""The child's footprint (order, content, exports) and who may record IRO activity."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from api.reports.footprint_export import footprint_csv, footprint_json, footprint_pdf
from tests.factories import Council
from tests.reports.conftest import REPORT_AT, Scenario, at
from workflow.activity import ActivityRefused, NewActivity, record_activity
from workflow.activity_tables import IroActivity
from workflow.errors import NotFound, NotPermitted, RuleViolation
from workflow.footprint import child_footprint
from workflow.runtime import Runtime


def _ll1003(refs: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """LL1003's footprint by hand: (date, what, challenge, who), in date order."""
    i, g, c = refs["I"], refs["G"], refs["C"]
    return [
        ("2026-11-02", "Challenge raised", i, "Omar Reviewer"),
        ("2026-11-03", "Informal discussion", g, "Omar Reviewer"),
        ("2026-11-05", "Video call with the child", "", "Omar Reviewer"),
        (
            "2026-11-06",
            "Consultation with the social worker after a significant change",
            "",
            "Omar Reviewer",
        ),
        ("2026-11-10", "Time ran out", i, "The system"),
        ("2026-11-11", "Response", i, "Ada Director"),
        ("2026-11-12", "Resolved", i, "Omar Reviewer"),
        ("2026-11-16", "Challenge raised", c, "Omar Reviewer"),
        ("2026-11-23", "Response", c, "Tom Lead"),
        ("2026-11-24", "Escalated", c, "Omar Reviewer"),
    ]


def test_footprint_in_date_order_with_who_did_what(scenario: Scenario) -> None:
    rt = scenario.runtime
    fp = child_footprint(rt.engine, rt.ladders.current, "LL1003")
    got = [(e.on.isoformat(), e.what, e.challenge or "", e.who) for e in fp.entries]
    assert got == _ll1003(scenario.refs)
    assert (fp.iro, fp.social_worker) == ("Omar Reviewer", "Sue Caseworker")
    details = {e.what + (e.challenge or ""): e.detail for e in fp.entries}
    refs = scenario.refs
    assert details["Challenge raised" + refs["I"]] == (
        "Permanence planning: Problem for LL1003 Raised at Senior manager, to Ada Director."
    )
    assert details["Time ran out" + refs["I"]] == (
        "No response at Senior manager by 9 November 2026; the IRO decides"
    )
    assert details["Escalated" + refs["C"]] == "To Head of Service, to Hugh Service."
    assert details["Response" + refs["C"]] == "We will act Actions: Book it by 23 November 2026."


def test_footprint_shows_cafcass_good_practice_and_extensions(scenario: Scenario) -> None:
    rt = scenario.runtime
    fp = child_footprint(rt.engine, rt.ladders.current, "LL1001")
    by_what = [(e.what, e.detail) for e in fp.entries if e.challenge == scenario.refs["B"]]
    assert (
        "CAFCASS referral",
        "Referred on 12 November 2026: Failed to prepare the care plan.",
    ) in (by_what)
    assert ("Good-practice alert", "Sam acted at once") in by_what
    assert ("Response not accepted", "Not enough Escalated to Team manager, to Tara Manager.") in (
        by_what
    )
    assert [e.on for e in fp.entries] == sorted(e.on for e in fp.entries)
    # The deadline sweep's reminders and cap alerts, and kinds nobody knows yet, are left out.
    with rt.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at,"
                " from_state, to_state, changes, details) SELECT id, 90 + :n, :kind,"
                " raised_at, raised_at, state, state, '{}', '{}' FROM challenge WHERE reference=:r"
            ),
            [{"r": scenario.refs["F"], "kind": k, "n": n}
             for n, k in enumerate(("remind", "alert_cap", "something_new"))],
        )  # fmt: skip
    again = child_footprint(rt.engine, rt.ladders.current, "LL1002")
    assert {e.kind for e in again.entries} == {"raise_informal", "withdraw", "text_message",
                                               "midway_review"}  # fmt: skip


def test_footprint_exports(scenario: Scenario) -> None:
    rt = scenario.runtime
    fp = child_footprint(rt.engine, rt.ladders.current, "LL1003")
    expected = _ll1003(scenario.refs)
    rows = list(csv.DictReader(io.StringIO(footprint_csv(fp))))
    assert [(r["date"], r["what"], r["challenge"], r["who"]) for r in rows] == expected
    assert rows[0]["time"] == "10:00" and rows[2]["time"] == ""
    data = footprint_json(fp)
    assert data["child"]["reference"] == "LL1003"
    assert [(e["date"], e["what"], e["challenge"] or "", e["who"]) for e in data["entries"]] == (
        expected
    )
    text = re.sub(r"\s+", " ", PdfReader(io.BytesIO(footprint_pdf(fp, REPORT_AT))).pages[0]
                  .extract_text())  # fmt: skip
    assert "IRO footprint: Child LL1003 (LL1003)" in text
    for day, what, _ref, _who in expected:
        if len(what) < 30:  # long labels wrap inside their cell
            words = f"{date.fromisoformat(day).day} {date.fromisoformat(day):%B %Y}"
            assert f"{words} {what}" in text, what
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "ISO date in the PDF"
    assert text.count(scenario.refs["I"]) >= 4


def test_unknown_child(runtime: Runtime, council: Council) -> None:
    with pytest.raises(NotFound):
        child_footprint(runtime.engine, runtime.ladders.current, "LL9999")


def _record(runtime: Runtime, actor: int, child: str = "LL1001", kind: str = "visit",
            on: date = date(2026, 12, 1), note: str = "Saw her at school") -> IroActivity:  # fmt: skip
    with runtime.uow() as uow:
        return record_activity(uow, NewActivity(child, kind, on, note), actor, at(12, 2))


def _count(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM iro_activity")).scalar_one())


def test_the_childs_iro_records_activity(runtime: Runtime, council: Council) -> None:
    row = _record(runtime, council.iro, on=date(2026, 12, 2))  # today counts as not future
    assert (row.kind, row.occurred_on, row.iro_id) == ("visit", date(2026, 12, 2), council.iro)
    fp = child_footprint(runtime.engine, runtime.ladders.current, "LL1001")
    assert [(e.what, e.who, e.detail) for e in fp.entries] == [
        ("Visit to the child (in person)", "Imogen Reviewer", "Saw her at school")
    ]


@pytest.mark.parametrize("who", ["other_iro", "social_worker", "team_manager"])
def test_only_the_childs_iro_may_record(runtime: Runtime, council: Council, who: str) -> None:
    with pytest.raises(NotPermitted, match="may not record activity for child LL1001"):
        _record(runtime, getattr(council, who))
    assert _count(runtime) == 0


def test_refusals_name_the_field(runtime: Runtime, council: Council) -> None:
    cases = [
        ({"on": date(2026, 12, 3)}, "occurred_on", "today or in the past (today is 2026-12-02"),
        ({"kind": "lunch"}, "kind", "there is no kind of activity 'lunch'"),
        ({"note": "  "}, "note", "enter a note"),
    ]
    for change, field, words in cases:
        with pytest.raises(ActivityRefused) as refused:
            _record(runtime, council.iro, **change)  # type: ignore[arg-type]
        assert isinstance(refused.value, RuleViolation)
        assert refused.value.field == field
        assert words in str(refused.value) and "Child LL1001" in str(refused.value)
    with pytest.raises(NotFound):
        _record(runtime, council.iro, child="LL4040")
    assert _count(runtime) == 0

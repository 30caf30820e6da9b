"""Issue 12, the rest of the SMT pack, in the pages and the API: good practice recorded without
a challenge, the admin page for the kinds of outcome (and themes), looked-after dates on the
admin child page and working time on the admin person page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from tests.web.conftest import error_links, summary_rows
from workflow.activity_tables import GoodPractice
from workflow.change_history import ChangeRecord
from workflow.tables import Child, OutcomeKind, Person

TODAY = datetime.now(UTC).date()


def _date(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}  # fmt: skip


def _good_practice(runtime) -> list[tuple[int | None, int | None, int | None, str]]:
    with Session(runtime.engine) as s:
        rows = s.exec(select(GoodPractice)).all()
        return [(g.child_id, g.person_id, g.team_id, g.what) for g in rows]


def test_an_iro_records_good_practice_for_their_child_and_it_is_on_the_footprint(
    login, runtime, people
):
    iro = login("iro@council.test")
    form = iro.get("/good-practice/new?child=LL1001")
    assert form.status_code == 200 and "Who is it about?" in form.text
    assert 'value="LL1001" selected' in form.text
    missing = iro.post("/good-practice/new", data={"about": "child", "child_reference": "LL1001"})
    assert missing.status_code == 422
    assert [f for f, _ in error_links(missing.text)] == ["occurred_on-day", "what"]
    done = iro.post("/good-practice/new", data={
        "about": "child", "child_reference": "LL1001", "what": "Family time arranged in a day",
        **_date("occurred_on", TODAY)}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/children/LL1001/footprint"
    page = iro.get("/children/LL1001/footprint").text
    assert "Good practice recognised" in page and "Family time arranged in a day" in page
    c = people.council
    assert _good_practice(runtime) == [(c.children["LL1001"], None, None,
                                        "Family time arranged in a day")]  # fmt: skip


def test_good_practice_about_a_worker_or_team_and_the_refusals(login, runtime, people):
    c = people.council
    iro = login("iro@council.test")
    worker = iro.post("/good-practice/new", data={
        "about": "worker", "person_id": str(c.social_worker), "what": "Thorough assessment",
        **_date("occurred_on", TODAY)}, follow_redirects=False)  # fmt: skip
    assert worker.status_code == 303
    future = iro.post("/good-practice/new", data={
        "about": "team", "team_id": "1", "what": "x",
        **_date("occurred_on", TODAY + timedelta(days=2))})  # fmt: skip
    assert future.status_code == 422
    assert [f for f, _ in error_links(future.text)] == ["occurred_on-day"]
    nobody = iro.post("/good-practice/new", data={"about": "team", "what": "x",
                                                  **_date("occurred_on", TODAY)})  # fmt: skip
    assert error_links(nobody.text) == [("team_id", "Select the team")]
    # Only IROs record good practice: the page is not theirs.
    assert login("sw@council.test").get("/good-practice/new").status_code == 403
    refused = login("sw@council.test").post("/good-practice/new", data={
        "about": "worker", "person_id": str(c.team_manager), "what": "x",
        **_date("occurred_on", TODAY)})  # fmt: skip
    assert refused.status_code == 403
    assert _good_practice(runtime) == [(None, c.social_worker, None, "Thorough assessment")]


def test_the_api_records_good_practice(anonymous, people, token_for, runtime):
    c = people.council
    body = {"occurred_on": TODAY.isoformat(), "what": "Quick answer", "person_id": c.team_manager}
    made = anonymous.post("/api/v1/good-practice", json=body, headers=token_for(c.iro))
    assert made.status_code == 201 and made.json()["person_id"] == c.team_manager
    theirs = anonymous.post("/api/v1/good-practice", headers=token_for(c.other_iro),
                            json={**body, "person_id": None, "child_reference": "LL1001"})  # fmt: skip
    assert theirs.status_code == 403  # not Omar's child
    both = anonymous.post("/api/v1/good-practice", headers=token_for(c.iro),
                          json={**body, "team_id": 1})  # fmt: skip
    assert both.status_code == 422 and "choose one child" in both.text
    assert len(_good_practice(runtime)) == 1


def _kinds(runtime) -> dict[str, tuple[str, bool]]:
    with Session(runtime.engine) as s:
        return {k.key: (k.label, k.active) for k in s.exec(select(OutcomeKind))}


def test_an_admin_adds_renames_retires_and_deletes_kinds_of_outcome(login, runtime, people):
    admin = login("admin@council.test")
    page = admin.get("/admin/outcome-kinds")
    assert page.status_code == 200 and "Care plan updated" in page.text
    added = admin.post("/admin/outcome-kinds/new", data={"label": "Education support"},
                       follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    assert _kinds(runtime)["education_support"] == ("Education support", True)
    again = admin.post("/admin/outcome-kinds/new", data={"label": "Education support"})
    assert again.status_code == 422 and error_links(again.text)[0][0] == "label"
    empty = admin.post("/admin/outcome-kinds/plan_updated/rename", data={"label": " "})
    assert empty.status_code == 422
    renamed = admin.post("/admin/outcome-kinds/plan_updated/rename",
                         data={"label": "Care plan changed"}, follow_redirects=False)  # fmt: skip
    assert renamed.status_code == 303
    assert admin.post("/admin/outcome-kinds/no_change/retire").status_code == 200
    assert _kinds(runtime)["no_change"] == ("No change", False)
    assert admin.post("/admin/outcome-kinds/no_change/offer").status_code == 200
    assert _kinds(runtime)["no_change"] == ("No change", True)
    assert admin.post("/admin/outcome-kinds/education_support/delete").status_code == 200
    assert "education_support" not in _kinds(runtime)
    entry = admin.get("/admin/outcome-kinds/plan_updated").text
    assert "Care plan updated" in entry and "Care plan changed" in entry and "Adam Min" in entry
    with Session(runtime.engine) as s:
        changes = s.exec(select(ChangeRecord).where(ChangeRecord.record_kind == "outcome_kind",
                                                    ChangeRecord.record_key == "no_change")).all()  # fmt: skip
    assert [(r.field, r.before, r.after) for r in changes] == [
        ("Offered", "Yes", "No (retired)"), ("Offered", "No (retired)", "Yes")]  # fmt: skip
    # Not without the form's CSRF token, and not for anyone but an admin.
    forged = admin.client.post("/admin/outcome-kinds/new", data={"label": "Forged"})
    assert forged.status_code == 403
    assert login("iro@council.test").get("/admin/outcome-kinds").status_code == 403
    assert admin.get("/admin/themes").status_code == 200


def test_a_kind_of_outcome_in_use_is_retired_never_deleted(login, runtime, people, raised):
    from workflow.services import take_action

    c, now = people.council, datetime.now(UTC)
    with runtime.uow() as uow:
        take_action(uow, raised, "respond", c.social_worker,
                    {"response": "Booked", "actions": "Visit", "target_date": TODAY.isoformat()}, now)  # fmt: skip
    with runtime.uow() as uow:
        take_action(uow, raised, "accept", c.iro, {"outcome_kind": "contact_arranged",
                    "outcome": "Contact set", "impact": "Sees her brother"}, now)  # fmt: skip
    admin = login("admin@council.test")
    entry = admin.get("/admin/outcome-kinds/contact_arranged").text
    assert "1 record" in entry and "Delete (nothing uses it)" not in entry
    refused = admin.post("/admin/outcome-kinds/contact_arranged/delete")
    assert refused.status_code == 422 and "retire it instead" in refused.text
    assert "contact_arranged" in _kinds(runtime)


def test_an_admin_records_when_a_child_was_looked_after(login, runtime, people):
    c = people.council
    child_id = c.children["LL1001"]
    admin = login("admin@council.test")
    base = {"legal_status": "looked_after", "social_worker_id": str(c.social_worker),
            "iro_id": str(c.iro), "team_id": ""}  # fmt: skip
    wrong = admin.post(f"/admin/children/{child_id}/edit", data={
        **base, **_date("looked_after_until", date(2026, 1, 5))})  # fmt: skip
    assert wrong.status_code == 422
    assert [f for f, _ in error_links(wrong.text)] == ["looked_after_from-day"]
    backwards = admin.post(f"/admin/children/{child_id}/edit", data={
        **base, **_date("looked_after_from", date(2026, 2, 1)),
        **_date("looked_after_until", date(2026, 1, 5))})  # fmt: skip
    assert [f for f, _ in error_links(backwards.text)] == ["looked_after_until-day"]
    done = admin.post(f"/admin/children/{child_id}/edit", data={
        **base, **_date("looked_after_from", date(2024, 3, 27))}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    with Session(runtime.engine) as s:
        child = s.get(Child, child_id)
        assert child is not None and child.looked_after_from == date(2024, 3, 27)
        assert child.looked_after_until is None
    page = admin.get(f"/admin/children/{child_id}").text
    assert summary_rows(page)["Looked after from"].startswith("27 March 2024")
    assert "Still looked after" in page and "Change history" in page


def test_an_admin_sets_an_iros_working_time(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    form = {"name": "Omar Reviewer", "email": "iro2@council.test", "role": "iro", "team_id": "",
            "manager_id": "", "deputy_id": "", "absent": "no"}  # fmt: skip
    wrong = admin.post(f"/admin/people/{c.other_iro}/edit", data={**form, "fte": "1.5"})
    assert wrong.status_code == 422 and [f for f, _ in error_links(wrong.text)] == ["fte"]
    done = admin.post(f"/admin/people/{c.other_iro}/edit", data={**form, "fte": "60%"},
                      follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    with Session(runtime.engine) as s:
        assert s.get(Person, c.other_iro).fte == 0.6  # type: ignore[union-attr]
    page = admin.get(f"/admin/people/{c.other_iro}").text
    assert "0.6 of full time" in page and "Working time" in page
    assert 'value="0.6"' in admin.get(f"/admin/people/{c.other_iro}/edit").text


def test_the_api_reads_and_sets_working_time(anonymous, people, token_for, runtime):
    c = people.council
    url = f"/api/v1/people/{c.other_iro}/working-time"
    assert anonymous.get(url, headers=token_for(c.iro)).json()["fte"] == 1.0
    refused = anonymous.put(url, json={"fte": 0.5}, headers=token_for(c.iro))
    assert refused.status_code == 403
    assert anonymous.put(url, json={"fte": 1.2}, headers=token_for(people.admin)).status_code == 422
    done = anonymous.put(url, json={"fte": 0.5}, headers=token_for(people.admin))
    assert done.status_code == 200 and done.json()["fte"] == 0.5
    # Setting posts through the API keeps the working time.
    posts = anonymous.put(f"/api/v1/people/{c.other_iro}/posts", json={"posts": ["iro_manager"]},
                          headers=token_for(people.admin))  # fmt: skip
    assert posts.status_code == 200
    with Session(runtime.engine) as s:
        assert s.get(Person, c.other_iro).fte == 0.5  # type: ignore[union-attr]
        fields = s.exec(select(ChangeRecord.field, ChangeRecord.after).where(
            ChangeRecord.record_kind == "person", ChangeRecord.record_id == c.other_iro)).all()  # fmt: skip
    assert ("Working time", "0.5 of full time") in fields

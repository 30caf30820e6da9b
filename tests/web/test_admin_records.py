"""Admins add and edit people and a child's allocation in pages; every change is kept in
the record's change history (who, when, field, before, after) and shown on its page."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.web.conftest import error_links
from workflow.change_history import ChangeRecord
from workflow.tables import Child, Person, PersonPost


def _history(runtime, kind: str, record_id: int) -> list[tuple[str, str, str, int | None]]:
    with Session(runtime.engine) as s:
        rows = s.exec(
            select(ChangeRecord).where(
                ChangeRecord.record_kind == kind, ChangeRecord.record_id == record_id
            )
        ).all()
        return sorted((r.field, r.before, r.after, r.changed_by_id) for r in rows)


def _person_form(runtime, council, **changes: str) -> dict[str, str]:
    """The social worker's stored answers, as the edit form sends them, with `changes`."""
    with Session(runtime.engine) as s:
        team_id = s.get(Person, council.social_worker).team_id  # type: ignore[union-attr]
    form = {
        "name": "Sam Worker", "email": "sw@council.test", "role": "social_worker",
        "team_id": str(team_id), "manager_id": str(council.team_manager), "deputy_id": "", "absent": "no",
    }  # fmt: skip
    return {**form, **changes}


def test_an_admin_changes_a_persons_line_manager_and_it_is_in_the_history(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    assert admin.get(f"/admin/people/{c.social_worker}/edit").status_code == 200
    done = admin.post(
        f"/admin/people/{c.social_worker}/edit",
        data=_person_form(runtime, c, manager_id=str(c.deputy_team_manager), absent="yes"),
        follow_redirects=False,
    )
    assert (
        done.status_code == 303 and done.headers["location"] == f"/admin/people/{c.social_worker}"
    )
    with Session(runtime.engine) as s:
        sw = s.get(Person, c.social_worker)
        assert sw is not None and sw.manager_id == c.deputy_team_manager and sw.absent
    assert _history(runtime, "person", c.social_worker) == [
        ("Away", "No", "Yes", people.admin),
        ("Line manager", "Tara Manager", "Dev Duty", people.admin),
    ]
    page = admin.get(f"/admin/people/{c.social_worker}").text
    assert "Change history" in page and "Tara Manager" in page and "Dev Duty" in page
    assert "Adam Min" in page  # who made the change


def test_saving_without_a_change_records_nothing(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    admin.post(f"/admin/people/{c.social_worker}/edit", data=_person_form(runtime, c))
    assert _history(runtime, "person", c.social_worker) == []
    assert "No changes have been recorded yet" in admin.get(f"/admin/people/{c.social_worker}").text


def test_an_admin_adds_a_person(login, runtime, people):
    admin = login("admin@council.test")
    assert admin.get("/admin/people/new").status_code == 200
    done = admin.post("/admin/people/new", data=_person_form(
        runtime, people.council, name="Nia Newcomer", email="  Nia.Newcomer@Council.test ",
    ), follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    with Session(runtime.engine) as s:
        nia = s.exec(select(Person).where(Person.email == "nia.newcomer@council.test")).one()
        assert nia.name == "Nia Newcomer" and nia.manager_id == people.council.team_manager
    assert done.headers["location"] == f"/admin/people/{nia.id}"
    fields = {f for f, *_ in _history(runtime, "person", nia.id)}
    assert {"Name", "Email", "Role", "Team", "Line manager", "Active"} <= fields


def test_bad_answers_get_a_govuk_error_summary_and_change_nothing(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    cases = [
        ({"name": ""}, "name", "full name"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"email": "tm@council.test"}, "email", "Someone else already has the email"),
        ({"role": "wizard"}, "role", "role"),
        ({"manager_id": str(c.social_worker)}, "manager_id", "cannot be their own line manager"),
        ({"deputy_id": "999999"}, "deputy_id", "Select a deputy from the list"),
    ]
    for changes, field, message in cases:
        page = admin.post(
            f"/admin/people/{c.social_worker}/edit", data=_person_form(runtime, c, **changes)
        )
        assert page.status_code == 422, changes
        assert any(href == field and message in text for href, text in error_links(page.text)), (changes, error_links(page.text))  # fmt: skip
    # The team manager may not be managed by the social worker they manage.
    cycle = admin.post(f"/admin/people/{c.team_manager}/edit", data=_person_form(
        runtime, c, name="Tara Manager", email="tm@council.test", role="team_manager",
        manager_id=str(c.social_worker)))  # fmt: skip
    assert cycle.status_code == 422 and "Sam Worker is managed" in cycle.text
    assert _history(runtime, "person", c.social_worker) == []
    assert _history(runtime, "person", c.team_manager) == []


def test_a_person_who_is_someones_deputy_cannot_be_deactivated(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    refused = admin.post(f"/admin/people/{c.deputy_team_manager}/account/deactivate")
    assert refused.status_code == 422 and "is the deputy for Tara Manager" in refused.text
    with Session(runtime.engine) as s:
        assert s.get(Person, c.deputy_team_manager).active  # type: ignore[union-attr]


def test_deactivating_and_reactivating_are_in_the_history(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    admin.post(f"/admin/people/{c.iro}/account/deactivate")
    admin.post(f"/admin/people/{c.iro}/account/reactivate")
    assert sorted(_history(runtime, "person", c.iro)) == [
        ("Active", "No", "Yes", people.admin),
        ("Active", "Yes", "No", people.admin),
    ]


def test_an_admin_changes_a_childs_allocation(login, runtime, people):
    c = people.council
    child_id = c.children["LL1002"]
    admin = login("admin@council.test")
    listing = admin.get("/admin/children?q=ll1002").text
    assert f"/admin/children/{child_id}" in listing and "LL1001" not in listing
    assert admin.get(f"/admin/children/{child_id}/edit").status_code == 200
    with Session(runtime.engine) as s:
        team_id = s.get(Person, c.team_manager).team_id  # type: ignore[union-attr]
    done = admin.post(f"/admin/children/{child_id}/edit", data={
        "legal_status": "looked_after", "social_worker_id": "", "iro_id": str(c.other_iro),
        "team_id": str(team_id)}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    with Session(runtime.engine) as s:
        child = s.get(Child, child_id)
        assert child is not None and child.iro_id == c.other_iro and child.social_worker_id is None
    assert _history(runtime, "child", child_id) == [
        ("IRO", "Imogen Reviewer", "Omar Reviewer", people.admin),
        ("Legal status", "Child in need", "Looked after (in care)", people.admin),
        ("Social worker", "Sam Worker", "", people.admin),
        ("Team", "", "Children in Care Team 1", people.admin),
    ]
    page = admin.get(f"/admin/children/{child_id}").text
    assert "No allocated social worker" in page and "Omar Reviewer" in page


def test_a_child_gets_only_a_social_worker_and_an_iro_who_hold_those_roles(login, runtime, people):
    c = people.council
    child_id = c.children["LL1001"]
    admin = login("admin@council.test")
    for form, field in (
        ({"legal_status": "", "social_worker_id": "", "iro_id": ""}, "legal_status"),
        ({"legal_status": "looked_after", "social_worker_id": str(c.team_manager), "iro_id": ""}, "social_worker_id"),
        ({"legal_status": "looked_after", "social_worker_id": "", "iro_id": str(c.social_worker)}, "iro_id"),
    ):  # fmt: skip
        page = admin.post(f"/admin/children/{child_id}/edit", data=form)
        assert page.status_code == 422 and field in dict(error_links(page.text)), form
    assert _history(runtime, "child", child_id) == []


def test_only_admins_open_or_change_records(login, runtime, people):
    c = people.council
    for email in ("hos@council.test", "iro@council.test", "smt@council.test"):
        other = login(email)
        for url in ("/admin/people/new", f"/admin/people/{c.social_worker}",
                    f"/admin/people/{c.social_worker}/edit", "/admin/children",
                    f"/admin/children/{c.children['LL1001']}/edit"):  # fmt: skip
            assert other.get(url).status_code == 403, (email, url)
        changed = other.post(
            f"/admin/people/{c.social_worker}/edit", data=_person_form(runtime, c, name="X")
        )
        assert changed.status_code == 403


def test_a_form_without_the_csrf_token_is_refused(login, runtime, people):
    admin = login("admin@council.test")
    c = people.council
    raw = admin.client.post(f"/admin/people/{c.social_worker}/edit", data=_person_form(runtime, c))
    assert raw.status_code == 403


def test_unknown_records_are_404(login, people):
    admin = login("admin@council.test")
    assert admin.get("/admin/people/999999").status_code == 404
    assert admin.get("/admin/children/999999/edit").status_code == 404


def test_an_import_through_the_page_is_in_the_history_as_the_admins(login, runtime, people):
    admin = login("admin@council.test")
    text = "email,name,role,absent\nsw@council.test,Sam Worker,social_worker,yes\n"
    files = {"file": ("people.csv", text.encode(), "text/csv")}
    done = admin.client.post(
        "/admin/import", data={"csrftoken": admin.token, "kind": "people"}, files=files
    )
    assert done.status_code == 200 and "1 updated" in done.text
    assert _history(runtime, "person", people.council.social_worker) == [
        ("Away", "No", "Yes", people.admin)
    ]


def test_an_admin_gives_a_person_posts_the_ladder_names(login, runtime, people):
    c = people.council
    admin = login("admin@council.test")
    refused = admin.post(f"/admin/people/{c.iro}/edit", data=_person_form(
        runtime, c, name="Imogen Reviewer", email="iro@council.test", role="iro", manager_id="",
        posts="head of qa"))  # fmt: skip
    assert refused.status_code == 422 and "posts" in dict(error_links(refused.text))
    admin.post(f"/admin/people/{c.iro}/edit", data=_person_form(
        runtime, c, name="Imogen Reviewer", email="iro@council.test", role="iro", manager_id="",
        posts="iro_manager; Head_of_QA"))  # fmt: skip
    with Session(runtime.engine) as s:
        held = set(s.exec(select(PersonPost.post).where(PersonPost.person_id == c.iro)).all())
    assert held == {"head_of_qa", "iro_manager"}
    assert ("Posts", "", "head_of_qa; iro_manager", people.admin) in _history(
        runtime, "person", c.iro
    )
    assert "head_of_qa; iro_manager" in admin.get(f"/admin/people/{c.iro}/edit").text

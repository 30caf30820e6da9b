"""Admin pages: the CSV import, the ladder explained, people; and deputies answering."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.web.conftest import version_of
from workflow.tables import Person

GOOD = (
    "email,name,role,team,service_area,manager_email,deputy_email,absent,active\n"
    "new.iro@council.test,Nia Reviewer,iro,IRO Service,Quality,,,no,yes\n"
)
BAD = "email,name,role\nnot-an-email,Someone,iro\n"


def _upload(admin, text: str):
    files = {"file": ("people.csv", text.encode(), "text/csv")}
    return admin.client.post(
        "/admin/import", data={"csrftoken": admin.token, "kind": "people"}, files=files
    )


def test_csv_import_through_the_page(login, runtime):
    admin = login("admin@council.test")
    assert admin.get("/admin/import").status_code == 200
    done = _upload(admin, GOOD)
    assert done.status_code == 200 and "1 created" in done.text
    refused = _upload(admin, BAD)
    assert (
        refused.status_code == 422
        and "nothing was imported" in refused.text
        and "line 2" in refused.text
    )
    with Session(runtime.engine) as s:
        assert (
            s.exec(select(Person.name).where(Person.email == "new.iro@council.test")).one()
            == "Nia Reviewer"
        )
    assert "Nia Reviewer" in admin.get("/admin/people").text


def test_an_upload_without_the_csrf_token_is_refused(login):
    admin = login("admin@council.test")
    files = {"file": ("people.csv", GOOD.encode(), "text/csv")}
    assert (
        admin.client.post("/admin/import", data={"kind": "people"}, files=files).status_code == 403
    )


def test_the_ladder_in_use_is_explained(login):
    page = login("admin@council.test").get("/admin/ladder").text
    assert (
        "IRO Handbook default" in page
        and "Whole formal process" in page
        and "20 working days" in page
    )


def test_the_deputy_sees_and_answers_for_an_absent_team_manager(login, raised, runtime, people):
    iro = login("iro@council.test")
    iro.post(f"/challenges/{raised}/actions/escalate",
             data={"version": version_of(iro.get(f"/challenges/{raised}/actions/escalate").text),
                   "stage": "team_manager", "reason": "No answer"})  # fmt: skip
    with Session(runtime.engine) as s:  # the deputy acts only while Tara is away
        tara = s.exec(select(Person).where(Person.email == "tm@council.test")).one()
        tara.absent = True
        s.add(tara)
        s.commit()
    deputy = login("dtm@council.test")
    assert raised in deputy.get("/").text
    form = deputy.get(f"/challenges/{raised}/actions/respond")
    assert form.status_code == 200
    answered = deputy.post(f"/challenges/{raised}/actions/respond", data={
        "version": version_of(form.text), "response": "Covering for Tara", "actions": "Booked",
        "target_date-day": "2", "target_date-month": "2", "target_date-year": "2031"}, follow_redirects=False)  # fmt: skip
    assert answered.status_code == 303


def test_the_admin_landing_page_shows_what_needs_them(login, runtime, people):
    from sqlmodel import Session

    from workflow.tables import Child, Person

    admin = login("admin@council.test")
    calm = admin.get("/admin")
    assert calm.status_code == 200 and 'data-testid="nothing-needed"' in calm.text
    with Session(runtime.engine) as s:
        s.add(Person(email="new@council.test", name="Nia New", role="social_worker"))
        s.add(Child(case_reference="LL3001", display_name="Child LL3001",
                    legal_status="looked_after", iro_id=people.council.iro))  # fmt: skip
        s.commit()
    needs = admin.get("/admin").text
    assert 'data-testid="nothing-needed"' not in needs
    assert "1 person has no line manager</a>: Nia New" in needs
    assert "1 child has no allocated social worker</a>: LL3001" in needs
    assert "Senior" not in needs.split('data-testid="needs"')[1].split("</ul>")[0]

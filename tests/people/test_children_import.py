"""The children import: people first, then children by case reference, all or nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from council_data.people_import import import_children
from tests.people.conftest import counts, csv_text
from tests.people.test_people_import import COUNCIL, load
from workflow.tables import Child, Person

HEADER = "case_reference,display_name,legal_status,social_worker_email,iro_email"


def load_children(engine: Engine, text: str):
    with Session(engine) as session:
        return import_children(session, text)


def children(engine: Engine) -> dict[str, Child]:
    with Session(engine) as s:
        return {c.case_reference: c for c in s.exec(select(Child))}


def ids(engine: Engine) -> dict[str, int | None]:
    with Session(engine) as s:
        return {p.email: p.id for p in s.exec(select(Person))}


def test_children_load_and_reload_by_case_reference(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    text = csv_text(
        HEADER,
        "204518,Maisie Q.,looked_after,sam.worker@council.test,imogen.reviewer@council.test",
        "204519,Jay Q.,Child protection,,imogen.reviewer@council.test",
    )
    result = load_children(engine, text)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    stored, people = children(engine), ids(engine)
    assert stored["204518"].social_worker_id == people["sam.worker@council.test"]
    assert stored["204518"].iro_id == people["imogen.reviewer@council.test"]
    assert (stored["204519"].legal_status, stored["204519"].social_worker_id) == (
        "child_protection",
        None,
    )

    again = csv_text(
        "case_reference,display_name,legal_status",
        "204518,Maisie Q.,care_leaver",
        "204519,Jay Q.,child_protection",
    )
    result = load_children(engine, again)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    stored = children(engine)
    assert stored["204518"].legal_status == "care_leaver"
    assert stored["204518"].social_worker_id == people["sam.worker@council.test"]  # kept


def test_every_bad_child_row_is_reported_and_none_are_loaded(engine: Engine) -> None:
    text = COUNCIL + "gone.worker@council.test,Gone Worker,social_worker,,,,,,no\n"
    assert load(engine, text).ok
    rows = csv_text(
        HEADER,
        "300001,Good Child,looked_after,sam.worker@council.test,imogen.reviewer@council.test",
        "300001,Twin Reference,looked_after,,",
        "300 003,Spaced,looked_after,,",
        ",No Reference,looked_after,,",
        "300005,,looked_after,,",
        "300006,Bad Status,in_care,,",
        "300007,Unknown Worker,looked_after,nobody@council.test,",
        "300008,Manager As Worker,looked_after,tara.manager@council.test,",
        "300009,Left Worker,looked_after,gone.worker@council.test,",
        "300010,Worker As Iro,looked_after,,sam.worker@council.test",
        "300011,Bad Email,looked_after,not-an-email,",
    )
    result = load_children(engine, rows)
    assert [str(e) for e in result.errors] == [
        "line 3: case_reference: duplicate case reference '300001' (already on line 2)",
        "line 4: case_reference: '300 003' must be up to 40 letters, digits, / or - "
        "(the number in the case management system)",
        "line 5: case_reference: enter the case reference",
        "line 6: display_name: enter the display name",
        "line 7: legal_status: unknown legal status 'in_care' (expected one of: looked_after, "
        "child_protection, child_in_need, care_leaver)",
        "line 8: social_worker_email: nobody with email 'nobody@council.test' has been "
        "imported (import the people file first)",
        "line 9: social_worker_email: 'tara.manager@council.test' has the role "
        "'team_manager', not 'social_worker'",
        "line 10: social_worker_email: 'gone.worker@council.test' is inactive",
        "line 11: iro_email: 'sam.worker@council.test' has the role 'social_worker', not 'iro'",
        "line 12: social_worker_email: 'not-an-email' is not an email address",
    ]
    assert counts(engine)[2] == 0


def test_a_date_of_birth_is_read_in_either_spelling_and_checked(engine: Engine) -> None:
    good = csv_text(
        "case_reference,display_name,legal_status,date_of_birth",
        "400001,Ana B.,looked_after,27/03/2011",
        "400002,Ben C.,looked_after,2012-01-31",
        "400003,Cal D.,looked_after,",
    )
    assert load_children(engine, good).created == 3
    stored = children(engine)
    assert [stored[r].date_of_birth for r in ("400001", "400002", "400003")] == [
        date(2011, 3, 27), date(2012, 1, 31), None,
    ]  # fmt: skip
    bad = csv_text(
        "case_reference,display_name,legal_status,date_of_birth",
        "400004,Dee E.,looked_after,31/02/2011",
        "400005,Eve F.,looked_after,2999-01-01",
    )
    assert [str(e) for e in load_children(engine, bad).errors] == [
        "line 2: date_of_birth: '31/02/2011' must be a date like 27/03/2011 or 2011-03-27",
        "line 3: date_of_birth: '2999-01-01' is in the future",
    ]

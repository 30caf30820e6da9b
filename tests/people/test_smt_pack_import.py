"""Issue 12: the people file's `fte` column (an IRO's working time) and the children file's
looked-after dates, checked like every other column and kept in the change history."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.people.conftest import by_email, csv_text
from tests.people.test_children_import import children, load_children
from tests.people.test_people_import import COUNCIL, load, messages
from workflow.change_history import ChangeRecord


def test_working_time_is_read_from_the_people_file(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    text = csv_text(
        "email,name,role,fte",
        "imogen.reviewer@council.test,Imogen Reviewer,iro,0.6",
        "olu.reviewer@council.test,Olu Reviewer,iro,80%",
        "pat.reviewer@council.test,Pat Reviewer,iro,",
    )
    result = load(engine, text)
    assert result.ok and (result.created, result.updated) == (2, 1), messages(result)
    stored = by_email(engine)
    assert stored["imogen.reviewer@council.test"].fte == 0.6
    assert stored["olu.reviewer@council.test"].fte == 0.8
    assert stored["pat.reviewer@council.test"].fte == 1.0  # empty: full time
    assert stored["sam.worker@council.test"].fte == 1.0  # not in this file: unchanged
    with Session(engine) as s:
        imogen = stored["imogen.reviewer@council.test"].id
        fields = s.exec(select(ChangeRecord.field, ChangeRecord.after).where(
            ChangeRecord.record_kind == "person", ChangeRecord.record_id == imogen,
            ChangeRecord.field == "Working time").order_by(ChangeRecord.id)).all()  # fmt: skip
    assert fields == [("Working time", "Full time"), ("Working time", "0.6 of full time")]
    bad = load(engine, csv_text("email,name,role,fte",
                                "imogen.reviewer@council.test,Imogen Reviewer,iro,1.5",
                                "olu.reviewer@council.test,Olu Reviewer,iro,half"))  # fmt: skip
    assert [(e.line, e.column) for e in bad.errors] == [(2, "fte"), (3, "fte")]
    assert by_email(engine)["imogen.reviewer@council.test"].fte == 0.6  # nothing written


def test_looked_after_dates_are_read_from_the_children_file(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    header = "case_reference,display_name,legal_status,looked_after_from,looked_after_until"
    result = load_children(engine, csv_text(
        header,
        "204518,Maisie Q.,looked_after,27/03/2024,",
        "204519,Jay Q.,child_in_need,2023-01-09,2025-06-30",
    ))  # fmt: skip
    assert result.ok, [str(e) for e in result.errors]
    stored = children(engine)
    assert (stored["204518"].looked_after_from, stored["204518"].looked_after_until) == (
        date(2024, 3, 27), None)  # fmt: skip
    assert stored["204519"].looked_after_until == date(2025, 6, 30)
    bad = load_children(engine, csv_text(
        header,
        "204518,Maisie Q.,looked_after,,2025-01-01",
        "204519,Jay Q.,child_in_need,2025-06-30,2023-01-09",
        "204520,Kim Q.,looked_after,31/02/2024,",
    ))  # fmt: skip
    assert [(e.line, e.column) for e in bad.errors] == [
        (2, "looked_after_from"), (3, "looked_after_until"), (4, "looked_after_from")]  # fmt: skip
    assert children(engine)["204518"].looked_after_from == date(2024, 3, 27)  # unchanged

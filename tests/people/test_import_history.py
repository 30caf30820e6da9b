"""What a CSV import changes is in the change history of each person and child it touched,
beside the changes made in the pages; re-importing the same file adds nothing."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.people.conftest import by_email, csv_text
from tests.people.test_children_import import HEADER as CHILD_HEADER
from tests.people.test_children_import import load_children
from tests.people.test_people_import import COUNCIL, HEADER, load
from workflow.change_history import ChangeRecord, history
from workflow.tables import Child


def _changes(engine: Engine, kind: str, record_id: int) -> set[tuple[str, str, str]]:
    with Session(engine) as s:
        return {(c.field, c.before, c.after) for c, _ in history(s, kind, record_id)}  # type: ignore[arg-type]


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(ChangeRecord)).all())


def test_a_people_import_records_each_changed_field(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    sam = by_email(engine)["sam.worker@council.test"]
    assert ("Line manager", "", "Tara Manager") in _changes(engine, "person", sam.id)
    first = _count(engine)
    assert load(engine, COUNCIL).ok
    assert _count(engine) == first  # the same file again changes nothing
    moved = csv_text(HEADER, "sam.worker@council.test,Sam Worker,social_worker,Children in Care,Looked After,"
                     "dev.duty@council.test,,yes,")  # fmt: skip
    assert load(engine, moved).ok
    assert {("Line manager", "Tara Manager", "Dev Duty"), ("Away", "No", "Yes")} <= _changes(
        engine, "person", sam.id
    )
    assert _count(engine) == first + 2


def test_a_children_import_records_each_changed_field(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    row = "LL9001,Child LL9001,{status},sam.worker@council.test,imogen.reviewer@council.test"
    assert load_children(engine, csv_text(CHILD_HEADER, row.format(status="looked_after"))).ok
    assert load_children(engine, csv_text(CHILD_HEADER, row.format(status="care_leaver"))).ok
    with Session(engine) as s:
        child = s.exec(select(Child).where(Child.case_reference == "LL9001")).one()
    changes = _changes(engine, "child", child.id)  # type: ignore[arg-type]
    assert ("Social worker", "", "Sam Worker") in changes
    assert ("Legal status", "Looked after (in care)", "Care leaver") in changes

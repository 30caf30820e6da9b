"""The access log searched and exported by child (subject access) and by person
(investigation); footprint views count for the child."""

from __future__ import annotations

import csv
import io

from api.auth import record_access


def test_search_and_export_by_child_and_by_person(login, raised, people, runtime):
    login("iro@council.test").get(f"/challenges/{raised}")
    login("hos@council.test").get("/children/LL1001/footprint")
    login("hos@council.test").get("/children/LL1002/footprint")
    record_access(runtime.engine, people.council.iro, "page", what='=HYPERLINK("x")')
    admin = login("admin@council.test")
    by_child = admin.get("/admin/access-log?child=LL1001")
    assert by_child.text.count('<td class="govuk-table__cell">LL1001</td>') == 2
    assert "LL1002</td>" not in by_child.text
    by_person = admin.get("/admin/access-log?person=HOS@council.test")
    assert "Hugh Service" in by_person.text and "Imogen Reviewer" not in by_person.text
    export = admin.get("/admin/access-log.csv?child=LL1001")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert export.headers["content-type"].startswith("text/csv")
    assert rows[0][:4] == ["when (London)", "who", "email", "child"]
    assert sorted(r[1] for r in rows[1:]) == ["Hugh Service", "Imogen Reviewer"]
    everything = list(csv.reader(io.StringIO(admin.get("/admin/access-log.csv").text)))
    assert any(r[5] == '\'=HYPERLINK("x")' for r in everything), "formulas are escaped"
    assert login("hos@council.test").get("/admin/access-log.csv").status_code == 403


def test_a_row_about_a_child_whose_record_was_removed_says_so(login, people, runtime):
    """Retention removes a child's record after their 75th birthday; the access log's
    rows about them stay for the access log's own period, naming the child by number."""
    record_access(runtime.engine, people.council.iro, "page", child_id=987654, what="footprint")
    admin = login("admin@council.test")
    page = admin.get("/admin/access-log?person=iro@council.test")
    assert '<td class="govuk-table__cell">record removed (retention)</td>' in page.text
    export = admin.get("/admin/access-log.csv?person=iro@council.test")
    (row,) = list(csv.reader(io.StringIO(export.text)))[1:]
    assert row[3] == "record removed (retention)"

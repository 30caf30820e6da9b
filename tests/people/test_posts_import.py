"""The people import's `posts` column, the IRO's line manager, and the children's `team`."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from council_data.people_import import import_children, import_people
from tests.people.conftest import by_email, csv_text
from workflow.tables import Child, PersonPost, Team

PEOPLE = csv_text(
    "email,name,role,team,service_area,manager_email,posts",
    "qa.head@council.test,Quinn Head,service_manager,Quality Assurance,QA,,head_of_qa",
    "iro.manager@council.test,Ira Manager,service_manager,Quality Assurance,QA,qa.head@council.test,iro_manager; head_of_safeguarding",
    "imogen@council.test,Imogen Reviewer,iro,Quality Assurance,QA,iro.manager@council.test,",
    "tara@council.test,Tara Manager,team_manager,Children in Care,Looked After,,",
)  # fmt: skip


def _posts(engine: Engine) -> dict[str, set[str]]:
    people = {p.id: e for e, p in by_email(engine).items()}
    found: dict[str, set[str]] = {}
    with Session(engine) as s:
        for row in s.exec(select(PersonPost)):
            found.setdefault(people[row.person_id], set()).add(row.post)
    return found


def test_posts_and_the_iros_line_manager_load(engine: Engine) -> None:
    with Session(engine) as s:
        result = import_people(s, PEOPLE)
    assert result.ok, result.errors
    assert _posts(engine) == {
        "qa.head@council.test": {"head_of_qa"},
        "iro.manager@council.test": {"iro_manager", "head_of_safeguarding"},
    }
    people = by_email(engine)
    # The IRO's line manager is the ordinary manager column: the iro_line route walks it.
    assert people["imogen@council.test"].manager_id == people["iro.manager@council.test"].id


def test_a_file_without_posts_keeps_them_and_a_blank_cell_clears_them(engine: Engine) -> None:
    with Session(engine) as s:
        assert import_people(s, PEOPLE).ok
    with Session(engine) as s:
        old_file = csv_text("email,name,role", "qa.head@council.test,Quinn Head,service_manager")
        result = import_people(s, old_file)
    assert result.ok and result.unchanged == 1  # an old file without the column still loads
    assert _posts(engine)["qa.head@council.test"] == {"head_of_qa"}
    with Session(engine) as s:
        text = csv_text("email,name,role,posts", "qa.head@council.test,Quinn Head,service_manager,")
        result = import_people(s, text)
    assert result.ok and result.updated == 1
    assert "qa.head@council.test" not in _posts(engine)


def test_bad_posts_are_reported_by_line(engine: Engine) -> None:
    text = csv_text(
        "email,name,role,posts",
        "a@council.test,A,service_manager,Head of QA",
        "b@council.test,B,service_manager,team_manager",
    )
    with Session(engine) as s:
        result = import_people(s, text)
    assert [str(e) for e in result.errors] == [
        "line 2: posts: 'Head of QA' is not a post key (such as head_of_qa)",
        "line 3: posts: 'team_manager' is a role: put it in the role column",
    ]


def test_a_child_may_sit_with_a_team_without_a_social_worker(engine: Engine) -> None:
    with Session(engine) as s:
        assert import_people(s, PEOPLE).ok
    text = csv_text(
        "case_reference,display_name,legal_status,iro_email,team",
        "LL2001,Child LL2001,looked_after,imogen@council.test,Children in Care",
        "LL2002,Child LL2002,looked_after,imogen@council.test,Nowhere Team",
    )
    with Session(engine) as s:
        result = import_children(s, text)
    assert [str(e) for e in result.errors] == [
        "line 3: team: no team called 'Nowhere Team' (import the people file first)"
    ]
    with Session(engine) as s:
        assert import_children(s, text.replace("Nowhere Team", "children in care")).ok
        team = s.exec(select(Team).where(Team.name == "Children in Care")).one()
        children = s.exec(select(Child).order_by(Child.case_reference)).all()
    assert [(c.social_worker_id, c.team_id) for c in children] == [(None, team.id)] * 2

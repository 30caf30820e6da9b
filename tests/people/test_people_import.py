"""The people import: all or nothing, every bad row named, upsert by email."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from council_data.people_import import import_people
from tests.people.conftest import by_email, counts, csv_text
from workflow.tables import Team

HEADER = "email,name,role,team,service_area,manager_email,deputy_email,absent,active"
COUNCIL = csv_text(
    HEADER,
    # Workers come first: their managers appear further down the file.
    "sam.worker@council.test,Sam Worker,social_worker,Children in Care,Looked After,"
    "tara.manager@council.test,,no,yes",
    "tara.manager@council.test,Tara Manager,team_manager,Children in Care,Looked After,"
    "hugh.service@council.test,dev.duty@council.test,yes,yes",
    "dev.duty@council.test,Dev Duty,team_manager,Duty and Assessment,Safeguarding,"
    "hugh.service@council.test,,,",
    "hugh.service@council.test,Hugh Service,head_of_service,,,ada.director@council.test,,,",
    "ada.director@council.test,Ada Director,senior_manager,,,,,,",
    "imogen.reviewer@council.test,Imogen Reviewer,iro,,,,,,",
)


def load(engine: Engine, text: str):
    with Session(engine) as session:
        return import_people(session, text)


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


def test_a_council_loads_with_its_teams_managers_and_deputies(engine: Engine) -> None:
    result = load(engine, COUNCIL)

    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged, result.teams_created) == (6, 0, 0, 2)
    people = by_email(engine)
    ids = {email: p.id for email, p in people.items()}
    sam, tara = people["sam.worker@council.test"], people["tara.manager@council.test"]
    assert (sam.name, sam.role, sam.manager_id) == ("Sam Worker", "social_worker", tara.id)
    assert tara.manager_id == ids["hugh.service@council.test"]
    assert tara.deputy_id == ids["dev.duty@council.test"]
    assert tara.absent and tara.active and not sam.absent
    assert people["hugh.service@council.test"].manager_id == ids["ada.director@council.test"]
    assert people["ada.director@council.test"].manager_id is None
    assert people["hugh.service@council.test"].team_id is None
    with Session(engine) as s:
        teams = {t.name: t.service_area for t in s.exec(select(Team))}
    assert teams == {"Children in Care": "Looked After", "Duty and Assessment": "Safeguarding"}
    assert sam.team_id == tara.team_id != people["dev.duty@council.test"].team_id


def test_a_spreadsheet_export_with_bom_crlf_and_friendly_headers_loads(engine: Engine) -> None:
    text = (
        "\ufeffEmail,Name,Role,Manager Email\r\n"
        "Ada.Director@Council.test,Ada Director,Senior manager,\r\n"
        '"hugh.service@council.test","Service, Hugh",Head of Service,ada.director@council.test\r\n'
    )
    result = load(engine, text)

    assert result.ok, messages(result)
    people = by_email(engine)
    assert set(people) == {"ada.director@council.test", "hugh.service@council.test"}
    hugh = people["hugh.service@council.test"]
    assert (hugh.name, hugh.role) == ("Service, Hugh", "head_of_service")
    assert hugh.manager_id == people["ada.director@council.test"].id


def test_every_bad_row_is_reported_by_line_and_column_and_nothing_is_loaded(
    engine: Engine,
) -> None:
    text = csv_text(
        HEADER,
        "ok.manager@council.test,Ok Manager,team_manager,Team A,Area 1,,,,",  # line 2: good
        "bad-email,No At,social_worker,,,,,,",
        "ok.worker@council.test,,social_worker,,,ok.manager@council.test,,,",
        "role@council.test,Rolf Role,social_wroker,,,,,,",
        "ok.manager@council.test,Second Copy,team_manager,,,,,,",
        "ghost.manager@council.test,Ghost Line,social_worker,,,nobody@council.test,,,",
        "selfish@council.test,Self Ish,team_manager,,,selfish@council.test,,,",
        "gone@council.test,Gone Away,team_manager,,,,,,no",
        "covered@council.test,Cove Red,team_manager,,,,gone@council.test,,",
        "flags@council.test,Flag Gee,iro,,,,,maybe,",
        "area@council.test,Are A,iro,Team A,Area 2,,,,",
        "lonely@council.test,Lone Ly,iro,,Area 3,,,,",
        "short@council.test,Too Short",
        ",Nameless Email,iro,,,,,,",
    )
    result = load(engine, text)

    assert messages(result) == [
        "line 3: email: 'bad-email' is not an email address",
        "line 4: name: enter the name",
        "line 5: role: unknown role 'social_wroker' (expected one of: iro, social_worker, "
        "team_manager, service_manager, head_of_service, senior_manager, admin, smt_reader)",
        "line 6: email: duplicate email 'ok.manager@council.test' (already on line 2)",
        "line 7: manager_email: nobody with email 'nobody@council.test' in this file or "
        "already imported",
        "line 8: manager_email: a person cannot manage themself",
        "line 10: deputy_email: deputy 'gone@council.test' is inactive",
        "line 11: absent: 'maybe' must be yes or no",
        "line 12: service_area: team 'Team A' is in service area 'Area 1' on line 2",
        "line 13: service_area: a service area needs a team on the same row",
        "line 14: row: expected 9 cells, found 2",
        "line 15: email: enter the email",
    ]
    assert result.created == result.updated == 0
    assert counts(engine) == (0, 0, 0)


def test_one_bad_row_keeps_the_whole_file_out_and_the_stored_people_as_they_were(
    engine: Engine,
) -> None:
    assert load(engine, COUNCIL).ok
    before = {e: p.model_dump() for e, p in by_email(engine).items()}
    changed = COUNCIL.replace("Sam Worker", "Samantha Worker").replace(
        "Imogen Reviewer,iro", "Imogen Reviewer,reviewer"
    )
    changed += "new.person@council.test,New Person,iro,New Team,,,,,\n"

    result = load(engine, changed)

    assert messages(result) == [
        "line 7: role: unknown role 'reviewer' (expected one of: iro, social_worker, "
        "team_manager, service_manager, head_of_service, senior_manager, admin, smt_reader)"
    ]
    assert {e: p.model_dump() for e, p in by_email(engine).items()} == before
    assert counts(engine) == (6, 2, 0)


def test_header_problems_are_reported_on_line_1(engine: Engine) -> None:
    result = load(engine, csv_text("e-mail,name,grade,name", "a@council.test,A,iro,A"))
    assert messages(result) == [
        "line 1: header: column 'name' appears twice",
        "line 1: header: missing required column 'email'",
        "line 1: header: missing required column 'role'",
        "line 1: header: unknown column 'e_mail' (expected: email, name, role, team, "
        "service_area, manager_email, deputy_email, absent, active, posts, fte)",
        "line 1: header: unknown column 'grade' (expected: email, name, role, team, "
        "service_area, manager_email, deputy_email, absent, active, posts, fte)",
    ]
    assert messages(load(engine, "")) == [
        "line 1: header: the file is empty: the first line must name the columns "
        "(email, name, role at least)"
    ]
    assert counts(engine) == (0, 0, 0)


def test_line_numbers_count_physical_lines_past_quoted_newlines_and_blank_lines(
    engine: Engine,
) -> None:
    text = (
        "email,name,role\n"
        '"a@council.test","Anne\nMarie",iro\n'  # lines 2-3
        "\n"  # line 4: blank, skipped
        "b@council.test,Bea,nobody\n"  # line 5
    )
    assert messages(load(engine, text)) == [
        "line 5: role: unknown role 'nobody' (expected one of: iro, social_worker, "
        "team_manager, service_manager, head_of_service, senior_manager, admin, smt_reader)"
    ]


def test_a_management_cycle_in_the_file_is_reported_on_every_row_in_it(engine: Engine) -> None:
    text = csv_text(
        "email,name,role,manager_email",
        "a@council.test,A,team_manager,b@council.test",
        "b@council.test,B,head_of_service,c@council.test",
        "c@council.test,C,senior_manager,a@council.test",
        "d@council.test,D,social_worker,a@council.test",  # under the loop, not in it
    )
    assert messages(load(engine, text)) == [
        "line 2: manager_email: management cycle: a@council.test -> b@council.test -> "
        "c@council.test -> a@council.test",
        "line 3: manager_email: management cycle: b@council.test -> c@council.test -> "
        "a@council.test -> b@council.test",
        "line 4: manager_email: management cycle: c@council.test -> a@council.test -> "
        "b@council.test -> c@council.test",
    ]
    assert counts(engine) == (0, 0, 0)


def test_a_cycle_closed_through_people_already_stored_is_refused(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    # Ada is stored as Hugh's manager; making Hugh Ada's manager closes a loop.
    text = csv_text(
        "email,name,role,manager_email",
        "ada.director@council.test,Ada Director,senior_manager,tara.manager@council.test",
    )
    assert messages(load(engine, text)) == [
        "line 2: manager_email: management cycle: ada.director@council.test -> "
        "tara.manager@council.test -> hugh.service@council.test -> ada.director@council.test"
    ]
    assert by_email(engine)["ada.director@council.test"].manager_id is None


def test_re_import_updates_by_email_and_keeps_columns_the_file_leaves_out(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    ids = {e: p.id for e, p in by_email(engine).items()}
    text = csv_text(
        "email,name,role,absent",
        "SAM.WORKER@council.test,Samantha Worker,social_worker,",
        "tara.manager@council.test,Tara Manager,team_manager,no",
        "imogen.reviewer@council.test,Imogen Reviewer,iro,no",
        "omar.reviewer@council.test,Omar Reviewer,iro,",
    )
    result = load(engine, text)

    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged, result.teams_created) == (1, 2, 1, 0)
    people = by_email(engine)
    assert {e: p.id for e, p in people.items() if e in ids} == ids
    sam, tara = people["sam.worker@council.test"], people["tara.manager@council.test"]
    assert sam.name == "Samantha Worker" and not tara.absent
    # No manager, deputy or team column in this file: what was stored stays.
    assert sam.manager_id == ids["tara.manager@council.test"]
    assert tara.deputy_id == ids["dev.duty@council.test"] and tara.team_id is not None
    assert people["omar.reviewer@council.test"].active


def test_a_blank_cell_in_a_column_the_file_has_clears_the_link(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    text = csv_text(
        "email,name,role,manager_email,deputy_email,team",
        "tara.manager@council.test,Tara Manager,team_manager,ada.director@council.test,,",
    )
    assert load(engine, text).updated == 1
    tara = by_email(engine)["tara.manager@council.test"]
    assert tara.manager_id == by_email(engine)["ada.director@council.test"].id
    assert tara.deputy_id is None and tara.team_id is None


def test_deputies_must_be_active_and_cover_cannot_silently_leave(engine: Engine) -> None:
    assert load(engine, COUNCIL).ok
    text = csv_text(
        "email,name,role,deputy_email,active",
        # Dev deputises for Tara (stored); Tara is not in this file, so Dev cannot leave.
        "dev.duty@council.test,Dev Duty,team_manager,,no",
        "ada.director@council.test,Ada Director,senior_manager,retired@council.test,",
        "retired@council.test,Reti Red,head_of_service,,no",
    )
    assert messages(load(engine, text)) == [
        "line 2: active: cannot be inactive while deputy for tara.manager@council.test: "
        "give them another deputy first",
        "line 3: deputy_email: deputy 'retired@council.test' is inactive",
    ]
    both = csv_text(
        "email,name,role,deputy_email,active",
        "dev.duty@council.test,Dev Duty,team_manager,,no",
        "tara.manager@council.test,Tara Manager,team_manager,hugh.service@council.test,yes",
    )
    assert load(engine, both).ok
    people = by_email(engine)
    assert not people["dev.duty@council.test"].active
    assert people["tara.manager@council.test"].deputy_id == people["hugh.service@council.test"].id

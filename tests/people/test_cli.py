"""`iro-disputes people|children import` and `people list`, against the test database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.cli import cli
from tests.people.conftest import by_email, counts, csv_text
from tests.people.test_people_import import COUNCIL

runner = CliRunner()


def write(tmp_path: Path, name: str, data: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return str(path)


def test_people_import_prints_counts_and_list_shows_everyone(
    cli_database: Engine, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["people", "import", write(tmp_path, "people.csv", COUNCIL)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported people: 6 created, 0 updated, 0 unchanged, 2 teams created\n"
    )
    again = runner.invoke(cli, ["people", "import", write(tmp_path, "people.csv", COUNCIL)])
    assert again.stdout == "Imported people: 0 created, 0 updated, 6 unchanged\n"

    listing = runner.invoke(cli, ["people", "list"])
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[-1] == "6 people"
    tara = next(line for line in lines if line.startswith("tara.manager@council.test"))
    assert "Children in Care" in tara and "manager hugh.service@council.test" in tara
    assert tara.endswith("deputy dev.duty@council.test  (absent)")


def test_a_bad_people_file_prints_every_problem_to_stderr_and_loads_nothing(
    cli_database: Engine, tmp_path: Path
) -> None:
    text = csv_text(
        "email,name,role,manager_email",
        "a@council.test,A,team_manager,",
        "b@council.test,,iro,",
        "c@council.test,C,social_worker,z@council.test",
    )
    result = runner.invoke(cli, ["people", "import", write(tmp_path, "bad.csv", text)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "line 3: name: enter the name",
        "line 4: manager_email: nobody with email 'z@council.test' in this file or "
        "already imported",
        "Nothing imported: 2 problems on 2 lines",
    ]
    assert counts(cli_database) == (0, 0, 0)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(
    cli_database: Engine, tmp_path: Path
) -> None:
    data = "email,name,role\na@council.test,A,iro\nb@council.test,Zo\xeb,iro\n".encode("cp1252")
    result = runner.invoke(cli, ["people", "import", write(tmp_path, "excel.csv", data)])
    assert result.exit_code == 1
    assert result.stderr.startswith("line 3: file: excel.csv is not UTF-8 text")
    assert counts(cli_database) == (0, 0, 0)


def test_children_import_from_the_command_line(cli_database: Engine, tmp_path: Path) -> None:
    assert (
        runner.invoke(cli, ["people", "import", write(tmp_path, "p.csv", COUNCIL)]).exit_code == 0
    )
    good = csv_text(
        "case_reference,display_name,legal_status,social_worker_email,iro_email",
        "204518,Maisie Q.,looked_after,sam.worker@council.test,imogen.reviewer@council.test",
    )
    result = runner.invoke(cli, ["children", "import", write(tmp_path, "c.csv", good)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported children: 1 created, 0 updated, 0 unchanged\n"

    bad = good + "204519,Jay Q.,looked_after,ada.director@council.test,\n"
    result = runner.invoke(cli, ["children", "import", write(tmp_path, "c.csv", bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "line 3: social_worker_email: 'ada.director@council.test' has the role "
        "'senior_manager', not 'social_worker'"
    )
    assert counts(cli_database)[2] == 1
    assert len(by_email(cli_database)) == 6

"""`iro-disputes report smt` and `report footprint` write the same figures to files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import cli
from tests.reports.conftest import Scenario
from tests.reports.expected import FIXED, expected_tables
from workflow.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_scenario(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    url = scenario.runtime.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield scenario
    get_settings.cache_clear()


def _smt(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(cli, ["report", "smt", "--from", "2026-11-01", "--to", "2026-11-30",
                                 "--format", fmt, "--output", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 November 2026 to 30 November 2026" in result.output
    return out


def test_report_smt_json_csv_xlsx(cli_scenario: Scenario, tmp_path: Path) -> None:
    # The report is produced "now", so only the figures about the periods are compared
    # (open, overdue and the lists depend on the day the command runs).
    periodic = {k: v for k, v in FIXED.items() if k not in ("open_now",)}
    data = json.loads(_smt(tmp_path, "json").read_text())
    tables = {t["key"]: [r["cells"] for r in t["rows"]] for t in data["tables"]}
    for key, rows in periodic.items():
        assert tables[key] == rows, key
    text = _smt(tmp_path, "csv").read_text()
    name = "Challenges raised"  # blocks are named by the figure's title
    raised = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == name]
    assert raised[1:] == [[name, *(str(c) for c in row)] for row in FIXED["raised"]]
    book = load_workbook(_smt(tmp_path, "xlsx"))
    assert [
        list(r) for r in book["Challenges raised, by IRO"].iter_rows(min_row=5, values_only=True)
    ] == (FIXED["by_iro"])
    impact = expected_tables(cli_scenario.refs)["impact"]
    assert tables["impact"] == impact


def test_report_smt_text_and_bad_period(cli_scenario: Scenario, tmp_path: Path) -> None:
    assert "IROs raised 6 challenges" in _smt(tmp_path, "text").read_text()
    result = runner.invoke(cli, ["report", "smt", "--from", "2026-11-30", "--to", "2026-11-01",
                                 "--output", str(tmp_path / "x.pdf")])  # fmt: skip
    assert result.exit_code == 1
    assert "--to must be on or after --from" in result.output


def test_report_footprint_csv(cli_scenario: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "fp.csv"
    result = runner.invoke(cli, ["report", "footprint", "LL1003", "--format", "csv",
                                 "--output", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(10 entries)" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["what"] == "Challenge raised" and rows[-1]["what"] == "Escalated"
    missing = runner.invoke(cli, ["report", "footprint", "LL9", "--output", str(out)])
    assert missing.exit_code == 1 and "No child found for 'LL9'" in missing.output


def test_report_renumber_working_days(cli_scenario: Scenario) -> None:
    """Nothing changed in the calendar: every number already stands, none is rewritten."""
    result = runner.invoke(cli, ["report", "renumber-working-days"])
    assert result.exit_code == 0, result.output
    assert "ladder 'handbook': 0 events changed" in result.output

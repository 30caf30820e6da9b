"""What the report is made of: tables of cells, one per figure, and the report itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from workflow.report_definitions import FIGURE_BY_KEY, Period

Cell = str | int | float | None


@dataclass
class Table:
    """One figure as a table: what every page, export and chart is made from."""

    key: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    drill: list[str | None] = field(default_factory=list)  # per row: the drill-down key
    chart_columns: tuple[int, ...] = ()  # numeric columns to chart against column 0

    @property
    def title(self) -> str:
        return FIGURE_BY_KEY[self.key].title

    @property
    def definition(self) -> str:
        return FIGURE_BY_KEY[self.key].definition

    def add(self, row: Sequence[Cell], drill: str | None = None) -> None:
        self.rows.append(list(row))
        self.drill.append(drill)

    def row(self, label: str) -> list[Cell]:
        """The row whose first cell is `label` (for tests and prose)."""
        for row in self.rows:
            if row[0] == label:
                return row
        raise KeyError(f"{self.key}: no row '{label}'")


@dataclass
class SmtReport:
    period: Period
    previous: Period
    generated_at: datetime
    ladder_name: str
    tables: list[Table]
    as_at: datetime | None = None  # what the log held then; None: when generated
    # False when nothing at all was recorded before the period began (the service was not
    # yet in use): the previous period's zeros then mean "no data", not "none happened".
    previous_has_data: bool = True
    year_earlier: Period | None = None  # the same period a year earlier
    year_earlier_has_data: bool = True

    @property
    def moment(self) -> datetime:
        """The moment the figures are as at."""
        return self.as_at or self.generated_at

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

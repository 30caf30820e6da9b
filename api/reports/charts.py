"""Server-side SVG charts (matplotlib, Agg backend). Each is shown beside its table.

Drawing is most of the cost of a report page and its PDF, so each chart is drawn once per
data version: charts are cached by exactly what they draw (the table's chart columns and
rows), so a page or PDF of unchanged figures reuses them, and any change of a figure draws
afresh. Figures are `matplotlib.figure.Figure` objects, never `pyplot`, whose global
state is not safe across the web server's threads.
"""

from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from workflow.report_queries import Cell, Table

if TYPE_CHECKING:  # matplotlib is loaded by the first chart drawn, not by every process
    from matplotlib.figure import Figure

_SKIP = ("Total", "All ")
_COLOURS = ("#1d70b8", "#b1b4b6")  # GOV.UK blue, mid grey
CACHED_CHARTS = 512  # one report has 16; a few hundred covers every period people look at


def chart_rows(table: Table) -> list[list[Cell]]:
    """The rows before the first total: totals would dwarf the bars."""
    rows: list[list[Cell]] = []
    for row in table.rows:
        if str(row[0]).startswith(_SKIP):
            break
        rows.append(list(row))
    return rows


def table_chart(table: Table) -> str | None:
    """A horizontal bar chart of the table's chart columns, as an SVG string (None: no chart)."""
    rows = chart_rows(table)
    if not table.chart_columns or not rows:
        return None
    fig = _Chart(tuple(table.columns), table.chart_columns, tuple(tuple(r) for r in rows))
    return unique_ids(_svg(fig), f"chart-{table.key}-")


_ID = re.compile(r'\bid="([^"]+)"')


def unique_ids(svg: str, prefix: str) -> str:
    """Prefix every id in one chart, and every reference to it, so the many charts inline
    on one page never share an id (matplotlib names glyphs, clips and patches the same in
    every figure)."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    svg = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.sub(rf"#({names})(?=[\"')])", lambda m: f"#{prefix}{m.group(1)}", svg)


def table_chart_png(table: Table) -> bytes | None:
    """The same chart as a PNG (150 dpi) for the PDF: WeasyPrint draws a PNG in a fraction
    of the time an SVG image takes (about 13 s of a 19 s PDF went on 16 SVG charts), and the
    table beside it carries every figure as text."""
    rows = chart_rows(table)
    if not table.chart_columns or not rows:
        return None
    fig = _Chart(tuple(table.columns), table.chart_columns, tuple(tuple(r) for r in rows))
    return _png(fig)


@lru_cache(maxsize=CACHED_CHARTS)
def _svg(fig: _Chart) -> str:
    out = io.StringIO()
    fig.draw().savefig(out, format="svg")
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]  # inline: drop the XML prolog and doctype
    # Scale to the column it sits in: keep the viewBox, drop the fixed size in points.
    svg = re.sub(r'^<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", svg, count=1)
    return presentational(svg)


@lru_cache(maxsize=CACHED_CHARTS)
def _png(fig: _Chart) -> bytes:
    out = io.BytesIO()
    fig.draw().savefig(out, format="png", dpi=150)
    return out.getvalue()


@dataclass(frozen=True)
class _Chart:
    """What a chart draws, and nothing else: the cache key for its drawings."""

    columns: tuple[str, ...]
    chart_columns: tuple[int, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def draw(self) -> Figure:
        return _drawn(self.columns, self.chart_columns, self.rows)


def _drawn(columns: tuple[str, ...], chart_columns: tuple[int, ...],
           rows: tuple[tuple[Cell, ...], ...]) -> Figure:  # fmt: skip
    from matplotlib.figure import Figure

    # Labels are people's and teams' names: never read as mathtext ($...$ would raise).
    labels = ["\n".join(textwrap.wrap(str(r[0]), 28)) for r in rows]
    fig = Figure(figsize=(6, 0.5 + 0.45 * len(rows) * len(chart_columns)))
    ax = fig.add_subplot()
    height = 0.8 / len(chart_columns)
    for i, col in enumerate(chart_columns):
        values = [float(v) if isinstance(v, int | float) else 0.0 for v in (r[col] for r in rows)]
        positions = [n + i * height for n in range(len(rows))]
        bars = ax.barh(
            positions,
            values,
            height=height,
            label=columns[col].replace("$", r"\$"),
            color=_COLOURS[i % len(_COLOURS)],
        )
        for n, bar in enumerate(bars):  # ids name the row and column each bar draws
            bar.set_gid(f"bar-{n}-{col}")
    ax.set_yticks([n + height * (len(chart_columns) - 1) / 2 for n in range(len(rows))])
    ax.set_yticklabels(labels, fontsize=8, parse_math=False)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    if len(chart_columns) > 1:
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


_STYLE_ATTR = re.compile(r'style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)


def presentational(svg: str) -> str:
    """Inline styles as SVG presentation attributes (fill="..." rather than style="fill: ...").

    The pages' Content Security Policy (style-src 'self') blocks style attributes and
    elements inside an inline SVG; presentation attributes are not styles, so the chart
    keeps its colours without weakening the policy.
    """

    def attributes(match: re.Match[str]) -> str:
        pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
        return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)

    return _STYLE_ATTR.sub(attributes, _STYLE_ELEMENT.sub("", svg))

"""Server-side SVG charts (matplotlib, Agg backend). Each is shown beside its table."""

from __future__ import annotations

import io
import re
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from workflow.report_queries import Table

_SKIP = ("Total", "All ")
_COLOURS = ("#1d70b8", "#b1b4b6")  # GOV.UK blue, mid grey


def chart_rows(table: Table) -> list[list[object]]:
    """The rows before the first total: totals would dwarf the bars."""
    rows: list[list[object]] = []
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
    labels = ["\n".join(textwrap.wrap(str(r[0]), 28)) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * len(rows) * len(table.chart_columns)))
    height = 0.8 / len(table.chart_columns)
    for i, col in enumerate(table.chart_columns):
        values = [float(v) if isinstance(v, int | float) else 0.0 for v in (r[col] for r in rows)]
        positions = [n + i * height for n in range(len(rows))]
        bars = ax.barh(
            positions,
            values,
            height=height,
            label=table.columns[col],
            color=_COLOURS[i % len(_COLOURS)],
        )
        for n, bar in enumerate(bars):  # ids name the row and column each bar draws
            bar.set_gid(f"bar-{n}-{col}")
    ax.set_yticks([n + height * (len(table.chart_columns) - 1) / 2 for n in range(len(rows))])
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    if len(table.chart_columns) > 1:
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]  # inline: drop the XML prolog and doctype
    # Scale to the column it sits in: keep the viewBox, drop the fixed size in points.
    svg = re.sub(r'^<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", svg, count=1)
    return presentational(unique_ids(svg, f"chart-{table.key}-"))


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

"""GOV.UK pagination for the log and the lists, written in Python.

`components/pagination.html` worked out the links and called GOV.UK Frontend's
`govukPagination` macro, which imports its attribute macro, captures and indents two
arrows and calls a macro per link on every page: about a third of the log page's
rendering once its rows were written in Python. The log uses one form of it (numbered
items, previous and next with their default words, no classes or attributes), written
here as the macro writes it; `tests/web/test_pagination.py` compares the two, whitespace
aside, for every shape the log makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

_ARROW_PREVIOUS = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--prev" '
    'xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" '
    'focusable="false" viewBox="0 0 15 13">\n'
    '      <path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896'
    'v-2h-12.984l4.2931-4.293-1.414-1.414z"></path>\n    </svg>'
)
_ARROW_NEXT = (
    '<svg class="govuk-pagination__icon govuk-pagination__icon--next" '
    'xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" '
    'focusable="false" viewBox="0 0 15 13">\n'
    '      <path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 '
    '1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path>\n    </svg>'
)
_TITLE = '<span class="govuk-pagination__link-title">\n        {}<span class="govuk-visually-hidden"> page</span>\n      </span>'


def pagination(
    previous: str | None, next_: str | None, items: Iterable[Mapping[str, Any]]
) -> Markup:
    """`govukPagination({"previous": {"href": previous}, "next": {"href": next_},
    "items": items})`: each item a page (`number`, `href`, optionally `current`) or
    `{"ellipsis": true}`; a missing previous or next link is left out."""
    out = ['<nav class="govuk-pagination" aria-label="Pagination">\n']
    if previous:
        out.append(
            f'  <div class="govuk-pagination__prev">\n'
            f'    <a class="govuk-link govuk-pagination__link" href="{escape(previous)}" '
            f'rel="prev">\n    {_ARROW_PREVIOUS}\n      {_TITLE.format("Previous")}\n'
            "    </a>\n  </div>\n"
        )
    out.append('  <ul class="govuk-pagination__list">\n')
    for item in items:
        if not item:
            continue
        if item.get("ellipsis"):
            out.append(
                '    <li class="govuk-pagination__item govuk-pagination__item--ellipsis">\n'
                "      &ctdot;\n    </li>\n"
            )
            continue
        current = item.get("current")
        number = escape(item["number"])
        marked = ' aria-current="page"' if current else ""
        out.append(
            '    <li class="govuk-pagination__item'
            f'{" govuk-pagination__item--current" if current else ""}">\n'
            f'      <a class="govuk-link govuk-pagination__link" href="{escape(item["href"])}" '
            f'aria-label="Page {number}"{marked}>\n        {number}\n      </a>\n    </li>\n'
        )
    out.append("  </ul>\n")
    if next_:
        out.append(
            f'  <div class="govuk-pagination__next">\n'
            f'    <a class="govuk-link govuk-pagination__link" href="{escape(next_)}" '
            f'rel="next">\n      {_TITLE.format("Next")}\n    {_ARROW_NEXT}\n'
            "    </a>\n  </div>\n"
        )
    out.append("</nav>\n")
    return Markup("".join(out))  # noqa: S704  (every value above went through escape)

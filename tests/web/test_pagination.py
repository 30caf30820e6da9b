"""The log's pagination, written in Python (`api.pagination`), is GOV.UK Frontend's
`govukPagination` macro's markup for every shape the log makes, whitespace aside."""

from __future__ import annotations

import re

import pytest

from api import templating
from api.pagination import pagination

MACRO = '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'


def _same_markup(html: str) -> str:
    # Runs of whitespace are one space to a browser; between tags, none at all.
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _page(n: int, current: int) -> dict[str, object]:
    return {"number": n, "href": f"/log?status=open&page={n}", "current": n == current}


SHAPES = {
    "first of many": (None, "/log?page=2", [_page(1, 1), _page(2, 1), _page(3, 1), {"ellipsis": True}]),
    "middle": ("/log?page=4", "/log?page=6",
               [_page(1, 5), {"ellipsis": True}, *(_page(n, 5) for n in range(3, 8)), {"ellipsis": True}]),
    "last": ("/log?page=2", None, [_page(1, 3), _page(2, 3), _page(3, 3)]),
    "past the numbered pages, by cursor": (
        "/log?cursor=a%3Db&lt", "/log?cursor=c%22d",
        [_page(1, 0), {"ellipsis": True}, {"number": 250, "href": "/log?cursor=x&y", "current": True}]),
    "an empty item is left out": (None, "/log?page=2", [_page(1, 1), {}, _page(2, 1)]),
}  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES)
def test_the_log_s_pagination_is_the_govuk_macro_s_markup(shape: str) -> None:
    previous, following, items = SHAPES[shape]
    macro = (
        templating.environment()
        .from_string(MACRO + "{{ govukPagination(params) }}")
        .render(
            params={
                "previous": {"href": previous} if previous else None,
                "next": {"href": following} if following else None,
                "items": items,
            }
        )
    )
    ours = pagination(previous, following, items)
    assert _same_markup(ours) == _same_markup(macro)
    # The links' addresses are escaped once, as the macro escapes them.
    assert ("&amp;lt" in ours) == ("&lt" in (previous or ""))

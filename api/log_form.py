"""The log's filter form, written once for each set of filters and version of the menus.

The form is a dozen GOV.UK macros (inputs, checkboxes, selects, two date fields, a
button) around the menus `api.option_lists` keeps: about a tenth of a log page's CPU when
written every time, though it shows only the filters, which repeat from page to page
(paging through a selection changes the rows, not the form). A form with errors shows
what was typed and is written afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from markupsafe import Markup

from api.option_lists import LogMenus
from api.templating import environment
from workflow.queries import LogFilters

TEMPLATE = "log/filters.html"
KEPT = 512  # distinct forms kept per version of the menus; more, and they are made again


class FilterForms:
    """The forms written for the last `LogMenus` seen; a new menus object starts afresh."""

    def __init__(self) -> None:
        self._menus: LogMenus | None = None
        self._forms: dict[Hashable, Markup] = {}
        self._lock = threading.Lock()

    def form(
        self,
        filters: LogFilters,
        dates: Mapping[str, str],
        errors: Mapping[str, str],
        menus: LogMenus,
        statuses: Sequence[tuple[str, str]],
        stages: Sequence[tuple[str, str]],
    ) -> Markup:
        context = dict(f=filters, dates=dates, errors=errors, menus=menus, statuses=statuses,
                       stages=stages)  # fmt: skip
        if errors:
            return _write(context)
        # Where a page starts is not in the form.
        key = (replace(filters, page=1, cursor=None), tuple(dates.items()), tuple(statuses),
               tuple(stages))  # fmt: skip
        with self._lock:
            if self._menus is not menus:
                self._menus, self._forms = menus, {}
            found = self._forms.get(key)
        if found is None:
            found = _write(context)
            with self._lock:
                if self._menus is menus:
                    if len(self._forms) >= KEPT:
                        self._forms.clear()
                    self._forms[key] = found
        return found


def _write(context: dict[str, Any]) -> Markup:
    # The template escapes what it is given (autoescape), so what it writes is markup.
    return Markup(environment().get_template(TEMPLATE).render(context))  # noqa: S704

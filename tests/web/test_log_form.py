"""The log's filter form, kept per set of filters and version of the menus (`api.log_form`)."""

from __future__ import annotations

from api.log_form import FilterForms, _write
from api.option_lists import LogMenus, MenuCache
from workflow.queries import LogChoices, LogFilters

STATUSES = [("open", "Open"), ("ended", "Ended")]
STAGES = [("team_manager", "Team manager")]
DATES = {f"{n}-{p}": "" for n in ("from", "to") for p in ("day", "month", "year")}


def _menus(name: str = "Ada") -> LogMenus:
    choices = LogChoices([("health", "Health")], [(1, "Team 1"), (2, "Team 2")],
                         [(7, name)], [(9, "Sam")])  # fmt: skip
    return MenuCache().menus(choices)


def _fresh(
    f: LogFilters,
    menus: LogMenus,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    context = dict(f=f, dates=typed or DATES, errors=errors or {}, menus=menus, statuses=STATUSES,
                   stages=STAGES)  # fmt: skip
    return str(_write(context))


def test_a_kept_form_is_what_writing_it_afresh_gives_and_paging_keeps_it() -> None:
    forms, menus = FilterForms(), _menus()
    f = LogFilters(status="open", team_id=2, child_reference="LL<1>")
    first = forms.form(f, DATES, {}, menus, STATUSES, STAGES)
    assert str(first) == _fresh(f, menus)
    assert 'value="2" selected' in first and "LL&lt;1&gt;" in first
    later = LogFilters(status="open", team_id=2, child_reference="LL<1>", page=3, cursor="x")
    assert forms.form(later, DATES, {}, menus, STATUSES, STAGES) is first


def test_other_filters_dates_or_menus_write_another_form() -> None:
    forms, menus = FilterForms(), _menus()
    f = LogFilters(team_id=2)
    first = forms.form(f, DATES, {}, menus, STATUSES, STAGES)
    other = forms.form(LogFilters(team_id=1), DATES, {}, menus, STATUSES, STAGES)
    assert 'value="1" selected' in other and 'value="2" selected' not in other
    typed = {**DATES, "from-day": "31"}
    assert 'value="31"' in forms.form(f, typed, {}, menus, STATUSES, STAGES)
    renamed = _menus("Ada Lovelace")  # the lists changed: a new menus object
    again = forms.form(f, DATES, {}, renamed, STATUSES, STAGES)
    assert again is not first and "Ada Lovelace" in again and "Ada Lovelace" not in first


def test_a_form_with_errors_is_written_each_time() -> None:
    forms, menus = FilterForms(), _menus()
    errors = {"from-day": "Raised on or after must be a real date"}
    typed = {**DATES, "from-day": "40"}
    first = forms.form(LogFilters(), typed, errors, menus, STATUSES, STAGES)
    assert "must be a real date" in first and str(first) == _fresh(
        LogFilters(), menus, errors, typed
    )
    assert forms.form(LogFilters(), typed, errors, menus, STATUSES, STAGES) is not first

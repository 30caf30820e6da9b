"""The log's long menus, written once per version of their lists (`api.option_lists`)."""

from __future__ import annotations

from api.option_lists import MenuCache, OptionList
from workflow.queries import LogChoices


def _choices(name: str = "Ada") -> LogChoices:
    return LogChoices([("health", "Health")], [(1, "Team 1"), (2, "Team 2")],
                      [(7, name)], [(9, "Sam")])  # fmt: skip


def test_the_selected_option_is_marked_and_nothing_else_changes() -> None:
    menu = OptionList.of("Any team", [(1, "Team 1"), (12, "Team 12")])
    plain = '<option value="">Any team</option>\n<option value="1">Team 1</option>\n'
    assert str(menu.html(None)) == plain + '<option value="12">Team 12</option>\n'
    assert str(menu.html(12)) == plain + '<option value="12" selected>Team 12</option>\n'
    assert str(menu.html(1)).count(" selected") == 1 and 'value="1" selected' in menu.html(1)
    assert " selected" not in menu.html(5)  # an id nobody has: nothing selected
    assert " selected" not in menu.html("1")  # as the macro compared: a text is not an id


def test_names_are_escaped_once_and_braces_are_only_text() -> None:
    menu = OptionList.of("Any IRO", [(3, 'O\'Neil <b>& "co" {0}')])
    html = str(menu.html(3))
    assert '<option value="3" selected>O&#39;Neil &lt;b&gt;&amp; &#34;co&#34; {0}</option>' in html
    assert "<b>" not in html


def test_menus_are_made_again_only_for_other_lists() -> None:
    cache = MenuCache()
    first = _choices()
    made = cache.menus(first)
    assert cache.menus(first) is made  # the same lists (the same version): kept
    renamed = cache.menus(_choices("Ada Lovelace"))  # a new version hands out a new object
    assert renamed is not made
    assert "Ada Lovelace" in renamed.iros.html(None) and "Ada Lovelace" not in made.iros.html(None)

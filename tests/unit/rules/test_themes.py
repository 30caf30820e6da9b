from escalation_rules import Theme, default_themes


def test_default_themes():
    themes = default_themes()
    assert len(themes) == 16
    assert themes[0] == Theme("permanence_planning", "Permanence planning")
    assert themes[-1] == Theme("other", "Other")
    assert len({t.key for t in themes}) == len(themes)


def test_default_themes_returns_a_fresh_list():
    default_themes().clear()
    assert default_themes()

"""The page filters the log calls twice a row: dates in London's calendar, states in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import pytest

from api import templating
from api.templating import long_date, state_label
from workflow.states import State


def test_a_day_is_londons_day_in_words() -> None:
    assert long_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"  # BST
    assert long_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "31 December 2026"  # GMT
    assert long_date(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == "29 March 2026"
    assert long_date(date(2027, 1, 4)) == "4 January 2027"
    assert long_date(None) == ""
    # Kept day by day, never by instant: later the same London day reads the same.
    assert long_date(datetime(2026, 6, 30, 22, 59, tzinfo=UTC)) == "30 June 2026"


def test_every_state_in_words_and_anything_else_as_it_is() -> None:
    assert all(state_label(s.value) == s.label for s in State)
    assert state_label(State.CLOSED) == State.CLOSED.label
    assert state_label("archived") == "archived"


def test_a_new_process_loads_the_pages_compiled_templates_instead_of_compiling_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages' environment keeps compiled templates on disk: a second environment (as a
    new web process builds) loads a page's templates without compiling them again, and a
    template whose source changed is compiled afresh."""
    assert isinstance(templating.environment().bytecode_cache, jinja2.FileSystemBytecodeCache)
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def counting(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    cache = templating.compiled_templates(str(tmp_path / "compiled"))
    assert cache is not None
    own = tmp_path / "own"
    own.mkdir()
    (own / "note.html").write_text("first")

    def fresh() -> jinja2.Environment:  # what a new process builds, on the same disk
        env = templating.environment.__wrapped__()
        env.bytecode_cache = cache
        assert env.loader is not None
        env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(own), env.loader])
        return env

    fresh().get_template("auth/sign_in.html")
    assert "auth/sign_in.html" in compiled
    compiled.clear()
    fresh().get_template("auth/sign_in.html")
    assert compiled == []
    assert fresh().get_template("note.html").render() == "first"
    (own / "note.html").write_text("second")
    compiled.clear()
    assert fresh().get_template("note.html").render() == "second"
    assert compiled == ["note.html"]


def test_a_cache_directory_cleared_away_means_compiling_again_not_a_failed_page(
    tmp_path: Path,
) -> None:
    """A temporary-files cleaner may remove the cache's directory while the service runs:
    the next template is compiled in memory and the page renders."""
    directory = tmp_path / "compiled"
    cache = templating.compiled_templates(str(directory))
    assert cache is not None
    directory.rmdir()
    env = templating.environment.__wrapped__()
    env.bytecode_cache = cache
    assert "Sign in" in env.get_template("auth/sign_in.html").render()


def test_a_template_s_globals_are_one_plain_dict_holding_the_environment_s() -> None:
    """Each template sees the environment's globals (ours and Jinja's own) through a plain
    dict, which a macro file's import compares with the page's in C rather than one
    ChainMap look-up at a time; and a macro imported into a page still reaches them."""
    env = templating.environment()
    page = env.get_template("log/log.html")
    assert type(page.globals) is dict
    assert page.globals["challenge_rows"] is templating.challenge_rows
    assert {"range", "namespace", "dict"} <= page.globals.keys()
    shown = env.from_string(
        '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}'
        '{{ govukTag({"text": "Overdue", "classes": "govuk-tag--red"}) }}'
        "{% for n in range(2) %}{{ n }}{% endfor %}"
    ).render()
    assert 'class="govuk-tag govuk-tag--red"' in shown and "Overdue" in shown
    assert shown.rstrip().endswith("01")

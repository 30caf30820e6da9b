"""The command line finds its commands from `api/commands`' file names and imports a
command's module only when that command is asked for: every module there is reachable,
with its help, and starting `serve` (or one of the web processes it spawns) imports none
of the other commands."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest
import typer
import typer.main
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

import api.commands
from api.cli import cli, command_modules, load_command

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(api.commands.__path__)
    if not info.name.startswith("_")
)


def _group() -> TyperGroup:
    group = typer.main.get_command(cli)
    assert isinstance(group, TyperGroup)
    return group


def test_every_command_module_is_a_command_of_its_name() -> None:
    assert sorted(command_modules()) == sorted(name.replace("_", "-") for name in MODULES)
    group = _group()
    with click.Context(group) as ctx:
        assert group.list_commands(ctx) == sorted(command_modules())
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None and command.name == name
            assert command.help or command.short_help, f"{name} has no help text"


@pytest.mark.parametrize("module_name", MODULES)
def test_a_group_module_keeps_every_command_of_its_app(module_name: str) -> None:
    module = importlib.import_module(f"api.commands.{module_name}")
    name = module_name.replace("_", "-")
    command = load_command(name, module.__name__)
    if hasattr(module, "register"):
        assert not isinstance(command, TyperGroup)
        return
    assert isinstance(command, TyperGroup)
    expected = typer.main.get_group(module.app).commands
    assert sorted(command.commands) == sorted(expected)
    assert len(command.commands) == len(module.app.registered_commands)


def test_help_lists_every_command_with_its_help() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name, module_name in command_modules().items():
        command = load_command(name, module_name)
        summary = command.get_short_help_str(limit=40)
        assert name in result.output
        assert summary.split()[0] in result.output


@pytest.mark.parametrize("name", sorted(n.replace("_", "-") for n in MODULES))
def test_each_command_answers_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"iro-disputes {name}" in result.output or "Usage" in result.output


def test_helpers_are_not_commands_and_unknown_names_are_refused() -> None:
    assert not any(name.startswith("_") for name in command_modules())
    result = CliRunner().invoke(cli, ["common"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_a_module_that_brings_no_command_of_its_name_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match=r"api\.commands\._common brings no command"):
        load_command("common", "api.commands._common")


def _imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return set(out.stdout.split())


def test_the_command_line_imports_no_command_until_one_is_asked_for() -> None:
    modules = _imported_after("import api.cli")
    assert not {m for m in modules if m.startswith("api.commands.")}
    served = _imported_after(
        "import api.cli\nfrom api.cli import command_modules, load_command\n"
        "load_command('serve', command_modules()['serve'])"
    )
    commands = {m for m in served if m.startswith("api.commands.") and m != "api.commands._common"}
    assert commands == {"api.commands.serve"}


def test_a_web_process_imports_its_factory_without_the_command_line() -> None:
    modules = _imported_after("import api.web_process")
    assert not {m for m in modules if m.startswith(("api.commands", "typer", "fastapi"))}

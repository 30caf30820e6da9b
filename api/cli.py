"""The `iro-disputes` command.

Each module in `api/commands` whose name does not start with `_` is one command, named
after the module (`outcome_kinds.py` is `outcome-kinds`): a module with a Typer `app`
is a command group (`rules`, `people`, ...); a module with `register(cli)` adds the one
top-level command of its name (`serve`, `demo`, ...). Helpers that are not commands
start with `_`. New parts add a module there and never edit this file.

The names come from the file names alone; a module is imported only when its command
runs (or when `--help` lists every command with its help). `iro-disputes serve` then
imports what serving needs and nothing of the other commands, and neither does each web
process `serve --workers N` starts: multiprocessing's spawn runs this script again in
each of them. `tests/operations/test_cli_commands.py` fails if a module is not reachable.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import typer
import typer.main

# Typer 0.29 carries its own copy of Click: its groups and commands are made of these classes.
from typer import _click as click
from typer.core import TyperGroup

import api.commands


def command_modules() -> dict[str, str]:
    """Each command's name and the module that brings it, without importing any of them."""
    return {
        info.name.replace("_", "-"): f"{api.commands.__name__}.{info.name}"
        for info in pkgutil.iter_modules(api.commands.__path__)
        if not info.name.startswith("_")
    }


@functools.cache
def load_command(name: str, module_name: str) -> click.Command:
    """The command `name` as its module builds it (imported now, once)."""
    module = importlib.import_module(module_name)
    holder = typer.Typer()
    if hasattr(module, "register"):
        module.register(holder)
    elif hasattr(module, "app"):
        holder.add_typer(module.app, name=name)
    command = typer.main.get_group(holder).commands.get(name)
    if command is None:
        raise LookupError(
            f"{module_name} brings no command named {name!r}: give it a Typer `app`, or a "
            f"`register(cli)` adding a command of that name, or start its name with `_`"
        )
    return command


class LazyCommands(TyperGroup):
    """The top-level group: lists the modules' names, imports one when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(command_modules())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = command_modules().get(cmd_name)
        return None if module_name is None else load_command(cmd_name, module_name)


cli = typer.Typer(
    cls=LazyCommands,
    name="iro-disputes",
    help="Dispute resolution for Independent Reviewing Officer services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def _root() -> None:
    # A callback makes Typer build a group even though no command is registered up front.
    pass


def main() -> None:
    cli()

"""The `iro-disputes` command.

Each module in `api/commands` brings its own commands: a module with a Typer
`app` becomes a command group named after the module (`rules`, `people`, ...);
a module with `register(cli)` adds top-level commands (`serve`, `demo`, ...).
New parts add a module there and never edit this file.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import api.commands

cli = typer.Typer(
    name="iro-disputes",
    help="Dispute resolution for Independent Reviewing Officer services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _load_commands() -> None:
    for info in sorted(pkgutil.iter_modules(api.commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"api.commands.{info.name}")
        if hasattr(module, "register"):
            module.register(cli)
        elif hasattr(module, "app"):
            cli.add_typer(module.app, name=getattr(module, "NAME", info.name.replace("_", "-")))


_load_commands()


def main() -> None:
    cli()

"""The deployment kit holds together (no image can be built or pulled on this machine:
these check what can be checked without Docker)."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import yaml

from api.cli import command_modules

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> set[str]:
    return set(command_modules())


def test_compose_runs_every_part_with_health_checks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "migrate", "web", "worker", "mail-receiver", "proxy"} <= services.keys()
    assert services["web"]["deploy"]["replicas"] >= 2
    for name in ("db", "web", "worker", "mail-receiver", "proxy"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "mail-receiver", "migrate"):
        service = services[name]
        assert service["command"][0] in _commands(), name
        assert "DATABASE_URL" in service["environment"], name  # a merge never drops it
        assert service["depends_on"], name


def test_the_image_is_multi_stage_locked_and_runs_as_nobody_in_particular():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert "--require-hashes -r requirements/app.lock" in dockerfile
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert (ROOT / "requirements" / "app.lock").read_text().count("--hash=sha256:") > 50
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} {package}" in dockerfile, f"the image lacks {package}"


def test_systemd_units_start_real_commands_and_stop_with_sigterm():
    for path in (ROOT / "deploy" / "systemd").glob("*.service"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.read_string(path.read_text())
        start = unit["Service"]["ExecStart"].split()
        assert start[0] == "/opt/iro-disputes/bin/iro-disputes", path.name
        assert start[1] in _commands(), path.name
        assert unit["Service"]["User"] == "iro-disputes", path.name


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_dependency_in_pyproject_is_pinned_with_hashes_in_the_locks():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    app = (ROOT / "requirements" / "app.lock").read_text().lower()
    dev = (ROOT / "requirements" / "dev.lock").read_text().lower()
    for requirement in project["dependencies"]:
        name = _name(requirement)
        assert f"\n{name}==" in app, f"{name} is not in requirements/app.lock: run `make lock`"
        assert f"\n{name}==" in dev, f"{name} is not in requirements/dev.lock: run `make lock`"
    for requirement in project["optional-dependencies"]["dev"]:
        name = _name(requirement)
        assert f"\n{name}==" in dev, f"{name} is not in requirements/dev.lock: run `make lock`"

"""Run real `iro-disputes` processes against a test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CLI = str(Path(sys.executable).parent / "iro-disputes")


def env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    # Each test's processes get a mail sink of their own: with tests running in
    # parallel, the default port 8025 would be another test's sink.
    sink_port = str(free_port())
    values = dict(os.environ)
    values.update(
        DATABASE_URL=database_url,
        IRO_DISPUTES_DATA_DIR=str(data_dir),
        IRO_DISPUTES_LADDER="handbook",
        IRO_DISPUTES_SINK_PORT=sink_port,
        IRO_DISPUTES_SMTP_PORT=sink_port,
    )
    values.update(extra)
    return values


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(
    args: list[str], environment: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def start(args: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [CLI, *args], env=environment, cwd=log.parent, stdout=handle,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def stop(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()

"""How soon `iro-disputes serve` answers `/healthz`, beside a bare uvicorn app doing the same.

    .venv/bin/python -m bench.startup [--rounds 5] [--db sqlite,postgres]
                                      [--modes default,no-worker,one]

For each database: an empty, migrated scratch database (a file under
`/tmp/iro-bench-startup-*`, or the PostgreSQL database `iro_bench_startup`, dropped
afterwards). Each mode is one way to start the service:

- `default`: `serve` as shipped (one web process per CPU up to 4, the worker in the
  supervising process);
- `no-worker`: `serve --no-worker` (the same web processes, no worker);
- `one`: `serve --workers 1` (one process serving and running the worker).

The floor is uvicorn serving a bare ASGI function that answers `/healthz`, with the same
number of processes (uvicorn's own supervisor and its spawned processes), so what is left
is the project's own start. Every mode and its floor start once first (warm: byte-compiled,
the files in the page cache), then `--rounds` times each, alternating, each side first
every other round. "Ready" is the first 200 from `/healthz`, polled every 10 ms; at that
moment the CPU time of the whole process tree and each process's resident memory are read
from /proc. Prints medians with ranges. Never a timed test: figures only.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLI = str(Path(sys.executable).with_name("iro-disputes"))
MODES = {"default": [], "no-worker": ["--no-worker"], "one": ["--workers", "1"]}
TICKS = os.sysconf("SC_CLK_TCK")


async def floor_app(
    scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
) -> None:
    """The floor: an ASGI app answering `/healthz` and nothing else to import."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


@dataclass
class Start:
    seconds: float
    cpu: float
    largest_mb: float
    processes: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _tree(root: int) -> list[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu_and_memory(pids: list[int]) -> tuple[float, list[float]]:
    cpu, rss = 0.0, []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        cpu += sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime
        kb = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), "0"
        )
        rss.append(int(kb) / 1024)
    return cpu, rss


def start_once(args: list[str], env: dict[str, str], port: int) -> Start:
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not _answers(port):
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}")
            if time.perf_counter() - started > 240:  # a loaded machine starts slowly
                raise RuntimeError(f"{' '.join(args)} did not answer /healthz")
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        cpu, rss = _cpu_and_memory(_tree(proc.pid))
        return Start(seconds, cpu, max(rss), len(rss))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve_args(mode: str, port: int) -> list[str]:
    return [CLI, "serve", "--host", "127.0.0.1", "--port", str(port), *MODES[mode]]


def _floor_args(processes: int, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "bench.startup:floor_app", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(processes), "--log-level", "warning"]  # fmt: skip


def _web_processes(mode: str) -> int:
    if mode == "one":
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 4))  # serve's default


@contextmanager
def _database(kind: str, folder: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder}/startup.sqlite3"
        return
    import sqlalchemy as sa

    from bench.sweep import ADMIN_URL

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "iro_bench_startup" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "iro_bench_startup"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/iro_bench_startup"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS "iro_bench_startup" WITH (FORCE)'))
        admin.dispose()


def _summary(name: str, starts: list[Start]) -> str:
    def span(values: list[float], unit: str, digits: int = 2) -> str:
        return (f"{statistics.median(values):.{digits}f}{unit} "
                f"({min(values):.{digits}f}-{max(values):.{digits}f})")  # fmt: skip

    return (f"  {name:<22} ready {span([s.seconds for s in starts], ' s')}, "
            f"CPU {span([s.cpu for s in starts], ' s')}, largest process "
            f"{span([s.largest_mb for s in starts], ' MB', 0)}, {starts[0].processes} processes")  # fmt: skip


def run(kind: str, modes: list[str], rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="iro-bench-startup-") as folder, \
            _database(kind, folder) as url:  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url, "IRO_DISPUTES_DATA_DIR": folder,
               "IRO_DISPUTES_LADDER": "handbook", "IRO_DISPUTES_LOG_LEVEL": "WARNING",
               "TMPDIR": folder}  # serve's metrics folders land here, removed with it  # fmt: skip
        subprocess.run([CLI, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
        load = os.getloadavg()[0]
        for mode in modes:
            processes = _web_processes(mode)
            sides: dict[str, Callable[[int], list[str]]] = {
                f"serve ({mode})": functools.partial(_serve_args, mode),
                f"floor ({processes} processes)": functools.partial(_floor_args, processes),
            }
            figures: dict[str, list[Start]] = {name: [] for name in sides}
            for args in sides.values():  # warm: byte-compiled, files in the page cache
                port = _free_port()
                start_once(args(port), env, port)
            for round_ in range(rounds):
                order = list(sides.items()) if round_ % 2 == 0 else list(sides.items())[::-1]
                for name, args in order:
                    port = _free_port()
                    figures[name].append(start_once(args(port), env, port))
            serve, floor = (figures[name] for name in sides)
            ratio = statistics.median(s.seconds for s in serve) / statistics.median(
                s.seconds for s in floor
            )
            print(f"[{kind}] {mode}: {rounds} starts each, load {load:.1f}-{os.getloadavg()[0]:.1f}, "
                  f"ready {ratio:.1f}x the floor", flush=True)  # fmt: skip
            for name in sides:
                print(_summary(name, figures[name]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="starts per side and mode")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES)
    )
    options = parser.parse_args()
    for kind in options.db.split(","):
        run(kind, options.modes.split(","), options.rounds)


if __name__ == "__main__":
    main()

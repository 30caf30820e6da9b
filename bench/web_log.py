"""The challenge log page, the API list and the home page under 1 and 8 clients, beside the same SQL alone.

    .venv/bin/python -m bench.web_log [--challenges 10000,100000,1000000] [--clients 1,8]
                                      [--seconds 10] [--rounds 3] [--db sqlite,postgres]
                                      [--workers N] [--keep NAME]
                                      [--role head_of_service|iro|social_worker|team_manager]
                                      [--client httpx|asyncio] [--client-cpu] [--one-council]
                                      [--doors page,api,home]

For each database and size: seeds a scratch database in bulk (per 10,000 challenges a
council of 20 teams, 100 social workers, 30 IROs and 4,000 children, one raise event per
challenge, as a shared service for many councils holds them; with `--one-council`, one such
council however many challenges, so a person's caseload grows with the table: at 1,000,000
a social worker is addressed 7,900 challenges and an IRO sees 33,000, a stress, not a
council; `--keep NAME` keeps it for the next run instead: `/tmp/iro-bench-NAME-SIZE.sqlite3`
or the PostgreSQL database `iro_bench_NAME_SIZE`, with `-one`/`_one` after the size for one
council), starts `iro-disputes serve --no-worker` on 127.0.0.1 (with
`--workers N` web processes when given), signs each client in as the Head of Service
(or, with `--role`, the first seeded IRO, social worker or team manager, who see only
what `workflow.queries.visible_to` lets them: their list `/challenges` of 25 a page; the API
clients use a token), then, for each number of clients, alternates:

- the project: the clients request the log page `/log?...` (or the API list
  `/api/v1/challenges?...`) for `--seconds`, each cycling through the queries below; then
  the home page `/`, everyone's first page (`--doors` picks among the three);
- plain SQL: the same number of threads, each with its own DB-API connection, running
  the statements the page (or the API) runs for the same queries, captured from
  `workflow.queries` as the route calls it, for the same time, with no Python around them.

The clients are Python threads on `httpx` (the default), or with `--client asyncio` one
asyncio loop holding one keep-alive connection per client and reading the answers raw: the
load generator runs on the same cores as the server, and the threads cost it about a tenth
of the server's CPU a page (measured by `--client-cpu`, which prints both per request).

The `--seconds` per side are split into `--rounds` slices (3), the two sides taking turns,
each first every other slice, so a noisy machine slows both alike. Prints, for each side,
the median over the slices of pages a second, p50 and p95, with the ranges of the rate and
of p95, and the web processes' largest resident memory. Seeding: the first 10,000
challenges are built in Python, the rest copied from them in SQL (`bench/seeding.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from api.auth import create_api_token, set_password
from api.log_filters import parse_filters
from api.wiring import build
from bench.seeding import BLOCK, grow
from bench.sweep import ADMIN_URL, scratch
from escalation_rules.model import Role
from workflow import log_seek, queries
from workflow.db import make_engine
from workflow.list_cache import ChoicesCache
from workflow.runtime import prepare_database
from workflow.settings import WorkflowSettings
from workflow.tables import Person

T = SQLModel.metadata.tables
NOW = datetime.now(UTC)
STATES = ["awaiting_response"] * 5 + ["response_received", "awaiting_iro_decision", "informal",
                                       "resolved", "resolved", "withdrawn", "closed"]  # fmt: skip
STAGES = ["social_worker", "team_manager", "head_of_service", "senior_manager"]
CHUNK = 5000
# Who the clients sign in as (`--role`): the Head of Service reads the log; the others their
# own list, through their visibility condition.
VIEWERS = {"head_of_service": "hos@bench.test", "iro": "iro0@bench.test",
           "social_worker": "sw0-0@bench.test", "team_manager": "tm0@bench.test"}  # fmt: skip
PASSWORD = "benchmark password"


def seed(engine: sa.Engine, challenges: int, councils: bool = True) -> None:
    import api.tables  # noqa: F401  (the web tables exist for the token and password)

    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
    ladder = runtime.ladders.current
    with Session(engine) as session:
        runtime.ladders.record_current(session)
        session.commit()
    rng = random.Random(7)
    with engine.begin() as conn:
        themes = [r[0] for r in conn.execute(sa.text("SELECT key FROM theme"))]
        teams = [conn.execute(sa.insert(T["team"]).values(name=f"Team {i}", service_area="CLA")
                              .returning(T["team"].c.id)).scalar_one() for i in range(20)]  # fmt: skip

        def person(
            email: str, role: str, team: int | None = None, manager: int | None = None
        ) -> int:
            values = dict(email=email, name=email.split("@")[0], role=role, team_id=team, manager_id=manager,
                          absent=False, active=True)  # fmt: skip
            return int(
                conn.execute(
                    sa.insert(T["person"]).values(**values).returning(T["person"].c.id)
                ).scalar_one()
            )

        sm = person("sm@bench.test", "senior_manager")
        hos = person("hos@bench.test", "head_of_service", manager=sm)
        iros = [person(f"iro{i}@bench.test", "iro") for i in range(30)]
        workers = []
        for i, team in enumerate(teams):
            tm = person(f"tm{i}@bench.test", "team_manager", team, hos)
            workers += [
                person(f"sw{i}-{j}@bench.test", "social_worker", team, tm) for j in range(5)
            ]
        children = [conn.execute(sa.insert(T["child"]).values(
            case_reference=f"LL{10000 + i}", display_name=f"Child {i}", legal_status="looked_after",
            social_worker_id=rng.choice(workers), iro_id=rng.choice(iros)).returning(T["child"].c.id)).scalar_one()
            for i in range(4000)]  # fmt: skip
        # Past a block, the rest are copies of it made in SQL (bench/seeding.py).
        block = min(challenges, BLOCK)
        for start in range(0, block, CHUNK):
            rows, events = [], []
            for n in range(start, min(start + CHUNK, block)):
                raised = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 700))
                state = rng.choice(STATES)
                stage = None if state == "informal" else rng.choice(STAGES)
                due = (
                    raised + timedelta(days=7)
                    if state in ("awaiting_response", "informal")
                    else None
                )
                rows.append(dict(id=n + 1, reference=f"IRO-{raised.year}-B{n:06d}", child_id=rng.choice(children),
                                 raised_by_id=rng.choice(iros), theme_key=rng.choice(themes), ladder_id=ladder.id,
                                 ladder_hash=ladder.content_hash, raised_at=raised, what_is_wrong="x",
                                 impact_on_child="y", outcome_wanted="z", state=state, stage_key=stage,
                                 responder_id=rng.choice(workers) if stage else None, due_at=due,
                                 informal_recorded=True, version=1, updated_at=raised))  # fmt: skip
                events.append(dict(challenge_id=n + 1, seq=1, kind="raise_formal", occurred_at=raised,
                                   recorded_at=raised, actor_id=rows[-1]["raised_by_id"], from_state="new",
                                   to_state=state, stage_key=stage, changes={},
                                   details={"responder_id": rows[-1]["responder_id"]}))  # fmt: skip
            conn.execute(sa.insert(T["challenge"]), rows)
            conn.execute(sa.insert(T["challenge_event"]), events)
    grow(engine, block, challenges, {"challenge_event": "challenge_id"}, councils=councils)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                sa.text("SELECT setval('challenge_id_seq', (SELECT max(id) FROM challenge))")
            )
        # What autovacuum does to a table after a bulk load: statistics and the visibility
        # map (without it PostgreSQL cannot answer from an index alone).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    with Session(engine) as session:
        set_password(session, hos, PASSWORD)
        session.commit()


QUERIES = {
    "no filter": "",
    "page 201": "cursor=",  # by its cursor, as the log's Next gives it (`deep_page`)
    "status=open": "status=open",
    "overdue": "overdue=yes",
    "child search": "child=LL1234",
    "team": "team=3",
    "sort by due": "sort=due&order=asc&status=awaiting_response",
}
# What the clients request: the log page (a restricted viewer's own list), the API list,
# and the home page, everyone's first page after signing in (`--doors`).
DOORS = ("page", "api", "home")
CLI = str(Path(sys.executable).parent / "iro-disputes")
DEEP = 10_000  # the challenges before the deep page: it is page 201 of 50, newest first


def deep_page(engine: Engine) -> str:
    """The deep page's query: the cursor the log's Next link carries after 10,000 rows."""
    c = T["challenge"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(c.c.id, c.c.raised_at).order_by(c.c.raised_at.desc(),
                           c.c.id.desc()).offset(DEEP - 1).limit(1)).one()  # fmt: skip
    return (
        "cursor=" + log_seek.Cursor("raised", True, row.raised_at, row.id, DEEP // 50 + 1).encode()
    )


@contextmanager
def database(
    kind: str, challenges: int, keep: str | None, councils: bool = True
) -> Iterator[Engine]:
    """A seeded database: a scratch one, or the kept one named `keep` (seeded once)."""
    if keep is None:
        with scratch(kind) as engine:
            prepare_database(engine)
            _seed_timed(kind, engine, challenges, councils)
            yield engine
        return
    shape = "" if councils else "-one"
    if kind == "sqlite":
        engine = make_engine(
            f"sqlite:///{tempfile.gettempdir()}/iro-bench-{keep}-{challenges}{shape}.sqlite3"
        )
    else:
        name = f"iro_bench_{keep}_{challenges}{shape.replace('-', '_')}"
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if (
                conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
                is None
            ):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = make_engine(ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    prepare_database(engine)
    with engine.connect() as conn:
        present = conn.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one()
    if present == 0:
        _seed_timed(kind, engine, challenges, councils)
    else:
        print(f"[{kind}] kept database with {present:,} challenges", flush=True)
    try:
        yield engine
    finally:
        engine.dispose()


def _seed_timed(kind: str, engine: Engine, challenges: int, councils: bool = True) -> None:
    started = time.perf_counter()
    seed(engine, challenges, councils)
    shape = f"{-(-challenges // BLOCK)} councils" if councils else "one council"
    print(
        f"[{kind}] seeded {challenges:,} challenges ({shape}) in "
        f"{time.perf_counter() - started:.1f}s",
        flush=True,
    )


def serve(url: str, data_dir: str, workers: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "IRO_DISPUTES_DATA_DIR": data_dir,
           "IRO_DISPUTES_LADDER": "handbook", "IRO_DISPUTES_LOG_LEVEL": "WARNING"}  # fmt: skip
    args = [CLI, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the server did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the web processes), in MB: the largest one."""
    largest = 0.0
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        if found:
            largest = max(largest, int(found.group(1)) / 1024)
    return largest


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out += _children(k)
    return out


# -- the two sides -----------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, p: int) -> float:
        values = self.latencies
        return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def load(work: list[Callable[[int], None]], seconds: float) -> Result:
    """Each worker calls its function with a growing counter until time is up."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def loop(fn: Callable[[int], None], offset: int) -> None:
        mine, n = [], offset
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            fn(n)
            mine.append((time.perf_counter() - start) * 1000)
            n += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(fn, i)) for i, fn in enumerate(work)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(latencies, time.perf_counter() - started)


Work = list[Callable[[int], None]]
Side = Callable[[float], Result]  # runs one side's load for that many seconds


def alternate(ours: Side, floor: Side, seconds: float,
              rounds: int) -> tuple[list[Result], list[Result]]:  # fmt: skip
    """`rounds` slices of `seconds` for each side, alternating, each first every other round."""
    results: dict[str, list[Result]] = {"ours": [], "floor": []}
    for number in range(rounds):
        order = [("ours", ours), ("floor", floor)]
        for name, side in order[::-1] if number % 2 else order:
            results[name].append(side(seconds))
    return results["ours"], results["floor"]


def threads(work: Callable[[], Work]) -> Side:
    return lambda seconds: load(work(), seconds)


def raw_load(base: str, headers: list[dict[str, str]], urls: list[str], seconds: float) -> Result:
    """The lighter client: one asyncio loop, one keep-alive connection per client, each
    cycling through the urls as `http_work` does, reading the answer by its length."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []

    async def client(offset: int, extra: dict[str, str], stop_at: float) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        lines = "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        n = offset
        try:
            while time.perf_counter() < stop_at:
                url = urls[n % len(urls)]
                start = time.perf_counter()
                writer.write(f"GET {url} HTTP/1.1\r\nHost: {host}\r\n{lines}\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), (url, head[:40])
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                assert length is not None, (url, head)
                await reader.readexactly(int(length.group(1)))
                latencies.append((time.perf_counter() - start) * 1000)
                n += 1
        finally:
            writer.close()

    async def all_clients() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, h, started + seconds) for i, h in enumerate(headers)))
        return time.perf_counter() - started

    elapsed = asyncio.run(all_clients())
    return Result(latencies, elapsed)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes so far (from /proc), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def metered(side: Side, server: list[int], spent: dict[str, float]) -> Side:
    """`side`, adding the server's and this process's CPU seconds and the requests to `spent`."""

    def run(seconds: float) -> Result:
        own, theirs = time.process_time(), cpu_seconds(server)
        result = side(seconds)
        spent["client"] += time.process_time() - own
        spent["server"] += cpu_seconds(server) - theirs
        spent["requests"] += len(result.latencies)
        return result

    return run


def summary(results: list[Result]) -> str:
    """Medians over the rounds, with their ranges."""
    rates = [r.rate for r in results]
    p50s, p95s = [r.pct(50) for r in results], [r.pct(95) for r in results]
    return (f"{statistics.median(rates):6.1f}/s ({min(rates):.1f}-{max(rates):.1f}) "
            f"p50 {statistics.median(p50s):6.1f} p95 {statistics.median(p95s):7.1f} ms "
            f"({min(p95s):.1f}-{max(p95s):.1f})")  # fmt: skip


def page_client(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/sign-in").text)
    assert csrf is not None
    client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                  "csrftoken": csrf.group(1)})  # fmt: skip
    return client


def urls_of(door: str, path: str) -> list[str]:
    """What a client of the door requests, in turn: the log's queries, or the home page."""
    return [path] if door == "home" else [f"{path}?{q}" for q in QUERIES.values()]


def http_work(client: httpx.Client, urls: list[str]) -> Callable[[int], None]:
    def one(n: int) -> None:
        response = client.get(urls[n % len(urls)])
        assert response.status_code == 200, (urls[n % len(urls)], response.status_code)

    return one


Statement = tuple[str, Any]


def captured(engine: Engine, door: str, viewer_id: int) -> list[list[Statement]]:
    """For each query, the statements the page (or the API) runs for it, as sent to the
    driver; for the home page, the statements of its one request (`api/routes/home.py`)."""
    from api.views import visibility  # what the API and a restricted viewer's list see
    from workflow.routing import reach, reach_condition

    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    out = []
    lists = ChoicesCache()  # as a web process has them after its first page
    with Session(engine) as session:
        lists.choices(session)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for query in [""] if door == "home" else QUERIES.values():
            seen.clear()
            args = dict(p.split("=", 1) for p in query.split("&") if p)
            with Session(engine) as session:
                now = datetime.now(UTC)
                viewer = session.get(Person, viewer_id)
                assert viewer is not None
                overseer = Role(viewer.role) in queries.SEE_ALL_ROLES
                if door == "home":
                    queries.dashboard(session, viewer_id, Role(viewer.role), now)
                    through_posts = reach_condition(session, viewer_id)
                    reached = ([] if through_posts is None
                               else queries.rows_where(session, through_posts))  # fmt: skip
                    reach(session, viewer_id, among=[r.id for r in reached])
                elif door == "page" and overseer:
                    filters, _ = parse_filters(args)
                    queries.challenge_log(session, filters, now)
                    lists.choices(session)
                elif door == "page":  # a restricted viewer's own list (api/routes/my_challenges)
                    filters, _ = parse_filters(args, per_page=25)
                    page = queries.challenge_log(session, filters, now,
                                                 visibility(session, viewer), Role(viewer.role))  # fmt: skip
                    reach(session, viewer_id, among=[r.id for r in page.rows])
                else:
                    filters, _ = parse_filters(args)
                    queries.challenge_log(session, filters, now, visibility(session, viewer),
                                          Role(viewer.role))  # fmt: skip
            out.append(
                [s for s in seen if not s[0].lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
            )
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return out


def sql_work(engine: Engine, statements: list[list[Statement]]) -> Callable[[int], None]:
    raw = engine.raw_connection()

    def one(n: int) -> None:
        cursor = raw.cursor()
        for statement, parameters in statements[n % len(statements)]:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        raw.rollback()

    return one


# -- one database, one size ---------------------------------------------------------------


def run(kind: str, challenges: int, clients: list[int], seconds: float, workers: int | None,
        keep: str | None, rounds: int = 3, role: str = "head_of_service",
        client: str = "httpx", client_cpu: bool = False,
        councils: bool = True, doors: tuple[str, ...] = DOORS) -> None:  # fmt: skip
    email = VIEWERS[role]
    with (
        database(kind, challenges, keep, councils) as engine,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        with Session(engine) as session:
            viewer_id = session.execute(
                sa.text("SELECT id FROM person WHERE email=:e"), {"e": email}
            ).scalar_one()
            set_password(session, viewer_id, PASSWORD)
            token = create_api_token(session, viewer_id, "bench")
            session.commit()
        QUERIES["page 201"] = deep_page(engine)
        plans = {door: captured(engine, door, viewer_id) for door in doors}
        page_path = "/log" if role == "head_of_service" else "/challenges"
        proc, base = serve(engine.url.render_as_string(hide_password=False), data_dir, workers)
        peak = 0.0
        try:
            for n in clients:
                pages = [page_client(base, email) for _ in range(n)]
                apis = [httpx.Client(base_url=base, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"}) for _ in range(n)]  # fmt: skip
                paths = {"page": (page_path, pages), "api": ("/api/v1/challenges", apis),
                         "home": ("/", pages)}  # fmt: skip
                for door in doors:
                    path, made = paths[door]
                    urls = urls_of(door, path)
                    for c in made:  # warm: each query once per client
                        for url in urls:
                            c.get(url)
                    floor_engine = make_engine(engine.url.render_as_string(hide_password=False),
                                               poolclass=sa.pool.NullPool)  # fmt: skip
                    # Both run inside `alternate`, within this iteration (B023 does not apply).
                    if client == "asyncio":
                        sent = [_headers(c) for c in made]
                        side: Side = lambda t: raw_load(base, sent, urls, t)  # noqa: B023, E731
                    else:
                        side = threads(lambda: [http_work(c, urls) for c in made])  # noqa: B023
                    spent = {"client": 0.0, "server": 0.0, "requests": 0.0}
                    ours, floor = alternate(
                        metered(side, [proc.pid, *_children(proc.pid)], spent),
                        threads(lambda: [sql_work(floor_engine, plans[door]) for _ in range(n)]),  # noqa: B023
                        seconds / rounds, rounds)  # fmt: skip
                    peak = max(peak, rss_mb(proc.pid))
                    floor_engine.dispose()
                    cpu = (f" | CPU a request: server {1000 * spent['server'] / spent['requests']:.2f} ms, "
                           f"{client} client {1000 * spent['client'] / spent['requests']:.2f} ms"
                           if client_cpu and spent["requests"] else "")  # fmt: skip
                    print(f"[{kind} {challenges:>9,} {role}] {door:<4} {n} client{'s' if n > 1 else ' '} "
                          f"project {summary(ours)} | same SQL {summary(floor)}{cpu}", flush=True)  # fmt: skip
                for c in [*pages, *apis]:
                    c.close()
            print(f"[{kind} {challenges:>9,}] largest web process: {peak:.0f} MB resident; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _headers(client: httpx.Client) -> dict[str, str]:
    """What the raw client sends to be the same person: the cookies or the token."""
    headers = {k: v for k, v in client.headers.items() if k.lower() == "authorization"}
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {**headers, **({"Cookie": cookies} if cookies else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--challenges", default="100000", help="comma-separated sizes")
    parser.add_argument("--clients", default="1,8", help="comma-separated numbers of clients")
    parser.add_argument("--seconds", type=float, default=10, help="per side, door and client count")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the seconds split into this many slices, the two sides alternating")  # fmt: skip
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=None, help="web processes (serve --workers)")
    parser.add_argument("--keep", default=None, help="keep the seeded databases under this name")
    parser.add_argument("--role", default="head_of_service", choices=sorted(VIEWERS),
                        help="whom the clients sign in as")  # fmt: skip
    parser.add_argument("--client", default="httpx", choices=("httpx", "asyncio"),
                        help="the load generator: httpx threads, or one raw asyncio loop")  # fmt: skip
    parser.add_argument("--client-cpu", action="store_true",
                        help="print the server's and the load generator's CPU a request")  # fmt: skip
    parser.add_argument("--doors", default=",".join(DOORS),
                        help="which of page (the log), api (the API list), home (the home page)")  # fmt: skip
    parser.add_argument("--one-council", action="store_true",
                        help="one council however many challenges (caseloads grow with the table)")  # fmt: skip
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    for size in [int(s) for s in args.challenges.split(",")]:
        for kind in args.db.split(","):
            run(kind.strip(), size, [int(c) for c in args.clients.split(",")], args.seconds,
                args.workers, args.keep, args.rounds, args.role, args.client,
                args.client_cpu, not args.one_council,
                tuple(d.strip() for d in args.doors.split(",")))  # fmt: skip


if __name__ == "__main__":
    main()

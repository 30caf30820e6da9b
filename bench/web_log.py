"""The challenge log page and the API list at 100,000 challenges, served by uvicorn on 127.0.0.1.

    .venv/bin/python -m bench.web_log [--challenges 100000] [--requests 40] [--db sqlite,postgres]

Seeds a scratch database in bulk (a council of 20 teams, 4,000 children, one raise
event per challenge), starts `uvicorn api.app:create_app --factory` in a subprocess,
signs in as the Head of Service and issues an API token, then times a bounded number
of sequential requests for each of several log queries (no filter, a deep page, by
status, overdue, child search, team, sorted by due date), page and API alike.
Prints p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from api.auth import create_api_token, set_password
from api.wiring import build
from bench.sweep import scratch
from workflow.runtime import prepare_database
from workflow.settings import WorkflowSettings

T = SQLModel.metadata.tables
NOW = datetime.now(UTC)
STATES = ["awaiting_response"] * 5 + ["response_received", "awaiting_iro_decision", "informal",
                                       "resolved", "resolved", "withdrawn", "closed"]  # fmt: skip
STAGES = ["social_worker", "team_manager", "head_of_service", "senior_manager"]
CHUNK = 5000


def seed(engine: sa.Engine, challenges: int) -> None:
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
        for start in range(0, challenges, CHUNK):
            rows, events = [], []
            for n in range(start, min(start + CHUNK, challenges)):
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
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                sa.text("SELECT setval('challenge_id_seq', (SELECT max(id) FROM challenge))")
            )
            conn.execute(sa.text("ANALYZE"))
    with Session(engine) as session:
        set_password(session, hos, "benchmark password")
        session.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IRO_DISPUTES_DATA_DIR": data_dir,
        "IRO_DISPUTES_LADDER": "handbook",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the server did not start")


QUERIES = {
    "no filter": "",
    "page 200": "page=200",
    "status=open": "status=open",
    "overdue": "overdue=yes",
    "child search": "child=LL1234",
    "team": "team=3",
    "sort by due": "sort=due&order=asc&status=awaiting_response",
}


def timed(client: httpx.Client, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def run(kind: str, challenges: int, requests: int) -> None:
    with scratch(kind) as engine, tempfile.TemporaryDirectory() as data_dir:
        prepare_database(engine)
        started = time.perf_counter()
        seed(engine, challenges)
        print(f"[{kind}] seeded {challenges:,} challenges in {time.perf_counter() - started:.1f}s")
        with Session(engine) as session:
            hos_id = session.execute(
                sa.text("SELECT id FROM person WHERE email='hos@bench.test'")
            ).scalar_one()
            token = create_api_token(session, hos_id, "bench")
            session.commit()
        proc, base = serve(engine.url.render_as_string(hide_password=False), data_dir)
        try:
            page = httpx.Client(base_url=base, timeout=60)
            csrf = re.search(r'name="csrftoken" value="([^"]+)"', page.get("/sign-in").text)
            assert csrf is not None
            page.post("/sign-in", data={"email": "hos@bench.test", "password": "benchmark password",
                                        "csrftoken": csrf.group(1)})  # fmt: skip
            api = httpx.Client(
                base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}
            )
            all_page, all_api = [], []
            print(
                f"{'query':<14} {'page p50':>9} {'page p95':>9} {'api p50':>8} {'api p95':>8}  (ms)"
            )
            for name, query in QUERIES.items():
                timed(page, f"/log?{query}", 2)  # warm
                p = timed(page, f"/log?{query}", requests)
                a = timed(api, f"/api/v1/challenges?{query}", requests)
                all_page += p
                all_api += a
                print(
                    f"{name:<14} {pct(p, 50):9.1f} {pct(p, 95):9.1f} {pct(a, 50):8.1f} {pct(a, 95):8.1f}"
                )
            print(f"{'all':<14} {pct(all_page, 50):9.1f} {pct(all_page, 95):9.1f} "
                  f"{pct(all_api, 50):8.1f} {pct(all_api, 95):8.1f}")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--challenges", type=int, default=100_000)
    parser.add_argument(
        "--requests", type=int, default=40, help="timed requests per query and door"
    )
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.db.split(","):
        run(kind.strip(), args.challenges, args.requests)


if __name__ == "__main__":
    main()

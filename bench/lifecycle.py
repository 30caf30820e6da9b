"""A whole challenge lifecycle, persisted: the project, its plain-SQL floor and SpiffWorkflow.

    .venv/bin/python -m bench.lifecycle [--rounds 200] [--db sqlite,postgres] [--spiff-reload]
        [--challenges 100000]

A lifecycle is six steps, each its own transaction: a formal challenge raised at the
social worker, escalated three times by the IRO (team manager, Head of Service, senior
manager), answered by the senior manager, and the answer accepted by the IRO. Three sides,
each on its own scratch database of the same kind, alternate lifecycle by lifecycle (each
goes first every third round, so a noisy machine slows all three alike):

- the project: `workflow.services` with the listeners the web and the worker have (the
  deadline planner and the outbox), one unit of work per step;
- plain SQL: a DB-API cursor making the same writes as the project, one transaction per
  step, `executemany` where there are several rows, nothing read back: the reference
  counter and the challenge row (then its update with the version check), the event,
  cancelling the challenge's pending deadlines in one statement and inserting its new
  ones, expiring the ended stage's link tokens, one outbox row per email due. How many
  deadline and outbox rows each step writes is read from the project in a first,
  untimed lifecycle, and the statements and rows of both sides are compared there: the
  run stops if plain SQL would write anything the project does not, or the reverse;
- SpiffWorkflow (`pip install -e '.[bench]'`): the same ladder as BPMN
  (`bench/challenge_ladder.bpmn`), each step completing the ready user task and running
  the engine, then writing the whole serialised workflow (JSON, as text) to a table in
  one transaction (an INSERT for the raise, an UPDATE after). It keeps no event log,
  deadlines or outbox. `--spiff-reload` also reads the JSON back and deserialises it
  before each step, as a web process that keeps nothing between requests must.

Prints, per step and side, the median and 10th-90th percentile in milliseconds, the
lifecycles a second with their range, and the ratios of the medians; on SQLite (in the
process) also the CPU per lifecycle, which a loaded machine stretches less than wall time.
`--challenges N` first seeds N challenges into each database as `bench.web_log` does.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.wiring import build
from bench.actions import seed_council
from bench.lifecycle_sides import (
    SIDES,
    STEPS,
    WRITES,
    PlainSql,
    Spiff,
    Timed,
    Write,
    moment,
    rows_of,  # fmt: skip  # fmt: skip
    verb_table,
)
from bench.sweep import scratch
from notifications.settings import MailSettings, use_settings
from workflow.runtime import Runtime, prepare_database
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import Action


class Project:
    """The real use cases, one transaction each."""

    def __init__(self, runtime: Runtime, ids: dict[str, int]) -> None:
        self.rt, self.ids, self.n = runtime, ids, 0

    def lifecycle(self, times: dict[str, float]) -> None:
        self.n += 1
        at, iro = moment(self.n), self.ids["iro"]
        new = NewChallenge(child_reference=f"LL{self.n % 50:04d}", theme_key="drift_and_delay",
                           what_is_wrong="Drift in the care plan.", impact_on_child="Delay.",
                           outcome_wanted="A plan.", formal=True, stage="social_worker",
                           informal=InformalDiscussion("Sam Worker", at.date(), "A plan",
                                                       at.date()))  # fmt: skip
        with Timed(times, "raise"), self.rt.uow() as uow:
            ref = raise_challenge(uow, new, iro, at).reference
        for step in STEPS[1:4]:
            with Timed(times, step), self.rt.uow() as uow:
                take_action(uow, ref, Action.ESCALATE, iro, {"reason": "No answer."}, at)
        with Timed(times, "respond"), self.rt.uow() as uow:
            take_action(uow, ref, Action.RESPOND, self.ids["senior_manager"],
                        {"response": "Booked.", "actions": "Plan", "target_date": "2026-12-20"},
                        at)  # fmt: skip
        with Timed(times, "accept"), self.rt.uow() as uow:
            take_action(uow, ref, Action.ACCEPT, iro, {"outcome_kind": "plan_updated",
                        "outcome": "Plan agreed", "impact": "Settled"}, at)  # fmt: skip

    def close(self) -> None:
        pass


# -- keeping the floor honest ----------------------------------------------------------------


@contextmanager
def traced(engine: Engine) -> Iterator[list[Write]]:
    """The project's writes as sent to the driver, with a ("COMMIT", "", 0) at each commit."""
    seen: list[Write] = []

    def after(_c: Any, cursor: Any, statement: str, params: Any, _x: Any, many: bool) -> None:
        verb, table = verb_table(statement)
        if verb in WRITES:
            seen.append((verb, table, len(params) if many else rows_of(verb, cursor.rowcount)))

    def commit(_c: Any) -> None:
        seen.append(("COMMIT", "", 0))

    sa.event.listen(engine, "after_cursor_execute", after)
    sa.event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)
        sa.event.remove(engine, "commit", commit)


def by_step(trace: list[Write]) -> dict[str, list[Write]]:
    """A lifecycle's writes split at its commits: one transaction per step."""
    steps: list[list[Write]] = [[]]
    for write in trace:
        if write[0] == "COMMIT":
            steps.append([])
        else:
            steps[-1].append(write)
    steps = [s for s in steps if s]
    if len(steps) != len(STEPS):
        raise SystemExit(f"expected {len(STEPS)} transactions in a lifecycle, saw {len(steps)}")
    return dict(zip(STEPS, steps, strict=True))


def calibrate(project: Project, engine: Engine) -> dict[str, list[Write]]:
    """One untimed lifecycle: what the project writes in each step."""
    with traced(engine) as seen:
        project.lifecycle({})
    return by_step(seen)


def inserted(writes: list[Write]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for verb, table, rows in writes:
        if verb == "INSERT":
            counts[table] += rows
    return counts


def check_floor(project: dict[str, list[Write]], floor: PlainSql) -> None:
    """Plain SQL must make the same kinds of write, to the same tables, inserting the same rows."""
    floor.trace = []
    floor.lifecycle({})
    theirs_by_step, floor.trace = by_step(floor.trace), None
    for step in STEPS:
        ours, theirs = project[step], theirs_by_step[step]
        kinds = {(v, t) for v, t, _ in ours}
        if kinds != {(v, t) for v, t, _ in theirs} or inserted(ours) != inserted(theirs):
            raise SystemExit(f"plain SQL does not make the project's writes in '{step}': "
                             f"project {sorted(ours)}, plain SQL {sorted(theirs)}")  # fmt: skip
        print(f"    {step:<10} {', '.join(f'{v} {t}' for v, t in sorted(kinds))}; rows inserted "
              f"{dict(inserted(ours))}; write statements: project {len(ours)}, plain SQL "
              f"{len(theirs)}", flush=True)  # fmt: skip


# -- measuring -------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    low, high = ordered[len(ordered) // 10], ordered[(len(ordered) * 9) // 10]
    return f"{statistics.median(values):7.2f} ms ({low:.2f}-{high:.2f})"


def one_database(
    kind: str, rounds: int, reload: bool, challenges: int = 0
) -> dict[str, list[float]]:
    with scratch(kind) as ours, scratch(kind) as floor_db, scratch(kind) as spiff_db:
        runtimes = {}
        for label, engine in (("project", ours), ("plain SQL", floor_db), ("SpiffWorkflow", spiff_db)):  # fmt: skip
            prepare_database(engine)
            if challenges:  # a service's history around the new ones, on every side alike
                from bench.web_log import seed

                seed(engine, challenges)
            runtimes[label] = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine)
        ids = seed_council(runtimes["project"])
        project = Project(runtimes["project"], ids)
        writes = calibrate(project, ours)
        floor = PlainSql(runtimes["plain SQL"], seed_council(runtimes["plain SQL"]),
                         {step: inserted(w) for step, w in writes.items()})  # fmt: skip
        print(f"  {kind}: what each step writes (checked against plain SQL):", flush=True)
        check_floor(writes, floor)
        sides: dict[str, Project | PlainSql | Spiff] = {
            "project": project,
            "plain SQL": floor,
            "SpiffWorkflow": Spiff(spiff_db, reload),
        }
        for side in sides.values():  # warm-up: caches, statements, the ladder's versions
            for _ in range(3):
                side.lifecycle({})
        results: dict[str, dict[str, list[float]]] = {s: {} for s in SIDES}
        order = list(SIDES)
        load = os.getloadavg()[0]
        for _ in range(rounds):
            order = order[1:] + order[:1]  # each side goes first every third round
            for label in order:
                times: dict[str, float] = {}
                sides[label].lifecycle(times)
                times["lifecycle"] = sum(times[s] for s in STEPS)
                times["cpu lifecycle"] = sum(times["cpu " + s] for s in STEPS)
                for name, ms in times.items():
                    results[label].setdefault(name, []).append(ms)
        for side in sides.values():
            side.close()
    _print(kind, results, load, os.getloadavg()[0])
    return {label: results[label]["lifecycle"] for label in SIDES}


def _print(kind: str, results: dict[str, dict[str, list[float]]], before: float,
           after: float) -> None:  # fmt: skip
    med = {s: {k: statistics.median(v) for k, v in r.items()} for s, r in results.items()}
    for step in (*STEPS, "lifecycle"):
        print(f"  {kind:<8} {step:<10} " + "  ".join(f"{s} {spread(results[s][step])}" for s in SIDES),
              flush=True)  # fmt: skip
    for s in SIDES:
        life = sorted(1000 / ms for ms in results[s]["lifecycle"])
        print(f"  {kind:<8} {s:<13} {statistics.median(life):6.1f} lifecycles/s "
              f"({life[len(life) // 10]:.1f}-{life[(len(life) * 9) // 10]:.1f})", flush=True)  # fmt: skip
    p, f, sp = (med[s]["lifecycle"] for s in SIDES)
    print(f"  {kind:<8} ratios of the medians (wall): project / plain SQL {p / f:.1f}x, "
          f"SpiffWorkflow / plain SQL {sp / f:.1f}x, project / SpiffWorkflow {p / sp:.1f}x "
          f"(load average {before:.1f} at the start, {after:.1f} at the end)", flush=True)  # fmt: skip
    if kind == "sqlite":  # in-process: this process's CPU is the whole of the work
        p, f, sp = (med[s]["cpu lifecycle"] for s in SIDES)
        print(f"  {kind:<8} CPU a lifecycle: project {p:.2f} ms, plain SQL {f:.2f} ms, "
              f"SpiffWorkflow {sp:.2f} ms; project / plain SQL {p / f:.1f}x, "
              f"project / SpiffWorkflow {p / sp:.1f}x", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--spiff-reload", action="store_true",
                        help="SpiffWorkflow reads and deserialises its state before each step")  # fmt: skip
    parser.add_argument("--challenges", type=int, default=0,
                        help="challenges already in each database, seeded as bench.web_log's")  # fmt: skip
    args = parser.parse_args(argv)
    use_settings(MailSettings(base_url="https://disputes.bench.test", reply_domain="bench.test"))
    print(f"Lifecycle: {args.rounds} rounds of raise, 3 escalations, respond, accept; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    if args.challenges:
        print(f"Among {args.challenges:,} challenges already in each database", flush=True)
    for kind in args.db.split(","):
        one_database(kind, args.rounds, args.spiff_reload, args.challenges)


if __name__ == "__main__":
    main()

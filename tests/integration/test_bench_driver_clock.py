"""`bench.actions --split`: the clock that divides the project's CPU into the driver's
share and the rest counts the project's statements and commits, and puts SQLAlchemy
back as it was however the measured work ends."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine.default import DefaultDialect

from bench.actions import DriverClock, Project, seed_council
from workflow.runtime import Runtime

_TIMED = ("do_execute", "do_executemany", "do_commit")


def test_the_clock_counts_the_driver_s_share_of_a_round(runtime: Runtime) -> None:
    project = Project(runtime, seed_council(runtime))
    project.round()  # warm: statements compiled, ladder versions read
    started = time.process_time_ns()
    with DriverClock() as clock:
        project.round()
    spent = time.process_time_ns() - started

    assert 0 < clock.ns < spent  # some of the round, never all of it


def test_nothing_outside_the_clock_is_counted(runtime: Runtime) -> None:
    project = Project(runtime, seed_council(runtime))
    with DriverClock() as clock:
        pass
    project.round()
    assert clock.ns == 0


def test_sqlalchemy_is_as_it_was_after_the_clock_even_after_an_error() -> None:
    before = {name: DefaultDialect.__dict__[name] for name in _TIMED}
    with pytest.raises(RuntimeError), DriverClock():
        assert all(DefaultDialect.__dict__[name] is not before[name] for name in _TIMED)
        raise RuntimeError("the measured work failed")
    assert {name: DefaultDialect.__dict__[name] for name in _TIMED} == before

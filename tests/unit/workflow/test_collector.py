"""A process that runs the workflow collects cycles less often than Python's default."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from workflow.runtime import COLLECT_AFTER, build_runtime
from workflow.settings import WorkflowSettings


@pytest.fixture
def threshold() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("threshold")
def test_building_a_runtime_raises_the_first_generation_s_threshold() -> None:
    gc.set_threshold(700, 10, 10)  # Python's default
    build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), sa.create_engine("sqlite://"))
    assert gc.get_threshold() == (COLLECT_AFTER, 10, 10)
    assert COLLECT_AFTER == 10_000


@pytest.mark.usefixtures("threshold")
def test_a_higher_threshold_already_set_is_kept() -> None:
    gc.set_threshold(50_000, 20, 20)
    build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), sa.create_engine("sqlite://"))
    assert gc.get_threshold() == (50_000, 20, 20)

"""The actions benchmark's plain-SQL floor writes the rows the project writes.

`bench/actions.py` states, per action, how many deadline and outbox rows its floor
inserts (`WRITES`). If the project came to write fewer (as when only each clock's next
deadline got a row) and the floor kept the old count, the floor would be slower than the
project's real work and every ratio would flatter the project."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.actions import WRITES, Project, seed_council
from workflow.runtime import Runtime


def _rows(runtime: Runtime, table: str) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("round_number", [1, 2], ids=["accepted", "withdrawn"])
def test_the_floor_inserts_the_deadlines_and_emails_each_action_inserts(
    runtime: Runtime, round_number: int
) -> None:
    project = Project(runtime, seed_council(runtime))
    written: dict[str, tuple[int, int]] = {}
    for name, run in project.actions(round_number):
        deadlines, emails = _rows(runtime, "deadline"), _rows(runtime, "mail_outbox")
        run()
        written[name] = (
            _rows(runtime, "deadline") - deadlines,
            _rows(runtime, "mail_outbox") - emails,
        )

    ending = "accept" if round_number % 2 else "withdraw"
    expected = ["raise", "extend", "pause", "resume", "escalate", "respond", ending, "close"]
    assert list(written) == expected
    assert written == {name: (WRITES[name].planned, WRITES[name].emails) for name in expected}

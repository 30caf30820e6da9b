"""The challenge page reads the challenge once: statements counted and pinned."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.factories import new_challenge
from tests.web.test_log_lists import statements
from workflow.services import raise_challenge


def test_the_challenge_page_reads_the_challenge_once(login, runtime, people):
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        reference = raise_challenge(uow, new_challenge(now), people.council.iro, now).reference
    iro = login("iro@council.test")
    assert iro.get(f"/challenges/{reference}").status_code == 200
    with statements(runtime.engine) as seen:
        assert iro.get(f"/challenges/{reference}").status_code == 200
    reads = [s for s in seen if re.search(r"FROM challenge\b", s)]
    assert len(reads) == 1, reads  # the row, the workflow's challenge and the check, at once
    sent = [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    # The session with its person (one statement); the challenge; the access log; the child;
    # the footprint and its names; whether the child's record may be opened; mail waiting
    # and with files.
    assert len(sent) == 9, sent
    assert sum("FROM user_session" in s for s in sent) == 1

"""Libraries that chatter at INFO stay out of the operator's log."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import logging
from api.logs import configure_logging
configure_logging(json=True)
logging.getLogger("transitions.core").info("Executed callback")
logging.getLogger("apscheduler.scheduler").info("Added job")
logging.getLogger("iro_disputes.worker").info("deadline fired")
logging.getLogger("transitions.core").warning("a real problem")
"""


def test_library_info_lines_are_dropped_and_our_own_and_warnings_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert "deadline fired" in done.stderr
    assert "a real problem" in done.stderr
    assert "Executed callback" not in done.stderr
    assert "Added job" not in done.stderr

"""Waiting for SIGTERM or Ctrl+C without a lock inside the signal handler.

`threading.Event.set()` must not be called from a signal handler: the handler runs
in the main thread, and if the signal lands while that thread is inside
`Event.wait()` holding the event's (non-reentrant) lock, `set()` blocks on it for
ever and the process never stops. The handler here only records the signal; the
main thread notices it within one poll.
"""

from __future__ import annotations

import signal
import time
from types import FrameType

POLL_SECONDS = 0.2


class StopSignal:
    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> StopSignal:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._record)
        return self

    def _record(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum

    def wait(self) -> None:
        while self.received is None:
            time.sleep(POLL_SECONDS)  # a signal cuts the sleep short and runs the handler

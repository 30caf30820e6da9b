"""The stop-signal wait of `worker` and `mail sink`: the handler takes no lock."""

from __future__ import annotations

import os
import signal
import threading

from api.commands._signals import StopSignal


def test_a_signal_arriving_at_any_moment_of_the_wait_ends_it() -> None:
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        # Many rounds, each signal sent as the main thread enters the wait: with an
        # Event set from the handler one of these rounds could hang for ever.
        for round_ in range(20):
            stop = StopSignal().install()
            sender = threading.Timer(0.001 * (round_ % 5), os.kill, (os.getpid(), signal.SIGTERM))
            sender.start()
            stop.wait()
            sender.join()
            assert stop.received == signal.SIGTERM
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

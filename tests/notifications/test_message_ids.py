"""Message-IDs are drawn from the OS in blocks: each still unique, also across a fork."""

from __future__ import annotations

import os
import re

from notifications.messages import _RANDOM_IDS, _RandomIds


def test_ids_are_32_hex_digits_and_never_repeat_across_refills() -> None:
    ids = _RandomIds()
    taken = [ids.take() for _ in range(3 * _RandomIds._AT_ONCE + 7)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in taken)
    assert len(set(taken)) == len(taken)


def test_a_forked_process_does_not_hand_out_the_parent_s_ids() -> None:
    _RANDOM_IDS.take()  # the parent holds a block it has not used up
    left_in_parent = list(_RANDOM_IDS._left)
    assert left_in_parent
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write, ",".join(_RANDOM_IDS.take() for _ in range(5)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        from_child = pipe.read().split(",")
    os.waitpid(child, 0)
    assert len(from_child) == 5
    assert not set(from_child) & set(left_in_parent)

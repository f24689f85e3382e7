"""The node side of the ray runner, without a cluster: a cancelled attempt is waited for until its
cleanup (removing its container) has run, so the kernel hears "ended" only once nothing is left."""

from __future__ import annotations

import asyncio
import threading

from flyte_nb.runners.ray_node import OnLoop, node_loop


def test_cancel_and_wait_returns_only_after_the_attempts_cleanup_has_run() -> None:
    cleaned = threading.Event()
    entered = threading.Event()

    async def attempt() -> None:
        entered.set()
        try:
            await asyncio.sleep(600)
        finally:  # like the docker runner's container removal: in a thread, awaited on cancel
            await asyncio.to_thread(threading.Event().wait, 0.5)
            cleaned.set()

    running = OnLoop(attempt(), node_loop())
    assert entered.wait(30)
    assert not running.ended()
    assert running.cancel_and_wait(60) is True
    assert cleaned.is_set(), "the attempt was reported ended before its cleanup ran"
    assert running.ended()


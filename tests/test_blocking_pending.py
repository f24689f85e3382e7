"""blocking.wait_pending: kernel exit waits for in_thread calls in flight (a container create landing late)."""

from __future__ import annotations

import asyncio
import threading

from flyte_nb import blocking


def test_wait_pending_returns_once_calls_in_flight_have_ended() -> None:
    release, done = threading.Event(), []

    def slow() -> None:
        release.wait(5)
        done.append(True)

    async def start() -> None:
        task = asyncio.ensure_future(blocking.in_thread(slow))
        await asyncio.sleep(0.05)
        task.cancel()  # the awaiting side gives up, as at kernel exit; the thread runs on

    asyncio.run(start())
    assert blocking.wait_pending(0.1) is False and not done  # still in flight
    threading.Timer(0.2, release.set).start()
    assert blocking.wait_pending(5) is True and done == [True]

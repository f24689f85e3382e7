"""The in-process runner: the function runs in the kernel (Flyte's "local mode"), for debugging.

Honors retries and timeouts (through the runtime) and env_vars are *not* applied: the kernel's
process is shared, and changing os.environ under other cells would be worse than the gap.
Synchronous functions run in a worker thread, so a timeout stops waiting but cannot stop
the thread; the container and local runners do not have that limit.
"""

from __future__ import annotations

from typing import Any

from .. import report
from ..blocking import in_thread
from .base import Call, Runner


class InProcessRunner(Runner):
    name = "inprocess"

    async def attempt(self, call: Call, number: int) -> Any:
        func = call.task.func
        args, kwargs = call.arguments.args, call.arguments.kwargs
        if call.settings.value("report"):
            report.activate(call.report)  # this attempt's context only
        try:
            if call.task.is_async:
                return await func(*args, **kwargs)
            # its own thread, not the loop's pool: a sync task waiting on its children holds its thread
            return await in_thread(func, *args, **kwargs)  # in this context (report)
        finally:
            if call.settings.value("report"):
                report.flush()

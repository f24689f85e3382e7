"""The runner interface: one method, run one attempt of a call.

Retries, timeouts, records and events are the runtime's (runtime.py), the same for every
runner, so a runner only has to start the attempt, stream its logs and stop it when it is
cancelled (a timeout or a kernel interrupt arrives as cancellation).
"""

from __future__ import annotations

import abc
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar, Protocol

from ..config.resolve import Resolution
from ..runs import RunRecord

if TYPE_CHECKING:
    from ..task import TaskTemplate


class LogSink(Protocol):
    """Where an attempt's log lines go; stream says which of the task's streams a line came from
    ("stdout" or "stderr"), so a script without a view prints each on the stream the SDK would."""

    def __call__(self, line: str, stream: str = "stdout") -> None: ...


@dataclass
class Call:
    """One task call as a runner sees it: what to run and with which settings."""

    task: "TaskTemplate"
    arguments: inspect.BoundArguments
    settings: Resolution
    run: RunRecord
    emit: LogSink  # log line sink (stdout/stderr of the attempt)
    reservation: Any = None  # the scheduler's reservation; lent to nested calls while they run
    status: Callable[[str], None] = lambda _: None  # phase updates: "building", "starting", "running"
    report: Callable[[dict[str, str]], None] = lambda _: None  # report flushes (tab name -> HTML)
    secret_values: list[str] = field(default_factory=list)  # redacted from logs, errors and reports
    #: Serves the task's own task calls (a controller "call" request -> its reply); None: this kernel's
    #: runtime runs them (controller.serve_nested). A Ray node sets it to hand them back to the kernel.
    nested: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None


class Runner(abc.ABC):
    """Runs attempts; chosen by flyte.init(runner=...) or FLYTE_NB_RUNNER."""

    name: ClassVar[str]
    #: Whether the runner places calls by their cpu/memory requests itself (a cluster): then the kernel's
    #: scheduler packs nothing against this machine's size and only applies the queue limits.
    places_calls: ClassVar[bool] = False

    @abc.abstractmethod
    async def attempt(self, call: Call, number: int) -> Any:
        """Run attempt `number` of `call` and return the task's output, or raise."""

    async def close(self) -> None:
        """Release what the runner holds (containers, workers) at kernel shutdown."""

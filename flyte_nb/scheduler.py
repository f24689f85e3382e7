"""Packing calls onto this machine: CPU and memory requests, queues, max_queued_time.

A call starts only when its requests fit in what is free (no overcommit), FIFO within its
queue; queues may have a concurrency limit (flyte.init(queues={"gpu": 1})). A parent task
waiting on a child lends its reservation back meanwhile, or nested calls would deadlock on a
small machine. An idle standby container (runners/standby.py) holds the memory a call of its
config reserves, taken only when free (never waiting, never overcommitting); a call that does not
fit otherwise gets it back: the standby is dropped first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

from .config.errors import ConfigError
from .errors import MaxQueuedTimeExceededError
from .host_limits import read_limits
from .notices import notice

DEFAULT_QUEUE = "default"


def host_cpus() -> float:
    """Cores one call may use: the affinity mask, bounded by the kernel's cgroup (v1 or v2) quota."""
    return read_limits().cpus


def host_memory() -> int:
    """Bytes one call may use: MemTotal, bounded by the kernel's cgroup (v1 or v2) memory limit."""
    return read_limits().memory


@dataclass
class Reservation:
    cpu: float
    memory: int
    queue: str
    held: bool = True
    lent: int = 0  # nested calls currently borrowing this reservation
    id: int = field(default_factory=itertools.count().__next__)


class Scheduler:
    """FIFO-per-queue admission against the host's CPUs and memory."""

    def __init__(self, cpus: float | None = None, memory: int | None = None,
                 queue_limits: dict[str, int] | None = None) -> None:
        self.cpus = cpus if cpus is not None else host_cpus()
        self.memory = memory if memory is not None else host_memory()
        self.queue_limits = dict(queue_limits or {})
        self._free_cpu = self.cpus
        self._free_memory = self.memory
        self._running: dict[str, int] = {}
        self._waiting: dict[str, list[int]] = {}
        self._changed: asyncio.Condition | None = None
        self._tickets = itertools.count()
        self._holds: dict[int, tuple[Reservation, Callable[[], None]]] = {}  # standbys' memory, reclaimable
        self._dropping: dict[int, Reservation] = {}  # holds whose standby is being removed: freed once gone
        self._wakers: set[asyncio.Task[None]] = set()

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def fit(self, cpu: float, memory: int, what: str) -> tuple[float, int]:
        """Clamp a CPU request larger than the machine (it runs alone); refuse memory that can never fit."""
        if memory > self.memory:
            raise ConfigError(f"{what}: resources memory request of {memory / 2**30:.1f} GiB is more than this "
                              f"machine has ({self.memory / 2**30:.1f} GiB); it can never be reserved here",
                              parameter="resources", value=memory)
        if cpu > self.cpus:
            notice(f"{what} requests {cpu:g} CPUs; this machine has {self.cpus:g}: it runs alone, "
                   f"with its limit as given")
            cpu = self.cpus
        return cpu, memory

    def _admissible(self, ticket: int, cpu: float, memory: int, queue: str) -> bool:
        limit = self.queue_limits.get(queue)
        turn = (self._waiting[queue][0] == ticket and (limit is None or self._running.get(queue, 0) < limit)
                and cpu <= self._free_cpu + 1e-9)
        if turn and memory > self._free_memory:
            self._reclaim(memory - self._free_memory)
        return turn and memory <= self._free_memory

    # ---- standby holds ------------------------------------------------------------------------
    def hold(self, memory: int, drop: Callable[[], None]) -> Reservation | None:
        """Memory for an idle standby container, only if it is free now (None: start no standby).

        `drop` is called when a call needs the memory back: it removes the standby, then `unhold`s.
        """
        if memory > self._free_memory:
            return None
        self._free_memory -= memory
        reservation = Reservation(0.0, memory, queue="")
        self._holds[reservation.id] = (reservation, drop)
        return reservation

    def unhold(self, reservation: Reservation) -> None:
        """Give a standby's memory back (a call took the standby, or it is gone); wakes waiting calls."""
        if self._holds.pop(reservation.id, None) is None and self._dropping.pop(reservation.id, None) is None:
            return
        self._free_memory += reservation.memory
        condition = self._condition()

        async def wake() -> None:
            async with condition:
                condition.notify_all()

        waker = asyncio.get_running_loop().create_task(wake())
        self._wakers.add(waker)
        waker.add_done_callback(self._wakers.discard)

    @property
    def held(self) -> int:
        """Bytes standbys hold now (dropping ones included, until they are gone)."""
        return sum(r.memory for r, _ in self._holds.values()) + sum(r.memory for r in self._dropping.values())

    def _reclaim(self, needed: int) -> None:
        """Drop standbys, oldest first, until `needed` bytes will be free; only when that is enough."""
        holds = sorted(self._holds.values(), key=lambda item: item[0].id)
        if sum(r.memory for r, _ in holds) < needed:
            return
        for reservation, drop in holds:
            if needed <= 0:
                break
            del self._holds[reservation.id]
            self._dropping[reservation.id] = reservation
            needed -= reservation.memory
            drop()

    async def acquire(self, cpu: float, memory: int, queue: str | None, *, task: str,
                      max_queued: float | None = None) -> Reservation:
        queue = queue or DEFAULT_QUEUE
        ticket = next(self._tickets)
        condition = self._condition()
        async with condition:
            self._waiting.setdefault(queue, []).append(ticket)
            try:
                waiter = condition.wait_for(lambda: self._admissible(ticket, cpu, memory, queue))
                if max_queued is None:
                    await waiter
                else:
                    try:
                        await asyncio.wait_for(waiter, max_queued)
                    except asyncio.TimeoutError:
                        raise MaxQueuedTimeExceededError(
                            f"task {task} waited longer than max_queued_time={max_queued:g}s for capacity "
                            f"(queue {queue!r}, {cpu:g} CPU, {memory / 2**20:.0f} MiB requested)", task=task,
                        ) from None
            finally:
                self._waiting[queue].remove(ticket)
                condition.notify_all()
            self._take(cpu, memory, queue)
        return Reservation(cpu, memory, queue)

    def _take(self, cpu: float, memory: int, queue: str) -> None:
        self._free_cpu -= cpu
        self._free_memory -= memory
        self._running[queue] = self._running.get(queue, 0) + 1

    async def release(self, reservation: Reservation) -> None:
        if not reservation.held:
            return
        reservation.held = False
        condition = self._condition()
        async with condition:
            self._free_cpu += reservation.cpu
            self._free_memory += reservation.memory
            self._running[reservation.queue] -= 1
            condition.notify_all()

    @contextlib.asynccontextmanager
    async def lend(self, reservation: Reservation | None) -> AsyncIterator[None]:
        """Give a waiting parent's capacity to its children; take it back (FIFO) after the last one."""
        if reservation is None:
            yield
            return
        reservation.lent += 1
        if reservation.lent == 1 and reservation.held:
            await self.release(reservation)
        try:
            yield
        finally:
            reservation.lent -= 1
            if reservation.lent == 0 and not reservation.held:
                await self.acquire(reservation.cpu, reservation.memory, reservation.queue, task="(parent)")
                reservation.held = True

    @property
    def free(self) -> tuple[float, int]:
        return self._free_cpu, self._free_memory

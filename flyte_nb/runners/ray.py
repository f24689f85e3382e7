"""The ray runner: the same task calls, each attempt placed on a node of a Ray cluster.

`flyte.init(runner="ray", address="10.0.0.5:6379")` (None: a Ray instance started on this machine).
The kernel keeps what it keeps for every runner: the cache (consulted before anything is submitted),
the queue limits, the one retry loop (runtime.py), the run records and the views. Each attempt is a
Ray task placed by the call's resolved settings (runners/ray_placement.py) that runs, on its node,
through that node's docker runner (runners/ray_node.py); its inputs and outputs travel in Ray's object
store, File/Dir/DataFrame through `store`, a path every node reaches. A node lost mid-call is a crashed
attempt, retried by the runtime on a node that is still there; a timeout or an interrupt cancels the Ray
task, whose node removes the container. Secrets are never sent: each node resolves its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import cloudpickle

from ..errors import RunnerUnavailableError, TaskCrashedError, TaskError
from ..notices import notice
from .base import Call, Runner
from .ray_placement import INTERRUPTIBLE_LABEL, Node, placement, unfit

#: Names this kernel's calls on every node (run ids, container names and labels there: `flyte-nb.run`
#: starts with it), since run ids (r1, r2, ...) repeat across kernels.
KERNEL_TAG = "k" + hashlib.sha256(f"{socket.gethostname()}-{os.getpid()}-{time.time()}".encode()).hexdigest()[:7]
#: Seconds the address has to accept a TCP connection before flyte.init says no cluster answers
#: (ray.init itself retries for minutes).
CONNECT_TIMEOUT = 3.0
#: Seconds the node list is reused between fit checks (one GCS request, not one per call of a fan-out).
NODES_TTL = 2.0
#: Seconds a cancelled Ray task has to end (its node removes the container) before the kernel moves on.
CANCEL_WAIT = 30.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RunnerUnavailableError("runner='ray' needs the ray package in the kernel and on every node: "
                                     "pip install 'flyte_nb[ray]'") from None
    return ray


def _reachable(address: str) -> None:
    """A clear error, at once, when nothing listens at the cluster's address."""
    target = address.split("://", 1)[-1]
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"flyte.init(address={address!r}): the ray runner needs host:port (or ray://host:port)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        raise RunnerUnavailableError(f"no Ray cluster answers at address={address!r} ({error.strerror or error}); "
                                     f"start one (`ray start --head`) or fix the address") from None


class RelayActor:
    """Answers the task calls a node's task makes: the node waits in take(key), the kernel answers."""

    def __init__(self) -> None:
        self._replies: dict[str, asyncio.Future[Any]] = {}

    def _future(self, key: str) -> "asyncio.Future[Any]":
        return self._replies.setdefault(key, asyncio.get_running_loop().create_future())

    async def answer(self, key: str, reply: Any) -> None:
        future = self._future(key)
        if not future.done():
            future.set_result(reply)

    async def take(self, key: str) -> Any:
        try:
            return await self._future(key)
        finally:
            self._replies.pop(key, None)


class RayRunner(Runner):
    name = "ray"
    places_calls: ClassVar[bool] = True

    def __init__(self, address: str | None = None, store: str | None = None) -> None:
        from .. import io

        ray = _ray()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no reports to anyscale unless the user opts in
        if ray.is_initialized():
            connected = ray.get_runtime_context().gcs_address
            if address is not None and address.split("://", 1)[-1] != connected:
                raise RunnerUnavailableError(f"flyte.init(runner='ray', address={address!r}): this kernel is already "
                                             f"connected to the Ray cluster at {connected}; restart the kernel to "
                                             f"use another")
        else:
            if address is not None:
                _reachable(address)
            import logging

            # Quiet: Ray's connection lines would print under every notebook's first call (task output
            # comes back as events, so its workers' own output is not forwarded either).
            ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     namespace="flyte_nb", logging_level=logging.WARNING)
        self.address = address or "a Ray instance started here"
        self.store = str(Path(store).resolve()) if store else str(io.host_root())
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = ray.get_runtime_context().get_node_id()
        # On the kernel's own node when it is one (the relay lives as long as the kernel), else anywhere.
        self.relay = ray.remote(RelayActor).options(
            num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=True)).remote()
        from .ray_node import run_call

        self._remote = ray.remote(run_call)
        self._nodes: tuple[float, list[Node]] = (0.0, [])
        #: (run label, attempt) of attempts lost with their node: the next attempts remove what they left
        self._lost: set[tuple[str, str]] = set()

    async def close(self) -> None:
        ray = _ray()
        if ray.is_initialized():
            ray.kill(self.relay)

    def nodes(self) -> list[Node]:
        """The alive nodes, reused for NODES_TTL seconds."""
        fetched, nodes = self._nodes
        if time.monotonic() - fetched > NODES_TTL:
            nodes = [Node(id=n["NodeID"], address=n.get("NodeManagerAddress", "?"), resources=dict(n["Resources"]),
                          labels=dict(n.get("Labels") or {})) for n in _ray().nodes() if n.get("Alive")]
            self._nodes = (time.monotonic(), nodes)
        return nodes

    def options(self, call: Call) -> dict[str, Any]:
        """The Ray task options of a call, or a clear error when no node can hold it."""
        nodes = self.nodes()
        wanted = placement(call.settings, nodes)
        reason = unfit(call.task.name, wanted, nodes)
        if reason is not None:
            raise RunnerUnavailableError(f"{reason} (cluster at {self.address})")
        options = {**wanted.options(), "num_returns": "streaming", "max_retries": 0, "retry_exceptions": False,
                   "name": call.task.name}
        if wanted.interruptible is not None:
            from ray.util.scheduling_strategies import In, NodeLabelSchedulingStrategy, NotIn

            match = In("true") if wanted.interruptible else NotIn("true")
            options["scheduling_strategy"] = NodeLabelSchedulingStrategy({}, soft={INTERRUPTIBLE_LABEL: match})
        return options

    def ship(self, call: Call, number: int, key: str) -> bytes:
        """What a node needs for one attempt, pickled here (notebook and project code by value); no secret."""
        from .. import context
        from ..runtime import runtime
        from .calls import _ship_by_value

        _ship_by_value(call.task.func)
        spec = {"task": call.task, "arguments": call.arguments, "settings": call.settings, "number": number,
                "run": node_run_id(call), "context": context.to_wire(context.current()),
                "pickle_outputs": runtime().pickle_outputs, "store": self.store, "lost": sorted(self._lost),
                "key": key}
        try:
            return cloudpickle.dumps(spec)
        except Exception as error:  # noqa: BLE001 - a lock, a socket, a generator: nothing that travels
            from ..errors import TaskShippingError

            raise TaskShippingError(f"task {call.task.name}: its function or inputs cannot be pickled to travel "
                                    f"to a Ray node: {type(error).__name__}: {error}", call.task.name) from None

    async def attempt(self, call: Call, number: int) -> Any:
        ray = _ray()
        options = self.options(call)
        key = uuid.uuid4().hex  # names this attempt's messages in the relay
        blob = self.ship(call, number, key)
        call.status("starting")
        events = self._remote.options(**options).remote(blob, self.relay)
        node: tuple[str, str] | None = None
        swept = set(self._lost)
        nested: set[asyncio.Task[Any]] = set()
        try:
            async for ref in events:
                event = await ref
                kind = event[0]
                if kind == "node":
                    node = (event[1], event[2])
                    call.run.attempts[-1].container = f"node {node[1]} ({node[0][:8]})"
                elif kind == "log":
                    call.emit(event[1], event[2])
                elif kind == "status":
                    call.status(event[1])
                elif kind == "container":
                    call.run.attempts[-1].container = f"{event[1]} on node {_where(node)}"
                elif kind == "report":
                    call.report(event[1])
                elif kind == "usage":
                    call.run.attempts[-1].usage = event[1]
                elif kind == "traces":
                    _add_traces(call, number, event[1])
                elif kind == "notice":
                    notice(event[1])
                elif kind == "call":
                    nested.add(asyncio.ensure_future(self._serve(call, event[1], event[2])))
                elif kind == "result":
                    self._lost.difference_update(swept)
                    return event[1]
                elif kind == "error":
                    self._lost.difference_update(swept)
                    raise event[1]
            raise TaskCrashedError(f"task {call.task.name}, attempt {number}: its Ray task on node {_where(node)} "
                                   f"ended without a result", call.task.name, number)
        except asyncio.CancelledError:
            ray.cancel(events)  # the node cancels the attempt, which removes its container
            if node is not None:
                await self._ended(key)
            raise
        except ray.exceptions.TaskCancelledError:
            raise asyncio.CancelledError from None
        except ray.exceptions.RayTaskError as error:  # flyte_nb's own node code failed: not the task's fault
            raise TaskError(f"task {call.task.name}, attempt {number}: the ray runner failed on node "
                            f"{_where(node)}: {error}", call.task.name, number) from None
        except ray.exceptions.RayError as error:  # the node, its raylet or its worker process is gone
            self._lost.add((node_run_id(call), str(number)))
            self._nodes = (0.0, [])
            raise TaskCrashedError(f"task {call.task.name}, attempt {number}: lost Ray node {_where(node)} "
                                   f"mid-call ({type(error).__name__}); retried on a node that is still there",
                                   call.task.name, number, call.run.attempts[-1].container) from None
        finally:
            for task in nested:
                task.cancel()
            await asyncio.gather(*nested, return_exceptions=True)

    async def _serve(self, call: Call, key: str, message: dict[str, Any]) -> None:
        """A task call the node's task made: run here, in this kernel's runtime, as a child of `call`
        (its own cache, retries, record and Ray task); the reply goes to the node through the relay."""
        from ..controller import serve_nested

        reply = await serve_nested(call, message)
        await self.relay.answer.remote(key, reply)

    async def _ended(self, key: str) -> None:
        """Wait (bounded) until the node has cleaned up a cancelled attempt, so its container is gone when
        the call returns (Ray's own cancel returns before the task has ended)."""
        try:
            await asyncio.wait_for(asyncio.shield(self.relay.take.remote(f"ended-{key}")), CANCEL_WAIT)
        except Exception:  # noqa: BLE001 - a lost node never answers: give up after CANCEL_WAIT
            pass
        except asyncio.CancelledError:
            pass


def node_run_id(call: Call) -> str:
    """The run id a call's containers carry on the nodes (label flyte-nb.run)."""
    return f"{KERNEL_TAG}-{call.run.id}"


def _where(node: tuple[str, str] | None) -> str:
    return f"{node[1]} ({node[0][:8]})" if node else "(not yet placed)"


def _add_traces(call: Call, number: int, entries: list[Any]) -> None:
    """The node's trace entries on the kernel's record of this attempt (a malformed one is dropped)."""
    from ..controller import record_trace

    for data in entries:
        try:
            record_trace(call, data, number)
        except ValueError:
            continue

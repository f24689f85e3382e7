"""Where a call may run on a Ray cluster: its resolved settings as Ray task options, and the fit check.

Pure data in, data out (no Ray import here), so the mapping is testable on its own; runners/ray.py
passes what ray.nodes() says. Requests place the call (limits stay the container's, on its node):
cpu -> num_cpus (1, Ray's default, when unset), memory -> memory, gpu -> num_gpus and the gpu model
as accelerator_type, `queue` -> one unit of the custom resource queue:<name> when a node offers it,
`interruptible` -> a soft preference for nodes labelled flyte-nb/interruptible=true (or not).
A call no alive node can hold is refused before it is submitted, naming the resource: Ray itself would
keep it pending for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The custom resource a node offers for a queue: `ray start --resources='{"queue:gpu": 2}'`.
QUEUE_PREFIX = "queue:"
#: The node label of preemptible (spot) nodes: `ray start --labels='{"flyte-nb/interruptible": "true"}'`.
INTERRUPTIBLE_LABEL = "flyte-nb/interruptible"
ACCELERATOR_PREFIX = "accelerator_type:"
#: What Ray's accelerator_type option asks of a node (ray's own constant, 0.001 of its accelerator resource).
ACCELERATOR_AMOUNT = 0.001
DEFAULT_CPUS = 1.0


@dataclass(frozen=True)
class Node:
    """An alive node as the fit check needs it: its id, address, total resources and labels."""

    id: str
    address: str
    resources: dict[str, float]
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Placement:
    """A call's Ray task options and, for the fit check, each Ray resource next to the setting it came from."""

    num_cpus: float
    memory: int | None = None
    num_gpus: int = 0
    accelerator: str | None = None
    queue: str | None = None  # set only when some node offers queue:<name>
    interruptible: bool | None = None  # set only when some node carries the label

    def needs(self) -> dict[str, tuple[float, str]]:
        """Ray resource name -> (amount, the setting as the user wrote it)."""
        needs: dict[str, tuple[float, str]] = {"CPU": (self.num_cpus, f"cpu={self.num_cpus:g}")}
        if self.memory:
            needs["memory"] = (float(self.memory), f"memory={self.memory} bytes")
        if self.num_gpus:
            needs["GPU"] = (float(self.num_gpus), f"gpu={self.num_gpus}")
        if self.accelerator:
            needs[ACCELERATOR_PREFIX + self.accelerator] = (ACCELERATOR_AMOUNT, f"gpu model {self.accelerator!r}")
        if self.queue:
            needs[QUEUE_PREFIX + self.queue] = (1.0, f"queue={self.queue!r}")
        return needs

    def options(self) -> dict[str, Any]:
        """Keyword arguments of RemoteFunction.options (the scheduling strategy is made by the caller,
        which imports Ray: soft_labels says which)."""
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory:
            options["memory"] = self.memory
        if self.accelerator:
            options["accelerator_type"] = self.accelerator
        if self.queue:
            options["resources"] = {QUEUE_PREFIX + self.queue: 1.0}
        return options


def placement(settings: Any, nodes: list[Node]) -> Placement:
    """The call's requests (else its limits) as Ray resources, from its resolved settings."""
    from ..config.devices import parse_gpu

    resources = settings.value("resources")
    cpus, memory, gpus, model = DEFAULT_CPUS, None, 0, None
    if resources is not None:
        cpu_request, cpu_limit = resources.cpu_request_limit()
        memory_request, memory_limit = resources.memory_request_limit()
        cpus = cpu_request if cpu_request is not None else (cpu_limit if cpu_limit is not None else DEFAULT_CPUS)
        memory = memory_request or memory_limit
        if resources.gpu is not None:
            gpus, model = parse_gpu(resources.gpu)
            model = model if gpus else None
    queue = settings.value("queue")
    offered = queue and any(QUEUE_PREFIX + queue in node.resources for node in nodes)
    labelled = any(INTERRUPTIBLE_LABEL in node.labels for node in nodes)
    return Placement(num_cpus=float(cpus), memory=memory, num_gpus=gpus, accelerator=model,
                     queue=queue if offered else None,
                     interruptible=bool(settings.value("interruptible")) if labelled else None)


def unfit(task: str, wanted: Placement, nodes: list[Node]) -> str | None:
    """None when some alive node holds every resource of the call, else why not, naming the resource."""
    needs = wanted.needs()
    if any(all(node.resources.get(name, 0.0) >= amount for name, (amount, _) in needs.items()) for node in nodes):
        return None
    if not nodes:
        return f"task {task}: the Ray cluster has no alive node"
    for name, (amount, setting) in needs.items():
        best = max(nodes, key=lambda node: node.resources.get(name, 0.0))
        have = best.resources.get(name, 0.0)
        if have < amount:
            offer = f"the largest offer is {have:g} on node {best.address} ({best.id[:8]})" if have else \
                "no node offers it"
            return (f"task {task}: no node of the Ray cluster can fit {setting} (Ray resource {name!r} "
                    f"{amount:g}): {offer}; lower the request, or add a node that has it")
    together = ", ".join(setting for _, setting in needs.values())
    return f"task {task}: no single node of the Ray cluster offers {together} together"

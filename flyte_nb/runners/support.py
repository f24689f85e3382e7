"""How each runner honors each of the 21 parameters, as data.

docs/runners.md is generated from this table (`python -m flyte_nb docs`, a test keeps it in
sync), and the runtime reads it to say, once per task and parameter, when a call sets
something its runner cannot enforce here: a limit that silently does nothing would be a lie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..notices import notice

RUNNERS = ("docker", "local", "inprocess", "ray")
ENFORCED, PARTLY, NOT_HERE, METADATA = "enforced", "partly", "not here", "metadata"
MARKS = {ENFORCED: "✅", PARTLY: "◐", NOT_HERE: "—", METADATA: "ℹ️"}


@dataclass(frozen=True)
class Support:
    level: str
    how: str


def _row(docker: tuple[str, str], local: tuple[str, str], inprocess: tuple[str, str],
         ray: tuple[str, str] | None = None) -> dict[str, Support]:
    """One parameter's row; the ray runner runs each call through its node's docker runner, so it
    honors what docker does unless said otherwise."""
    return {"docker": Support(*docker), "local": Support(*local), "inprocess": Support(*inprocess),
            "ray": Support(*(ray or docker))}


_SAME_EVERYWHERE = {
    "name": (METADATA, "the task's identity: run records, cache keys, container labels"),
    "short_name": (METADATA, "shown in run records and views"),
    "depends_on": (METADATA, "checked as a graph (no cycles, no two environments of one name); export keeps it"),
    "description": (METADATA, "shown in %flyte_envs, the panel and the sidebar; exported"),
    "docs": (METADATA, "shown in %flyte_tasks, the panel and the sidebar; exported"),
    "links": (METADATA, "kept on the task and exported; no local UI renders them"),
    "triggers": (NOT_HERE, "schedules run on a Flyte cluster: validated and exported, never fired locally"),
    "plugin_config": (NOT_HERE, "backend plugins (Spark, Ray, ...) exist on a cluster: validated and exported only"),
    "cache": (ENFORCED, "the runtime's disk cache (flyte_nb/cache.py): auto/override/disable, version, "
                        "ignored_inputs, salt, serialize, max_age"),
    "retries": (ENFORCED, "the runtime re-runs failed attempts (exception, crash, OOM) with backoff"),
    "report": (ENFORCED, "flyte_nb.report streams to the cell and is saved as one HTML file"),
}

SUPPORT: dict[str, dict[str, Support]] = {
    **{name: _row(value, value, value) for name, value in _SAME_EVERYWHERE.items()},
    "image": _row((ENFORCED, "built through docker-py into flyte-nb/<name>:<hash>, never pulled"),
                  (NOT_HERE, "runs in the kernel's Python environment"),
                  (NOT_HERE, "runs in the kernel's process"),
                  (ENFORCED, "built on the node that runs the call, by content hash, when missing there "
                             "(a node with no engine: its Python, said once)")),
    "resources": _row((ENFORCED, "cpu quota/shares, memory limit with swap off, shm; gpu needs an nvidia runtime "
                                 "(clear error otherwise); disk where the storage driver can (else a notice)"),
                      (PARTLY, "memory as an address-space rlimit (OOM reported); cpu, gpu, shm, disk not"),
                      (NOT_HERE, "no isolation in the kernel's process"),
                      (ENFORCED, "requests place the call (num_cpus, memory, num_gpus, accelerator type; a call no "
                                 "node fits is an error naming the resource); limits enforced by the node's "
                                 "container")),
    "env_vars": _row((ENFORCED, "the container's environment"), (ENFORCED, "a clean environment plus these"),
                     (NOT_HERE, "the kernel's environment is shared")),
    "secrets": _row((ENFORCED, "over the controller socket: env var or a file on a tmpfs; redacted; never in "
                               "docker inspect"),
                    (ENFORCED, "env var or a file in a private folder; redacted"),
                    (NOT_HERE, "checked to exist, not injected"),
                    (ENFORCED, "resolved on the node that runs the call (its store or env), never in Ray's "
                               "object store or task arguments; a missing one names key and node")),
    "pod_template": _row((PARTLY, "labels, annotations (as labels), primary container env, runAsUser/runAsGroup; "
                                  "the rest named in a notice"),
                         (NOT_HERE, "no pods, no containers"), (NOT_HERE, "no pods, no containers")),
    "reusable": _row((ENFORCED, "warm worker containers: replicas, concurrency, idle_ttl; crash replacement"),
                     (PARTLY, "the reuse rules hold; each call still gets its own process"),
                     (PARTLY, "the reuse rules hold; calls run in the kernel"),
                     (PARTLY, "warm workers per Ray worker process on a node; replicas are not spread over nodes")),
    "max_inline_io_bytes": _row((ENFORCED, "inputs checked before the container starts, outputs in the container; "
                                           "File/Dir/arrays/frames go through the blob store"),
                                (ENFORCED, "as for docker"), (NOT_HERE, "nothing is pickled")),
    "timeout": _row((ENFORCED, "max_runtime kills the container; max_queued_time fails a call waiting for capacity"),
                    (ENFORCED, "max_runtime kills the process group; max_queued_time as for docker"),
                    (PARTLY, "the call is abandoned at max_runtime; its thread cannot be killed"),
                    (ENFORCED, "max_runtime cancels the Ray task, which removes its container on the node; "
                               "max_queued_time counts the kernel's queue limits only")),
    "interruptible": _row((PARTLY, "a label on the container (nothing preempts a laptop)"),
                          (NOT_HERE, "nothing preempts a local process"), (NOT_HERE, "nothing preempts the kernel"),
                          (PARTLY, "a preference for nodes labelled flyte-nb/interruptible=true (true) or not "
                                   "(false); a lost node is a retried attempt")),
    "queue": _row((ENFORCED, "FIFO per queue, limits from flyte.init(queues=...), packed by cpu/memory requests; "
                             "a label on the container"),
                  (ENFORCED, "as for docker, without the label"), (ENFORCED, "as for docker, without the label"),
                  (ENFORCED, "the limits of flyte.init(queues=...) in the kernel; when nodes offer the custom "
                             "resource queue:<name>, each call takes one unit of it (placement and a cluster-wide "
                             "limit)")),
}


#: Resolutions already checked, per runner and task (a task's resolution is reused while unchanged:
#: task.resolve); kept with the resolution so its id is not reused meanwhile.
_CHECKED: dict[tuple[str, str, int], Any] = {}


def unenforced(runner: str, task: str, settings: Any) -> None:
    """One notice per task and parameter that the call sets but its runner cannot enforce here."""
    if _CHECKED.get((runner, task, id(settings))) is settings:
        return  # said already (notices are once per kernel anyway)
    if len(_CHECKED) >= 4096:
        _CHECKED.clear()
    _CHECKED[(runner, task, id(settings))] = settings
    for name, effective in settings.items():
        support = SUPPORT[name][runner]
        if support.level != NOT_HERE or not _is_set(name, effective.value):
            continue
        notice(f"task {task}: {name} is not enforced by the {runner} runner ({support.how})")


def _is_set(name: str, value: Any) -> bool:
    if name == "image":
        return getattr(value, "layers", ()) != () or getattr(value, "base", "debian") != "debian"
    if name in ("interruptible",):
        return bool(value)
    if name in ("max_inline_io_bytes", "timeout", "description", "docs", "links", "depends_on", "report"):
        return False  # defaults everywhere, or metadata: nothing to warn about
    return value not in (None, (), [], {}, "", False)


def render() -> str:
    """docs/runners.md."""
    from ..config.parameters import PARAMETERS

    lines = ["# How each runner honors each parameter", "",
             "Generated from `flyte_nb/runners/support.py` by `python -m flyte_nb docs`; do not edit by hand.",
             "✅ enforced, ◐ partly, — not enforced here (a call that sets it gets a one-line notice), "
             "ℹ️ metadata (nothing to enforce).", "",
             "| Parameter | docker | local | inprocess | ray |", "|---|---|---|---|---|"]
    for parameter in PARAMETERS:
        cells = []
        for runner in RUNNERS:
            support = SUPPORT[parameter.name][runner]
            cells.append(f"{MARKS[support.level]} {support.how}".replace("|", "\\|"))
        lines.append(f"| `{parameter.name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n" + RAY_SECTION + DOCKER_SECTION


RAY_SECTION = """
## The ray runner: what a cluster needs

`flyte.init(runner="ray", address="HEAD:6379", store=PATH)` (no address: a Ray instance started on this
machine). The kernel keeps the cache (consulted before anything is submitted), the queue limits of
`flyte.init(queues=...)`, the one retry loop, the run records and the views; each attempt is a Ray task
(no Ray-level retries) that runs on its node through that node's docker runner: the same container
config, the image built there by content hash when it is missing. Inputs and outputs travel in Ray's
object store; File, Dir and DataFrame through `store`.

- **Every node**: `ray` and `flyte_nb` installed for the kernel's Python version (tasks travel pickled);
  a Docker engine, else its calls run as local subprocesses (one notice per node, no image, no limits).
- **Placement**: `num_cpus` from the cpu request (1 when unset), `memory`, `num_gpus` and the gpu model as
  `accelerator_type`; `queue="q"` takes one unit of the custom resource `queue:q` when a node offers it
  (`ray start --resources='{"queue:q": 2}'`: placement and a cluster-wide limit);
  `interruptible` prefers nodes labelled `flyte-nb/interruptible=true` (or not). A call no alive node can
  hold fails at once, naming the resource; an autoscaling cluster's nodes that do not exist yet are not
  counted.
- **Shared store**: `store` must be the same path on every node (NFS, a host path in KubeRay); the test
  cluster's nodes share this machine's disk.
- **Secrets**: resolved on the node from its secret store or `FLYTE_NB_SECRET_*` environment, never in
  Ray's object store or task arguments; a missing one names key and node; an output that holds a secret
  value is refused (it would have to leave the node).
- **Failures**: a node lost mid-call is a crashed attempt, retried (per `retries`) where Ray places it
  next; the next attempt removes what the lost one left on its engine. A timeout or an interrupt cancels
  the Ray task; its node removes the container before the call returns.
- **Nested calls** come back to the kernel (cache, record, parent) and run as Ray tasks of their own; a
  parent waiting on one lends its CPUs to it, as Ray does for nested tasks.
- **Not shown by the loopback test cluster**: one image build per node (images are built where they
  run, never pulled: the first call of an image on each node pays its build), firewalls between nodes and the kernel (Ray's ports and the
  driver's), clock skew, distinct hostnames and disks (the store is really shared here), GPUs, and
  autoscaling.
"""

DOCKER_SECTION = """
## The docker runner: standby containers and warm workers

- **Standby containers** (`flyte.init(standby=True)`, the default): after a call, one fresh container of the
  same config (image, resources, env vars, mounts, user) is started off the call's path, its shim imported
  and waiting on a private socket; the next call of that config is handed to it with its identity, env vars
  and secrets in one authenticated frame, runs, and the container is removed. No container ever runs two
  calls. A standby holds its call's memory in the scheduler while it waits, is removed after
  `standby_idle` seconds (120) and at kernel exit; `python -m flyte_nb gc` removes those of a killed kernel.
  Its call's usage figures say `standby container, from the call's start`: CPU time counts from the call,
  not from the container's start.
- **Warm workers** (`reusable=flyte.ReusePolicy(...)`): one kept-open connection per call slot. The task's
  code is pickled once per function object and reused while its code version (source, defaults, and the
  content of every value it reaches) stays the same; the worker holds it by the digest of those bytes and
  asks again for a digest it does not hold. A call that ends before the worker's first usage sample
  (0.2 s) comes back as one frame: its result with its first and final figures. A worker killed for memory
  before it sent any figure is recorded at its memory limit.
- **What a warm call costs** is measured by `bench/warm_call.py` (BENCHMARKS.md): the kernel's CPU time per
  call (the runtime loop's record keeping, scheduling and frames) and the worker container's, beside the
  empty round trip to the runtime loop.
"""

"""What this machine can give one container, and how a task's resources are fitted to it.

A cluster takes any legal request and makes the pod wait for a node big enough; this machine
has one node. So at call time (never at definition, where a value legal for a cluster must
stay legal) requests are fitted to the host, each misfit said in ONE line naming the
parameter, the value and the host's limit:

* a cpu request above the host's cores runs alone, with a notice (the scheduler clamps its
  reservation: a cluster user's pod would wait; here it cannot, and running keeps the
  notebook going); the engine's cpu shares are capped at the kernel's maximum (262144), so
  cpu=1000 is never a raw engine error;
* a memory request above the host's memory is refused (scheduler.py): it can never be
  reserved, and a limit the machine cannot back would only OOM later;
* a memory limit below the engine's minimum (6 MiB) is refused (a ConfigError): no container
  starts with it, and raising it silently would change what the task may use;
* a cpu limit below the engine's quantum (0.01 core) is raised to it, with a notice.

The host's limits are the smaller of the machine's (/proc, the cpu affinity mask), the
kernel process's cgroup (v1 or v2) and, for containers, what the engine reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from . import cgroups
from .config.errors import ConfigError, show
from .config.resources import Resources
from .notices import notice

#: Docker refuses a memory limit below 6 MiB ("Minimum memory limit allowed is 6MB").
MIN_MEMORY = 6 * 2**20
#: The kernel's largest cpu.shares (cgroup v1; Docker maps it onto v2's cpu.weight).
MAX_CPU_SHARES = 262_144
#: The CFS period the runner uses, and the engine's smallest quota (1 ms: 0.01 core).
CPU_PERIOD = 100_000
MIN_CPU_QUOTA = 1_000


@dataclass(frozen=True)
class HostLimits:
    """Cores and bytes one container can get here, and where the tighter limit came from."""

    cpus: float
    memory: int
    cpu_source: str
    memory_source: str


def read_limits(engine: Mapping[str, Any] | None = None, root: Path = Path("/")) -> HostLimits:
    """The host's limits, from /proc, the cgroup hierarchy (v1 or v2) and the engine's info.

    `root` is where /proc and /sys are found (tests point it at a prepared tree of either
    hierarchy).
    """
    cpus: list[tuple[float, str]] = [(_affinity_cpus(root), "cores")]
    memory: list[tuple[int, str]] = []
    if (total := _meminfo_total(root)) is not None:
        memory.append((total, "RAM"))
    quota, mem_limit, version = _cgroup_limits(root)
    if quota is not None:
        cpus.append((quota, f"cores (cgroup {version} quota)"))
    if mem_limit is not None:
        memory.append((mem_limit, f"(cgroup {version} memory limit)"))
    engine = engine or {}
    if isinstance(engine.get("NCPU"), int) and engine["NCPU"] > 0:
        cpus.append((float(engine["NCPU"]), "cores (Docker engine)"))
    if isinstance(engine.get("MemTotal"), int) and engine["MemTotal"] > 0:
        memory.append((engine["MemTotal"], "(Docker engine)"))
    cpu, cpu_source = min(cpus)
    mem, mem_source = min(memory) if memory else (2**63 - 1, "unknown")
    return HostLimits(cpus=cpu, memory=mem, cpu_source=cpu_source, memory_source=mem_source)


def _affinity_cpus(root: Path) -> float:
    """The cores this process may run on (its affinity mask), or those /proc/cpuinfo lists under `root`."""
    if root == Path("/"):
        return float(len(os.sched_getaffinity(0)))
    text = cgroups.read(root / "proc/cpuinfo") or ""
    return float(max(1, sum(1 for line in text.splitlines() if line.startswith("processor"))))


def _meminfo_total(root: Path) -> int | None:
    for line in (cgroups.read(root / "proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            return int(parts[1]) * 1024 if len(parts) > 1 and parts[1].isdigit() else None
    return None


def _cgroup_limits(root: Path) -> tuple[float | None, int | None, str]:
    """(cpu quota in cores, memory limit in bytes, "v1"/"v2") of this process's cgroup."""
    found, read = cgroups.folders(root), cgroups.read
    if found.version == "v2":
        return _v2_cpu(read(found.cpu / "cpu.max")), cgroups.byte_count(read(found.memory / "memory.max")), "v2"
    quota = cgroups.number(read(found.cpu / "cpu.cfs_quota_us"))
    period = cgroups.number(read(found.cpu / "cpu.cfs_period_us"))
    cores = quota / period if quota and period and quota > 0 else None
    return cores, cgroups.byte_count(read(found.memory / "memory.limit_in_bytes")), "v1"


def _v2_cpu(text: str | None) -> float | None:
    parts = (text or "").split()
    if len(parts) == 2 and parts[0] != "max" and parts[0].isdigit() and parts[1].isdigit() and int(parts[1]):
        return int(parts[0]) / int(parts[1])
    return None


# ---- fitting a task's container ------------------------------------------------------------------
def fit_cpu(request: float | None, limit: float | None, task: str, value: Any) -> dict[str, int]:
    """Docker cpu options for (request, limit) cores within the engine's bounds.

    A limit above the host's cores stays a limit (quota/period, not nano_cpus, which the engine
    caps at its cores); the request's shares are capped at the kernel's maximum.
    """
    options: dict[str, int] = {}
    if limit is not None:
        quota = int(limit * CPU_PERIOD)
        if quota < MIN_CPU_QUOTA:
            notice(f"task {task}: resources cpu={show(value)} is below the engine's smallest limit of 10m "
                   f"(0.01 core); the container gets 10m")
        options["cpu_period"] = CPU_PERIOD
        options["cpu_quota"] = max(MIN_CPU_QUOTA, quota)
    if request is not None:
        options["cpu_shares"] = min(MAX_CPU_SHARES, max(2, int(request * 1024)))
    return options


def fit_memory(request: int | None, limit: int | None, task: str, value: Any) -> dict[str, int]:
    """Docker memory options for (request, limit) bytes; a limit below the engine's minimum is an error."""
    if limit is None:
        return {}
    if limit < MIN_MEMORY:
        raise ConfigError(
            f"task {task}: resources memory={show(value)} is below the Docker engine's minimum of 6Mi "
            f"({MIN_MEMORY} bytes): no container can start with it; give it at least memory='6Mi'",
            parameter="resources", value=value,
        )
    options = {"mem_limit": limit, "memswap_limit": limit}  # swap off: the limit is the limit
    if request is not None and request < limit:
        options["mem_reservation"] = request
    return options


def fit(resources: Resources, task: str) -> dict[str, int]:
    """The cpu and memory options of a container for `resources`."""
    return {**fit_cpu(*resources.cpu_request_limit(), task, resources.cpu),
            **fit_memory(*resources.memory_request_limit(), task, resources.memory)}

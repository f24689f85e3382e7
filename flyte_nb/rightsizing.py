"""A right-sizing hint from what a call used: the `resources=` that would fit it, when the one it had does not.

Pure functions of numbers (what was asked, what was used), so each case is a unit test:

* memory near its limit (peak >= NEAR of it) or killed at it (OOM): ask for more, the peak
  with HEADROOM (an OOM kill: twice the limit, since the peak it needed is not known);
* memory far above use (the request, else the limit, at least FAR times the peak and
  MIN_SAVING more): ask for the peak with HEADROOM;
* CPU far above use over a run long enough to tell (MIN_WALL): at least 2 cores asked and
  FAR times what it used on average: ask for the average with HEADROOM, at least 1.

Quantities are rounded up to steps people write (64Mi, 96Mi, 128Mi, 192Mi, ... 1Gi, 1536Mi, 2Gi).
The hint is code the user can paste: the other fields of their Resources stay as they wrote them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NEAR = 0.9
FAR = 4.0
HEADROOM = 1.5
MIN_SAVING = 128 * 2**20
MIN_MEMORY = 64 * 2**20
MIN_WALL = 1.0
FIELDS = ("cpu", "memory", "gpu", "disk", "shm")


@dataclass(frozen=True)
class Hint:
    code: str  # resources=flyte.Resources(...)
    reason: str  # why, with the numbers
    guess: bool  # an OOM kill: how much it needs is not known, only that it is more
    more: bool  # it needs more than it had (near its limit, killed at it); False: it had far more than it used

    def __str__(self) -> str:
        return f"try {self.code} ({self.reason})" if self.guess else f"{self.code} would fit ({self.reason})"


def memory_step(count: float) -> int:
    """The smallest of 2**k and 1.5 * 2**k MiB (k >= 6) that holds `count` bytes."""
    step = MIN_MEMORY
    while True:
        for candidate in (step, step * 3 // 2):
            if candidate >= count:
                return candidate
        step *= 2


def memory_text(count: int) -> str:
    mib = count // 2**20
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def cpu_step(cores: float) -> int:
    """Whole cores, at least one: 0.3 -> 1, 1.2 -> 2."""
    return max(1, math.ceil(cores))


def memory_hint(peak: int | None, request: int | None, limit: int | None,
                oom: bool) -> tuple[int, str, bool] | None:
    """(bytes to ask for, why, a guess?) or None when the memory setting fits."""
    from .usage import size

    if oom and limit:
        return memory_step(limit * 2), f"killed for running out of memory (OOM) at its {size(limit)} limit", True
    if peak is None or limit is None:
        return None
    if peak >= NEAR * limit:
        return memory_step(peak * HEADROOM), f"peak {size(peak)} is near its {size(limit)} limit", False
    asked = request or limit
    if asked >= FAR * peak and asked - peak >= MIN_SAVING:
        wanted = memory_step(peak * HEADROOM)
        if wanted < asked:
            return wanted, f"asked for {size(asked)}, peak {size(peak)}", False
    return None


def cpu_hint(cpu_seconds: float | None, wall: float | None, request: float | None,
             limit: float | None) -> tuple[int, str] | None:
    """(cores to ask for, why) or None when the cpu setting fits (or the run was too short to tell)."""
    asked = request or limit
    if cpu_seconds is None or not wall or wall < MIN_WALL or not asked or asked < 2:
        return None
    used = cpu_seconds / wall
    if asked >= FAR * used:
        wanted = cpu_step(used * HEADROOM)
        if wanted < asked:
            return wanted, f"asked for {asked:g} CPU, used {used:.1f} on average"
    return None


def hint(resources: dict[str, Any] | None, *, peak: int | None, cpu_seconds: float | None, wall: float | None,
         oom: bool = False) -> Hint | None:
    """The hint for a call whose resources setting (as run records keep it: Resources' fields as written)
    was `resources`; None when it fits, or when no resources were set (nothing to right-size)."""
    from .config.resources import parse_cpu, parse_memory

    if not resources:
        return None
    memory = _pair(resources.get("memory"), parse_memory)
    cpu = _pair(resources.get("cpu"), parse_cpu)
    changed: dict[str, Any] = {}
    reasons, guess, more = [], False, False
    if (found := memory_hint(peak, *memory, oom=oom)) is not None:
        changed["memory"] = memory_text(found[0])
        reasons.append(found[1])
        guess, more = found[2], found[0] > (memory[1] or 0)
    if not guess and (cores := cpu_hint(cpu_seconds, wall, *cpu)) is not None:
        changed["cpu"] = cores[0]
        reasons.append(cores[1])
    if not changed:
        return None
    fields = {name: changed.get(name, resources.get(name)) for name in FIELDS}
    args = ", ".join(f"{name}={_code(value)}" for name, value in fields.items() if value is not None)
    return Hint(code=f"resources=flyte.Resources({args})", reason="; ".join(reasons), guess=guess,
                more=more)


def _pair(value: Any, parse: Any) -> tuple[Any, Any]:
    if value is None:
        return None, None
    if isinstance(value, (list, tuple)):
        return parse(value[0]), parse(value[1])
    return parse(value), parse(value)


def _code(value: Any) -> str:
    return repr(tuple(value)) if isinstance(value, list) else repr(value)


def for_run(run: Any) -> Hint | None:
    """The hint for a finished run record (its resolved resources and its last measured attempt)."""
    measured = run.usage
    if measured is None or not run.status.done:
        return None
    resources = (run.settings.get("resources") or {}).get("value")
    try:
        return hint(resources if isinstance(resources, dict) else None, peak=measured.peak_memory,
                    cpu_seconds=measured.cpu_seconds, wall=measured.wall_seconds, oom=run.status.value == "oom")
    except ValueError:  # a quantity that does not parse was refused earlier; no hint rather than a failure
        return None

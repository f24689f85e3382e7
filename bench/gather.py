"""16 calls of a 1-CPU task via asyncio.gather vs `xargs -P<cores> docker run --cpus 1` doing the same work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

from .common import BASE_IMAGE, Result, Row, interleave, ratio_row

TARGET = 1.2


def calibrate(seconds: float) -> int:
    """Iterations of `for _ in range(n): pass` that take about `seconds` in this Python."""
    n = 2_000_000
    while True:
        start = time.perf_counter()
        for _ in range(n):
            pass
        took = time.perf_counter() - start
        if took > 0.2 or seconds < 0.2:
            return max(1, int(n * seconds / took))
        n *= 4


def run(quick: bool) -> Result:
    from .cold_call import flyte_docker

    flyte = flyte_docker()
    cores = os.cpu_count() or 1
    calls, work, repeats = (4, 0.05, 1) if quick else (16, 1.0, 4)
    n = calibrate(work)
    env = flyte.TaskEnvironment(name="bench_gather", resources=flyte.Resources(cpu=1))

    @env.task
    async def busy(n: int) -> int:
        for _ in range(n):
            pass
        return n

    async def fan_out() -> None:
        done = await asyncio.gather(*(busy(n) for _ in range(calls)))
        assert done == [n] * calls

    # the same bytecode as the task: the loop inside a function (a module-level loop stores a global: slower)
    script = f"def work(n):\n    for _ in range(n):\n        pass\nwork({n})"
    baseline = ["xargs", f"-P{cores}", "-I{}", "docker", "run", "--rm", "--network", "none", "--cpus", "1",
                BASE_IMAGE, "python3", "-c", script]
    items = "".join(f"{i}\n" for i in range(calls))

    def xargs() -> None:
        subprocess.run(baseline, input=items, text=True, check=True, capture_output=True)

    stats = interleave({"flyte": lambda: asyncio.run(fan_out()), "xargs": xargs}, repeats, warmup=0 if quick else 1)
    ideal = calls * work / cores
    result = Result("gather", f"{calls} calls of a 1-CPU task via `asyncio.gather` vs `xargs -P{cores} docker run`",
                    f"Work per call: `for _ in range({n}): pass` (about {work:g} s of one CPU, calibrated in this "
                    f"Python). flyte_nb: {calls} calls of an async task with `resources=flyte.Resources(cpu=1)` "
                    f"gathered in one `asyncio.run` (the scheduler runs {cores} at a time on {cores} cores). "
                    f"Baseline: `seq {calls} | {' '.join(baseline[:-1])} '<the same loop in a function>'`. Interleaved, "
                    f"{repeats} rounds. Pure compute at full parallelism: about {ideal:.1f} s.")
    result.rows = [Row(f"flyte_nb `asyncio.gather` of {calls} calls", stats["flyte"], unit="s", scale=1.0),
                   Row(f"`xargs -P{cores} docker run --cpus 1`", stats["xargs"], unit="s", scale=1.0),
                   ratio_row("ratio of medians flyte/xargs", stats["flyte"], stats["xargs"], TARGET, "x baseline")]
    over = (stats["flyte"].median - stats["xargs"].median) / calls * cores
    result.notes.append(f"Per call and core, flyte_nb adds {over * 1000:.0f} ms over the baseline "
                        f"(the difference of medians / {calls} calls x {cores} cores), about its cold-call overhead. "
                        f"(The {ideal:.1f} s of pure compute is an estimate from the kernel's Python 3.11.x; the "
                        f"image's Python runs the loop at its own speed, the same on both sides.)")
    if result.missed:
        result.notes.append(f"**What bounds it.** Missed by {stats['flyte'].median / stats['xargs'].median / TARGET - 1:.0%}"
                            f": each call pays the cold-call overhead measured in the cold-call section (shim "
                            f"imports and container config), {cores} at a time.")
    return result

"""The ray runner beside the docker runner: a no-op call's cost, and a fan-out over three nodes vs one.

A three-node Ray cluster on loopback (flyte_nb.runners.ray_local), every node with 2 logical CPUs and
this machine's Docker engine. Per call: the same no-op task through a docker-runner runtime and a
ray-runner runtime, interleaved, with a bare Ray task round trip as Ray's own floor. Fan-out: N calls
of a task that sleeps 1 s (cpu=1 each), placed over all three nodes, then held on one node by the
custom resource queue:one that only the first node offers.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from typing import Any

from .common import Result, Row, interleave, ratio_row

#: Ray adds a Ray task, a pickled payload in its object store and the node's event stream per call.
TARGET_CALL = 1.5
#: Three nodes of 2 CPUs should take at most ~half the time one node of 2 CPUs takes.
TARGET_FANOUT = 0.6


def run(quick: bool) -> Result:
    from flyte_nb.runners.ray_local import loopback_cluster

    plasma = tempfile.mkdtemp(prefix="flyte-nb-bench-plasma-")
    cluster = loopback_cluster([{"num_cpus": 2, "plasma_directory": plasma, "resources": {"queue:one": 100}},
                                {"num_cpus": 2, "plasma_directory": plasma},
                                {"num_cpus": 2, "plasma_directory": plasma}])
    try:
        return _measure(cluster.address, quick)
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()


def _measure(address: str, quick: bool) -> Result:
    import ray

    import flyte_nb as flyte
    from flyte_nb.runtime import Runtime

    docker_side, ray_side = Runtime(), Runtime()
    docker_side.init(runner="docker", quiet=True)
    ray_side.init(runner="ray", address=address, quiet=True)
    env = flyte.TaskEnvironment(name="bench_ray")

    @env.task
    def noop() -> None:
        return None

    @env.task
    def sleep_1s() -> int:
        import time as t

        t.sleep(1.0)
        return 1

    @ray.remote(num_cpus=0)
    def bare() -> None:
        return None

    def call(runtime: Runtime, task: Any) -> Any:
        return runtime.wait(runtime.submit(runtime.execute(task, task.bind((), {}))))

    repeats = 2 if quick else 15
    stats = interleave({"docker": lambda: call(docker_side, noop), "ray": lambda: call(ray_side, noop),
                        "bare": lambda: ray.get(bare.remote())}, repeats)
    calls = 4 if quick else 12
    spread = sleep_1s.override(resources=flyte.Resources(cpu=1))
    held = spread.override(queue="one")

    def fan_out(task: Any) -> None:
        async def all_of() -> list[Any]:
            return list(await asyncio.gather(*(ray_side.execute(task, task.bind((), {})) for _ in range(calls))))

        assert ray_side.wait(ray_side.submit(all_of())) == [1] * calls

    rounds = 1 if quick else 3
    fan = interleave({"three": lambda: fan_out(spread), "one": lambda: fan_out(held)}, rounds)
    asyncio.run_coroutine_threadsafe(ray_side.runner().close(), ray_side.loop).result(30)
    asyncio.run_coroutine_threadsafe(docker_side.runner().close(), docker_side.loop).result(60)
    result = Result("ray_call", "The ray runner beside the docker runner",
                    f"A no-op task called synchronously through a docker-runner runtime and a ray-runner runtime "
                    f"(a 3-node Ray cluster on loopback, 2 logical CPUs per node, one Docker engine), interleaved, "
                    f"{repeats} rounds after a warm-up; a bare Ray task round trip is Ray's floor. Fan-out: "
                    f"{calls} calls of a 1 s sleep (cpu=1) over three nodes vs held on one by queue:one, "
                    f"{rounds} round(s) each.")
    result.rows = [
        Row("docker runner `noop()`", stats["docker"]), Row("ray runner `noop()`", stats["ray"]),
        Row("bare Ray task round trip", stats["bare"]),
        ratio_row("ratio of medians ray/docker", stats["ray"], stats["docker"], TARGET_CALL, "x docker"),
        Row(f"fan-out {calls} x 1 s over 3 nodes", fan["three"], unit="s", scale=1.0),
        Row(f"fan-out {calls} x 1 s on 1 node", fan["one"], unit="s", scale=1.0),
        ratio_row("ratio of medians 3 nodes/1 node", fan["three"], fan["one"], TARGET_FANOUT, "x one node"),
    ]
    extra = stats["ray"].median - stats["docker"].median
    result.notes.append(f"- the ray runner adds {extra * 1000:.0f} ms per call over the docker runner (medians); "
                        f"a bare Ray task round trip is {stats['bare'].median * 1000:.1f} ms of it. The rest: the "
                        f"payload pickled into the object store, the node's docker runner (its own container "
                        f"start, the same as the docker side's) and the event stream back; the machine's 2 cores "
                        f"run all three raylets, the kernel and the containers.")
    return result

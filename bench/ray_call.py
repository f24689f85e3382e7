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

    docker_side, cold_side, ray_side = Runtime(), Runtime(), Runtime()
    docker_side.init(runner="docker", quiet=True)  # the default: standby containers
    cold_side.init(runner="docker", quiet=True, standby=False)  # what a Ray node runs: a container per call
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
    stats = interleave({"docker": lambda: call(docker_side, noop), "cold": lambda: call(cold_side, noop),
                        "ray": lambda: call(ray_side, noop), "bare": lambda: ray.get(bare.remote())}, repeats)
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
    asyncio.run_coroutine_threadsafe(cold_side.runner().close(), cold_side.loop).result(60)
    result = Result("ray_call", "The ray runner beside the docker runner",
                    f"A no-op task called synchronously through a docker-runner runtime (the default, with standby "
                    f"containers), one with `standby=False` (a container made per call, as each Ray node's docker "
                    f"runner does) and a ray-runner runtime "
                    f"(a 3-node Ray cluster on loopback, 2 logical CPUs per node, one Docker engine), interleaved, "
                    f"{repeats} rounds after a warm-up; a bare Ray task round trip is Ray's floor. Fan-out: "
                    f"{calls} calls of a 1 s sleep (cpu=1) over three nodes vs held on one by queue:one, "
                    f"{rounds} round(s) each.")
    result.rows = [
        Row("docker runner `noop()`, standby containers (the default)", stats["docker"]),
        Row("docker runner `noop()`, a container per call (`standby=False`)", stats["cold"]),
        Row("ray runner `noop()`", stats["ray"]), Row("bare Ray task round trip", stats["bare"]),
        ratio_row("ratio of medians ray / docker with a container per call", stats["ray"], stats["cold"],
                  TARGET_CALL, "x docker"),
        Row(f"fan-out {calls} x 1 s over 3 nodes", fan["three"], unit="s", scale=1.0),
        Row(f"fan-out {calls} x 1 s on 1 node", fan["one"], unit="s", scale=1.0),
        ratio_row("ratio of medians 3 nodes/1 node", fan["three"], fan["one"], TARGET_FANOUT, "x one node"),
    ]
    extra = stats["ray"].median - stats["cold"].median
    result.notes.append(f"- a ray call differs by {extra * 1000:+.0f} ms from a docker runner call with a "
                        f"container per call (medians; the node's runner and the kernel's share the 2 cores); a "
                        f"bare Ray task round trip is "
                        f"{stats['bare'].median * 1000:.1f} ms of it. The rest: the payload pickled into the object "
                        f"store, the node's docker runner and the event stream back; the machine's 2 cores run all "
                        f"three raylets, the kernel and the containers.")
    result.notes.append(f"- beside the default docker runner (standby containers: "
                        f"{stats['docker'].median * 1000:.1f} ms) a ray call is "
                        f"{stats['ray'].median / stats['docker'].median:.0f}x slower: a Ray node's docker runner "
                        f"makes a container per call (runners/ray_node.py: a standby would outlive calls in a Ray "
                        f"worker process the kernel does not control), so the ray runner pays the container start "
                        f"the docker runner's standbys take off the call's path.")
    return result

"""A warm reusable call: a no-op task on a worker container that is already up (target <= 4x the empty
round trip to the runtime loop, median, quiet and with one core busy)."""

from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

from .common import Result, Spans, against_floor_loaded, ms

TARGET = 4.0


def run(quick: bool) -> Result:
    from .cold_call import flyte_docker

    flyte = flyte_docker()
    env = flyte.TaskEnvironment(name="bench_warm", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=timedelta(minutes=5)))

    @env.task
    def noop() -> None:
        return None

    repeats = 3 if quick else 30
    noop()  # starts the worker (not timed)
    rows, found = against_floor_loaded("warm", "warm call `noop()`", noop, repeats, TARGET)
    result = Result("warm_call", "Warm reusable call",
                    f"A no-op task in an environment with `reusable=flyte.ReusePolicy(replicas=2)`, its worker "
                    f"container already up; called synchronously; {repeats} calls after 2 warm-up calls, "
                    f"interleaved with the floors of any call (an empty round trip to the runtime loop, and one "
                    f"through `asyncio.to_thread`); quiet, then with a busy-loop process competing for a core.")
    result.rows = rows
    stats = found["quiet"]
    spans, total = profile(noop, 3 if quick else 30)
    result.notes.append(spans.table([
        ("whole warm attempt (`WorkerPools.attempt`)", "attempt"),
        ("`prepare` (the image check, remembered per kernel after the first)", "prepare"),
        ("pool slot acquire", "acquire"),
        ("`shipment` (the code pickled and its digest, the inputs encoded, the request)", "shipment"),
        ("the worker round trip on the kept-open link (`Link.run`: request, run, usage and result frames)", "link"),
        ("`result_outcome` (decode the result by its hint)", "outcome"),
        ("the call's controller token dropped (`WorkerController.unbind`)", "unbind"),
        ("pool slot release", "release"),
        ("CPU time of the kernel process per call (both its threads: `time.process_time`)", "kernel_cpu"),
        ("CPU time of the worker container per call (its cgroup counter, from the engine's stats)", "worker_cpu"),
    ], total, f"**Where a warm call's time goes** ({len(spans.spans['attempt'])} instrumented calls, median "
              f"{ms(total)} each; steps timed by wrapping the runner's functions from the outside):"))
    if result.missed:
        result.notes.append(bounds(stats, spans, total))
    return result


def profile(noop: object, calls: int) -> tuple[Spans, float]:
    import time

    from flyte_nb.runners import docker as docker_module
    from flyte_nb.runners import worker_link, workers

    spans = Spans()
    spans.wrap(workers.WorkerPools, "attempt", "attempt")
    spans.wrap(docker_module.DockerRunner, "prepare", "prepare")
    spans.wrap(workers.Pool, "acquire", "acquire")
    spans.wrap(workers.Pool, "release", "release")
    spans.wrap(workers, "shipment", "shipment")
    spans.wrap(workers, "result_outcome", "outcome")
    spans.wrap(worker_link.Link, "run", "link")
    spans.wrap(worker_link.WorkerController, "unbind", "unbind")
    totals = []
    containers = worker_containers()
    worker_start = container_cpu(containers)
    cpu_start = time.process_time()
    try:
        for _ in range(calls):
            start = time.perf_counter()
            noop()  # type: ignore[operator]
            totals.append(time.perf_counter() - start)
    finally:
        spans.restore()
    spans.add("kernel_cpu", (time.process_time() - cpu_start) / calls)  # both kernel threads, per call
    if worker_start is not None:
        worker_end = container_cpu(containers)
        if worker_end is not None:
            spans.add("worker_cpu", (worker_end - worker_start) / calls)
    return spans, statistics.median(totals)


def worker_containers() -> list[Any]:
    """The containers of bench_warm's warm workers (the kernel's pools)."""
    from flyte_nb.runners.docker import LABEL
    from flyte_nb.runtime import runtime

    pools = runtime().runner().workers.pools.values()
    return [w.container for pool in pools for w in pool.workers if not w.dead and w.container is not None
            and w.container.labels.get(f"{LABEL}.environment") == "bench_warm"]


def container_cpu(containers: list[Any]) -> float | None:
    """The CPU seconds the containers have used so far (the engine's stats: their cgroups' counters)."""
    try:
        return sum(c.stats(stream=False)["cpu_stats"]["cpu_usage"]["total_usage"] for c in containers) / 1e9
    except Exception:  # noqa: BLE001 - no stats from this engine: the row stays empty
        return None


def bounds(stats: dict, spans: Spans, total: float) -> str:
    warm = stats["warm"].median
    link = spans.median("link")
    attempt = spans.median("attempt")
    shipment = spans.median("shipment")
    return (f"**What bounds it.** {warm / stats['hop'].median:.1f}x the loop round trip ({ms(warm)} vs "
            f"{ms(stats['hop'].median)}; target {TARGET:g}x). "
            f"The worker round trip on its kept-open link (the request frame, the worker's thread running the "
            f"call with its usage figures, the result frame) is {ms(link)}; the kernel side of the attempt "
            f"around it is {ms(attempt - link)}, of which the shipment (the code pickled for its digest, the "
            f"inputs encoded) is {ms(shipment)}; outside the attempt (runtime loop hop, scheduler, records) "
            f"{ms(total - attempt)}, against a bare loop hop of {ms(stats['hop'].median)}. "
            f"In CPU time, a warm call costs the kernel {ms(spans.median('kernel_cpu'))} (the caller's thread and "
            f"the runtime loop: the run record, scheduler, attempt bookkeeping and frames, spread over some 40 "
            f"steps of a few microseconds each) and its worker container "
            f"{ms(spans.median('worker_cpu')) if spans.spans.get('worker_cpu') else 'an unmeasured time'} "
            f"(the request's check and decoding, the call, its usage figures and result frame); "
            f"a call that went through the runtime loop can go no lower than the loop round trip plus those "
            f"two. Meeting {TARGET:g}x would need the warm call to leave the runtime loop out (a second "
            f"execution path in the caller's thread, beside the loop's), which this version does not have.")

"""A warm reusable call: a no-op task on a worker container that is already up (target <= 4x the empty
round trip to the runtime loop, median, quiet and with one core busy)."""

from __future__ import annotations

import statistics
from datetime import timedelta

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
        ("`write_payload`", "payload"),
        ("controller socket up", "controller_in"),
        ("the worker round trip (`_converse`: connect, send the call and its secrets, run, result)", "converse"),
        ("controller close", "controller_out"),
        ("`outcome` (read result.json)", "outcome"),
        ("pool slot release", "release"),
    ], total, f"**Where a warm call's time goes** ({len(spans.spans['attempt'])} instrumented calls, median "
              f"{ms(total)} each; steps timed by wrapping the runner's functions from the outside):"))
    if result.missed:
        result.notes.append(bounds(stats, spans, total))
    return result


def profile(noop: object, calls: int) -> tuple[Spans, float]:
    import time

    from flyte_nb import controller
    from flyte_nb.runners import docker as docker_module
    from flyte_nb.runners import workers

    spans = Spans()
    spans.wrap(workers.WorkerPools, "attempt", "attempt")
    spans.wrap(docker_module.DockerRunner, "prepare", "prepare")
    spans.wrap(workers.Pool, "acquire", "acquire")
    spans.wrap(workers.Pool, "release", "release")
    spans.wrap(workers, "write_payload", "payload")
    spans.wrap(workers, "outcome", "outcome")
    spans.wrap(workers.WorkerPools, "_converse", "converse")
    spans.wrap(controller.Controller, "__aenter__", "controller_in")
    spans.wrap(controller.Controller, "__aexit__", "controller_out")
    totals = []
    try:
        for _ in range(calls):
            start = time.perf_counter()
            noop()  # type: ignore[operator]
            totals.append(time.perf_counter() - start)
    finally:
        spans.restore()
    return spans, statistics.median(totals)


def bounds(stats: dict, spans: Spans, total: float) -> str:
    warm = stats["warm"].median
    converse = spans.median("converse")
    attempt = spans.median("attempt")
    prepare = spans.median("prepare")
    return (f"**What bounds it.** {warm / stats['hop'].median:.1f}x the loop round trip ({ms(warm)} vs "
            f"{ms(stats['hop'].median)}; target {TARGET:g}x). "
            f"The worker round trip itself (socket connect, the call and its secrets sent, unpickling, "
            f"running, result.json) is {ms(converse)}; the kernel side of the attempt around it is "
            f"{ms(attempt - converse)}, of which `prepare` (the image check, remembered per kernel) is {ms(prepare)}; outside "
            f"the attempt (runtime loop hop, scheduler, records) {ms(total - attempt)}, against a bare loop hop "
            f"of {ms(stats['hop'].median)}.")

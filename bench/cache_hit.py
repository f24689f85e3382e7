"""A cache hit: a `cache="auto"` task called again with the same input (target <= 2x the empty round trip
to the runtime loop, median, quiet and with one core busy).

No `from __future__ import annotations` here: the task's hints are evaluated, as in a notebook cell
(string hints are resolved again on every call, typecheck._hints: the context row times that case).
"""

import statistics
import time

from .common import Result, Row, Spans, against_floor_loaded, against_floors

TARGET = 2.0


def fine(seconds: float) -> str:
    """Milliseconds to the microsecond: a hit's steps take a few of them (common.ms rounds to 0.1 ms)."""
    return f"{seconds * 1000:.3f} ms"


def run(quick: bool) -> Result:
    from .cold_call import flyte_docker, settle

    flyte = flyte_docker()
    env = flyte.TaskEnvironment(name="bench_cache", cache="auto")

    @env.task
    def square(x: int) -> int:
        return x * x

    @env.task
    def square_hinted_as_text(x: "int") -> "int":  # hints as `from __future__ import annotations` leaves them
        return x * x

    assert square(7) == 49 and square_hinted_as_text(7) == 49  # the real runs: write the entries
    settle(set())  # the standby that run's container is replaced by is up: a hit, not a container start, is timed
    repeats = 5 if quick else 30
    rows, found = against_floor_loaded("hit", "cache hit `square(7)`", lambda: square(7), repeats, TARGET)
    assert flyte.registry().runs[-1].cache == "hit"
    result = Result("cache_hit", "Cache hit",
                    f"`square(7)` of a `cache=\"auto\"` task (docker runner) after one real run (and once the standby "
                    f"container it started is up), called synchronously: served in the caller's thread, no hop to "
                    f"the runtime loop; {repeats} hits after 2 warm-up hits, interleaved with the floors of any "
                    f"call; quiet, then with a busy-loop process competing for a core.")
    result.rows = rows
    stats = found["quiet"]
    texts = against_floors("hit", lambda: square_hinted_as_text(7), repeats)
    result.rows.append(Row("context: cache hit of a task whose hints are strings (quiet)", texts["hit"]))
    result.notes.append(f"**Hints as strings** (`x: \"int\"`, as `from __future__ import annotations` leaves them): "
                        f"a hit takes {fine(texts['hit'].median)}, {texts['hit'].median / texts['hop'].median:.1f}x "
                        f"the loop round trip measured with it ({fine(texts['hop'].median)}): binding and checking "
                        f"the inputs resolve string hints again on every call (typecheck._hints).")
    spans, total = profile(square, 5 if quick else 30)
    result.notes.append(spans.table([
        ("`Runtime.hit_here` (the whole hit, in the caller's thread: no hop to the runtime loop)", "hit_here"),
        ("`task.resolve()` (settings resolution)", "resolve"),
        ("`check_inputs`", "check_inputs"),
        ("`cache_key`: of it, `code_version`", "code_version"),
        ("`cache_key`, whole", "cache_key"),
        ("`cache.read` (an entry read before: a stat and an unpickle)", "read"),
        ("`Runtime._new_run` (the run record: settings, group, view edits)", "new_run"),
        ("`registry().notify` (run record updates: added, then cached)", "notify"),
        ("`Runtime.execute` (on the runtime loop: a hit that went the loop's way)", "execute"),
    ], total, f"**Where a cache hit's time goes** ({len(spans.spans['hit_here'])} instrumented calls, median "
              f"{fine(total)} each; steps timed by wrapping functions from the outside):"))
    if result.missed:
        result.notes.append(bounds(stats, spans, total))
    return result


def profile(task: object, calls: int) -> tuple[Spans, float]:
    import sys

    import flyte_nb  # noqa: F401 - loads the submodules below

    cache, registry = sys.modules["flyte_nb.cache"], sys.modules["flyte_nb.registry"]
    runtime, task_module = sys.modules["flyte_nb.runtime"], sys.modules["flyte_nb.task"]

    spans = Spans()
    spans.wrap(runtime.Runtime, "hit_here", "hit_here")
    spans.wrap(runtime.Runtime, "_new_run", "new_run")
    spans.wrap(runtime.Runtime, "execute", "execute")
    spans.wrap(task_module.TaskTemplate, "resolve", "resolve")
    spans.wrap(runtime, "check_inputs", "check_inputs")
    spans.wrap(cache, "cache_key", "cache_key")
    spans.wrap(cache, "code_version", "code_version")
    spans.wrap(cache, "read", "read")
    spans.wrap(registry.Registry, "notify", "notify")
    totals = []
    try:
        for _ in range(calls):
            start = time.perf_counter()
            task(7)  # type: ignore[operator]
            totals.append(time.perf_counter() - start)
    finally:
        spans.restore()
    return spans, statistics.median(totals)


def bounds(stats: dict, spans: Spans, total: float) -> str:
    hit = stats["hit"].median
    key, read, here = spans.median("cache_key"), spans.median("read"), spans.median("hit_here")
    return (f"**What bounds it.** {hit / stats['hop'].median:.1f}x the loop round trip ({fine(hit)} vs "
            f"{fine(stats['hop'].median)}; target {TARGET:g}x). A hit is served in the caller's thread "
            f"(`Runtime.hit_here`, {fine(here)}): it computes the key (`cache_key`, {fine(key)}, of which "
            f"`code_version` {fine(spans.median('code_version'))}: the walk over the globals the task reads, done "
            f"again on every call since any of them may have been rebound), reads the entry (`cache.read`, "
            f"{fine(read)}: a stat and an unpickle) and records the run ({fine(spans.median('new_run'))} for the "
            f"record); the rest of the call ({fine(total - here)}) is binding the arguments and the view.")

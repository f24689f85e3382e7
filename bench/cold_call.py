"""Cold task calls (docker runner, a no-op task, a fresh container per call) vs raw `docker run`.

Three cold calls: a repeated one (the call's config ran before, so its standby container is up: the
target is <= 0.25x raw `docker run`), the first call of a new config that differs only in env vars no
call used yet (served by the waiting standby of the same container config, its env vars set at hand-off),
and the first call of a container config never seen (a pod-template label no call used: nothing can serve
it, a container is made for it; <= 1.05x). Interleaved with `docker run --rm --network none <image> python3 -c pass`, quiet and with a
busy-loop process competing for a core; before each sample the runner's background work (standbys
starting, containers being removed) is waited for, untimed. Then back-to-back repeated calls (the next
call arrives while the previous call's standby is still starting), and the container lifecycle alone
through docker-py with a plain config and with flyte_nb's config, for what bounds the first call.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import shutil
import tempfile
import time
from typing import Any, Callable

from .common import LOADS, BASE_IMAGE, Result, Row, Stats, cpu_load, interleave, ms, ratio_row, sh

TARGET_REPEATED = 0.25
TARGET_FIRST = 1.05
RAW = ("docker", "run", "--rm", "--network", "none", BASE_IMAGE, "python3", "-c", "pass")


def flyte_docker() -> Any:
    import flyte_nb as flyte
    from flyte_nb.runtime import runtime

    if runtime().runner_name != "docker" or runtime()._runner is None or not runtime().standby:
        flyte.init(runner="docker", quiet=True, standby=True)  # the default, whatever FLYTE_NB_STANDBY says
    return flyte


def make_noop() -> Any:
    flyte = flyte_docker()
    env = flyte.TaskEnvironment(name="bench_cold")

    @env.task
    def noop() -> None:
        return None

    return noop


def run(quick: bool) -> Result:
    from flyte_nb.config.image import Image
    from flyte_nb.config.pod_template import PodTemplate
    from flyte_nb.config.resources import Resources
    from flyte_nb.images.builder import ensure_image

    noop = make_noop()
    assert ensure_image(Image.from_debian_base()) == BASE_IMAGE  # both sides run the very same image
    repeats = 2 if quick else 15
    counter = itertools.count()
    spec: dict[str, Any] = {}

    def adapted() -> None:  # a config no call used before, but only its env vars differ: a standby fits
        noop.override(env_vars={"BENCH_CONFIG": str(next(counter))})()

    def limited() -> None:  # only its memory limit differs from the last call's: `docker update` adapts a standby
        noop.override(resources=Resources(memory=f"{256 + next(counter) % 64}Mi"))()

    def first() -> None:  # a container config no call used before (a label is fixed at creation)
        noop.override(pod_template=PodTemplate(labels={"bench-config": str(next(counter))}))()

    noop()
    limited()
    keep = settle(set())  # the standbys of these two configs: kept; every other one is dropped between samples
    with recorded_spec(spec):
        first()
    sides = {"repeated": noop, "adapted": adapted, "limited": limited, "first": first, "raw": lambda: sh(*RAW)}
    result = Result("cold_call", "Cold task call vs raw `docker run`",
                    f"A no-op task (`def noop() -> None`, docker runner, default image `{BASE_IMAGE}`) called "
                    f"synchronously from a script: repeated (its config's standby container is up), the first "
                    f"call of a config that differs only in env vars (`noop.override(env_vars={{...}})` with values "
                    f"no call used: the repeated config's waiting standby serves it, the env vars set at "
                    f"hand-off), the first call of a new memory limit (`noop.override(resources=Resources(memory="
                    f"...))`, a value the last call did not use: the waiting standby of a config with a memory limit "
                    f"gets it by `docker update`) and the first call of a container config never seen "
                    f"(`noop.override(pod_template=PodTemplate(labels={{...}}))`, a label no call used: a "
                    f"container made for it), vs "
                    f"`{' '.join(RAW)}`; interleaved, {repeats} rounds after one warm-up round, quiet and with a "
                    f"busy-loop process on one core. Before each sample the runner's background work (a standby "
                    f"starting, a used container being removed) is waited for, untimed, and standbys of the "
                    f"one-off configs are dropped.")
    found: dict[str, dict[str, Stats]] = {}
    for when, loaded in LOADS:
        with cpu_load(loaded):
            stats = found[when] = interleave(sides, repeats, settle=lambda: settle(keep))
        result.rows += [
            Row(f"repeated cold call `noop()` ({when})", stats["repeated"]),
            Row(f"first call of a new env-vars-only config, standby adapted ({when})", stats["adapted"]),
            Row(f"first call of a new memory limit, standby adapted by `docker update` ({when})", stats["limited"]),
            Row(f"first call of a never-seen container config ({when})", stats["first"]),
            Row(f"raw `docker run --rm` ({when})", stats["raw"]),
            ratio_row(f"repeated cold call / raw `docker run` ({when})", stats["repeated"], stats["raw"],
                      TARGET_REPEATED, "x raw"),
            ratio_row(f"first call of a new env-vars-only config (standby adapted) / raw `docker run` ({when})",
                      stats["adapted"], stats["raw"], TARGET_FIRST, "x raw"),
            ratio_row(f"first call of a new memory limit (standby adapted) / raw `docker run` ({when})",
                      stats["limited"], stats["raw"], TARGET_FIRST, "x raw"),
            ratio_row(f"first call of a never-seen container config / raw `docker run` ({when})", stats["first"],
                      stats["raw"], TARGET_FIRST, "x raw")]
    settle(keep)
    back = interleave({"back": noop}, repeats, warmup=0)["back"]
    result.rows.append(Row("context: repeated calls back to back (the standby still starting)", back))
    lifecycle = lifecycles(spec, 1 if quick else 10)
    result.notes += [lifecycle_markdown(lifecycle), bounds(found["quiet"], lifecycle)]
    return result


def settle(keep: set[str]) -> set[str]:
    """Wait (untimed) until the runner's standbys are up and its removals done, dropping the standbys of
    configs not in `keep`; the keys of the standbys left."""
    from flyte_nb.runtime import runtime

    standbys = runtime().runner().standbys  # type: ignore[attr-defined]

    async def quiet() -> set[str]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for key, standby in list(standbys.waiting.items()):
                if keep and key not in keep:
                    standbys._drop(standby)
            busy = standbys._tasks or any(not s.connection.done() for s in standbys.waiting.values())
            if not busy:
                break
            await asyncio.sleep(0.005)
        return set(standbys.waiting)

    return runtime().wait(runtime().submit(quiet()))


class recorded_spec:
    """Keeps the create options of the containers made meanwhile (flyte_nb's config, for lifecycles)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def __enter__(self) -> None:
        from docker.models.containers import ContainerCollection

        self.original = original = ContainerCollection.create
        spec = self.spec

        def create(collection: Any, **options: Any) -> Any:
            spec.update(options)
            return original(collection, **options)

        ContainerCollection.create = create  # type: ignore[method-assign]

    def __exit__(self, *exc: Any) -> None:
        from docker.models.containers import ContainerCollection

        ContainerCollection.create = self.original  # type: ignore[method-assign]


def _seconds(stamp: str) -> float:
    """An engine timestamp (RFC 3339, nanoseconds) as seconds since the epoch."""
    head, _, frac = stamp.rstrip("Z").partition(".")
    base = dt.datetime.fromisoformat(head).replace(tzinfo=dt.timezone.utc).timestamp()
    return base + float("0." + (frac or "0"))


# ---- the container lifecycle alone -----------------------------------------------------------------
def lifecycles(spec: dict[str, Any], repeats: int) -> dict[str, Any]:
    """create/start/wait/remove of `python3 -c pass`: docker-py plain, docker-py with flyte_nb's config,
    the CLI's `docker run --rm`; plus the flyte_nb config running the shim's imports."""
    from docker.types import Mount

    from flyte_nb.runners.docker import connect

    client = connect()
    folder = tempfile.mkdtemp(prefix="bench-cold-")
    hardened = dict(spec)
    hardened.pop("name", None)
    hardened["mounts"] = [Mount(target=m["Target"], source=folder if i == 0 else m["Source"], type="bind",
                                read_only=m.get("ReadOnly", False)) for i, m in enumerate(spec["mounts"])]
    phases: dict[str, dict[str, list[float]]] = {}

    def lifecycle(name: str, options: dict[str, Any]) -> Callable[[], None]:
        spans = phases.setdefault(name, collections.defaultdict(list))

        def go() -> None:
            t0 = time.perf_counter()
            container = client.containers.create(**options)
            t1 = time.perf_counter()
            container.start()
            t2 = time.perf_counter()
            container.wait()
            t3 = time.perf_counter()
            container.reload()
            t4 = time.perf_counter()
            state = container.attrs["State"]
            container.remove(force=True)
            t5 = time.perf_counter()
            for key, value in (("create", t1 - t0), ("start", t2 - t1), ("wait", t3 - t2), ("reload", t4 - t3),
                               ("remove", t5 - t4)):
                spans[key].append(value)
            spans["process"].append(_seconds(state["FinishedAt"]) - _seconds(state["StartedAt"]))
        return go

    plain = {"image": BASE_IMAGE, "command": ["python3", "-c", "pass"], "network_mode": "none", "detach": True}
    # what a container runs before its first call's task: the shim, then the call's modules (shim._call_modules)
    imports = "import flyte_nb.shim as shim; shim._call_modules()"
    try:
        stats = interleave({
            "cli": lambda: sh(*RAW),
            "py_plain": lifecycle("py_plain", plain),
            "py_flyte": lifecycle("py_flyte", {**hardened, "command": ["python3", "-c", "pass"]}),
            "py_flyte_imports": lifecycle("py_flyte_imports", {**hardened, "command": ["python3", "-c", imports]}),
        }, repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"stats": stats, "phases": phases}


def lifecycle_markdown(found: dict[str, Any]) -> str:
    import statistics

    stats, phases = found["stats"], found["phases"]
    labels = {"cli": "CLI `docker run --rm --network none ... python3 -c pass`",
              "py_plain": "docker-py create/start/wait/remove, plain config (network none)",
              "py_flyte": "docker-py, flyte_nb's container config (mounts, user, cap_drop, labels...), `pass`",
              "py_flyte_imports": "docker-py, flyte_nb's config, `python3 -c 'import flyte_nb.shim as shim; "
                                  "shim._call_modules()'`"}
    lines = ["**The container lifecycle alone** (interleaved, median ms; no flyte_nb runtime involved; "
             "docker-py total = create + start + wait + remove, the `reload` that reads the engine's timestamps "
             "is shown apart; process = the container's own lifetime, engine StartedAt -> FinishedAt):", "",
             "| lifecycle | total | create | start | wait | remove | (reload) | process |",
             "|---|---|---|---|---|---|---|---|"]
    for key, label in labels.items():
        spans = phases.get(key, {})
        cells = [f"{statistics.median(spans[p]) * 1000:.1f}" if p in spans else "" for p in
                 ("create", "start", "wait", "remove", "reload", "process")]
        total = stats[key].median - (statistics.median(spans["reload"]) if "reload" in spans else 0.0)
        lines.append(f"| {label} | {total * 1000:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bounds(stats: dict[str, Stats], found: dict[str, Any]) -> str:
    """What the two cold calls cost, from the lifecycle measured apart."""
    import statistics

    phases = found["phases"]

    def med(side: str, phase: str) -> float:
        return statistics.median(phases[side][phase])

    raw = stats["raw"].median
    engine = med("py_plain", "create") + med("py_plain", "start")
    imports = med("py_flyte_imports", "process") - med("py_flyte", "process")
    return (f"**What bounds it.** A repeated call ({ms(stats['repeated'].median)}, "
            f"{stats['repeated'].median / raw:.2f}x raw) pays no engine call on its path: the payload, its "
            f"controller socket, one frame to the standby's shim (already imported), the task, result.json "
            f"and the end-of-output marks; the used container is removed and the next standby started after the "
            f"call returns. Back to back, the next call waits for that standby to start. A new config that differs "
            f"only in env vars ({ms(stats['adapted'].median)}, {stats['adapted'].median / raw:.2f}x raw) runs in "
            f"the waiting standby of the same container config: its env vars travel in the hand-off frame; a new "
            f"memory limit ({ms(stats['limited'].median)}, {stats['limited'].median / raw:.2f}x raw) adds one "
            f"`docker update` of that standby on the call's path. The "
            f"first call of a never-seen container config ({ms(stats['first'].median)}, "
            f"{stats['first'].median / raw:.2f}x raw) is a container "
            f"lifecycle like `docker run`'s: the engine's create + start of a plain container alone is "
            f"{ms(engine)} here, and the shim's imports ({ms(imports)} of the container's life) sit on its path; "
            f"it saves `docker run`'s wait for the process to exit and its removal (both after the call), and "
            f"pays flyte_nb's hardened config (mounts, user, caps, pids limit).")

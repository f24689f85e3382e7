"""flyte_nb beside what a user would pick instead, interleaved in one run: cold call, cache hit, 16-call fan-out.

Peers, each installed by this script from PyPI into its own venv under .venv/bench/ (made once):
the real flyte 2.12.1 in its local mode (in-process, no isolation: the floor of "no container"),
kfp's local `SubprocessRunner` (a subprocess per component), papermill running one notebook cell
in a fresh kernel, and raw `docker run`. Each Python peer is a long-lived driver
(bench/peer_driver.py) that times one operation per request, so sides alternate sample by sample.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .common import BASE_IMAGE, Result, Row, Stats, interleave
from .gather import calibrate

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venv" / "bench"
DRIVER = Path(__file__).resolve().parent / "peer_driver.py"
#: peer -> (pip requirements, what it is in one phrase)
PEERS: dict[str, tuple[tuple[str, ...], str]] = {
    "flyte": (("flyte==2.12.1",), "flyte 2.12.1 local mode (in-process, no isolation)"),
    "kfp": (("kfp==2.17.*",), "kfp local `SubprocessRunner` (subprocess per component)"),
    "papermill": (("papermill==2.7.*", "ipykernel"), "papermill, one cell in a fresh kernel"),
}
BENCHES = ("cold", "hit", "fanout")


def venv_python(name: str) -> Path:
    """The peer's venv python, made and filled from PyPI the first time (pip's own cache makes reruns fast)."""
    requirements, _ = PEERS[name]
    venv = VENVS / name
    python = venv / "bin" / "python"
    stamp = venv / "bench-requirements.txt"
    wanted = "\n".join(requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(requirements)} into {venv} failed:\n{done.stderr[-2000:]}")
    stamp.write_text(wanted)
    return python


class Driver:
    """A peer's driver process: `seconds(op)` asks it to time one operation."""

    def __init__(self, name: str, scratch: Path) -> None:
        self.name = name
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONPATH", None)  # the peer must not import flyte_nb's stand-in for its own package
        self.process = subprocess.Popen([str(venv_python(name)), str(DRIVER), name, str(scratch / name)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env=env, cwd=scratch)
        self.offers = set(self._read()["ready"])

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} driver exited ({self.process.wait()})")
        return json.loads(line)

    def seconds(self, op: str, **fields: Any) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise RuntimeError(f"{self.name} {op}: {answer['error']}")
        return float(answer["seconds"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def timed(fn: Callable[[], Any]) -> Callable[[], float]:
    import time

    def side() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return side


@dataclass
class Bench:
    key: str
    title: str
    what: str


def flyte_nb_sides(n: int, calls: int) -> dict[str, Callable[[], float]]:
    from .cold_call import flyte_docker

    flyte = flyte_docker()
    env = flyte.TaskEnvironment(name="bench_peers")
    cached = flyte.TaskEnvironment(name="bench_peers_cache", cache="auto")
    fan_env = flyte.TaskEnvironment(name="bench_peers_fan", resources=flyte.Resources(cpu=1))

    @env.task
    def square(x: int) -> int:
        return x * x

    @cached.task
    def cached_square(x: int) -> int:
        return x * x

    @fan_env.task
    async def work(n: int) -> int:
        for _ in range(n):
            pass
        return n

    async def fan() -> None:
        assert await asyncio.gather(*(work(n) for _ in range(calls))) == [n] * calls

    assert cached_square(7) == 49
    return {"cold": timed(lambda: square(7)), "hit": timed(lambda: cached_square(7)),
            "fanout": timed(lambda: asyncio.run(fan()))}


def docker_sides(n: int, calls: int) -> dict[str, Callable[[], float]]:
    cores = os.cpu_count() or 1
    cold = ["docker", "run", "--rm", "--network", "none", BASE_IMAGE, "python3", "-c", "print(7 * 7)"]
    script = f"def work(n):\n    for _ in range(n):\n        pass\nwork({n})"
    fan = ["xargs", f"-P{cores}", "-I{}", "docker", "run", "--rm", "--network", "none", "--cpus", "1", BASE_IMAGE,
           "python3", "-c", script]
    items = "".join(f"{i}\n" for i in range(calls))
    return {"cold": timed(lambda: subprocess.run(cold, check=True, capture_output=True)),
            "fanout": timed(lambda: subprocess.run(fan, input=items, text=True, check=True, capture_output=True))}


def run(quick: bool) -> Result:
    cores = os.cpu_count() or 1
    calls, work, repeats = (4, 0.02, 2) if quick else (16, 0.25, 7)
    n = calibrate(work)
    benches = [Bench("cold", "cold call", "`square(7)`, no cache: a fresh container (flyte_nb, docker run), a "
                     "subprocess (kfp), a kernel (papermill), in-process (flyte local)"),
               Bench("hit", "cache hit", "`cached_square(7)` again after one real run (`cache=\"auto\"`)"),
               Bench("fanout", f"{calls}-call fan-out", f"{calls} calls of a task looping `range({n})` (about "
                     f"{work:g} s of one CPU each): flyte_nb `asyncio.gather` (cpu=1 each), flyte local a parent "
                     f"task gathering its children, kfp a `dsl.ParallelFor` pipeline, papermill {calls} notebooks "
                     f"on {cores} threads, docker `xargs -P{cores} docker run --cpus 1`")]
    scratch = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    drivers = {name: Driver(name, scratch) for name in PEERS}
    try:
        ours = flyte_nb_sides(n, calls)
        raw = docker_sides(n, calls)
        stats: dict[str, dict[str, Stats]] = {}
        for bench in benches:
            sides: dict[str, Callable[[], float]] = {"flyte_nb": ours[bench.key]}
            for name, driver in drivers.items():
                if bench.key in driver.offers:
                    command = {"n": n, "calls": calls} if bench.key == "fanout" else {}
                    sides[name] = (lambda d=driver, op=bench.key, c=command: d.seconds(op, **c))
            if bench.key in raw:
                sides["docker run"] = raw[bench.key]
            stats[bench.key] = interleave(sides, repeats if bench.key != "hit" else repeats * 4,
                                          warmup=0 if quick and bench.key == "fanout" else 1, self_timed=True)
    finally:
        for driver in drivers.values():
            driver.close()
    return render(benches, stats, calls, repeats)


def render(benches: list[Bench], stats: dict[str, dict[str, Stats]], calls: int, repeats: int) -> Result:
    names = {"flyte_nb": "flyte_nb (docker runner)", "docker run": "raw `docker run --rm`",
             **{name: what for name, (_, what) in PEERS.items()}}
    result = Result("peers", "flyte_nb beside its peers",
                    "What a user would pick instead, each in its own venv made by `bench/peers.py` from PyPI "
                    f"(under `.venv/bench/`), interleaved sample by sample with flyte_nb ({repeats} rounds after a "
                    "warm-up; 4x as many for cache hits). The Python peers time each operation inside their own "
                    "long-lived process (`bench/peer_driver.py`), flyte_nb inside the bench's. Ratio: the peer's "
                    "median over flyte_nb's (above 1: flyte_nb is faster). A peer missing from a benchmark does "
                    "not offer it (kfp's local runners and papermill have no result cache; a cache hit of raw "
                    "`docker run` does not exist).")
    for bench in benches:
        ours = stats[bench.key]["flyte_nb"]
        for side, side_stats in stats[bench.key].items():
            unit, scale = ("s", 1.0) if bench.key == "fanout" else ("ms", 1000.0)
            row = Row(f"{bench.title}: {names[side]}", side_stats, unit=unit, scale=scale)
            if side != "flyte_nb":
                row.ratio = side_stats.median / ours.median
            result.rows.append(row)
    result.notes.append("\n".join(f"- {bench.title}: {bench.what}." for bench in benches))
    local = stats["cold"].get("flyte")
    if local is not None:
        result.notes.append(f"flyte local mode runs a task in the caller's process: no container, no isolation, "
                            f"image/resources/secrets ignored. Its cold call "
                            f"({local.median * 1000:.1f} ms) is the floor of a call with no container at all; "
                            f"flyte_nb's is {stats['cold']['flyte_nb'].median / local.median:.0f}x that, the price "
                            f"of a fresh container per call.")
    return result

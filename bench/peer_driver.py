"""One peer of flyte_nb, driven over stdin/stdout by bench/peers.py: `python peer_driver.py PEER SCRATCH`.

Runs inside the peer's own venv (the real flyte 2.12.1, kfp, papermill), so it imports only the
standard library and that peer. Each stdin line is a JSON command `{"op": "cold"|"hit"|"fanout",
"n": ITERATIONS, "calls": K}`; the driver answers one JSON line `{"seconds": S}` on the driver's original stdout (the operation's
wall time, measured here, so the pipe's latency is not counted) or `{"error": "..."}`. A long-lived
driver lets the bench interleave peers sample by sample with flyte_nb, as users would run them.
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable


def busy(n: int) -> int:
    """The fan-out's work: the same loop every side runs (a function's loop: no global stores)."""
    for _ in range(n):
        pass
    return n


# ---- the real flyte SDK's local mode (in-process, no isolation) --------------------------------
def flyte_peer(scratch: Path) -> dict[str, Callable[[dict[str, Any]], None]]:
    import flyte

    flyte.init()
    env = flyte.TaskEnvironment(name="bench_peer")
    cached_env = flyte.TaskEnvironment(name="bench_peer_cache", cache="auto")

    @env.task
    async def square(x: int) -> int:
        return x * x

    @cached_env.task
    async def cached_square(x: int) -> int:
        return x * x

    @env.task
    async def work(n: int) -> int:
        return busy(n)

    @env.task
    async def fan(n: int, calls: int) -> list[int]:
        return list(await asyncio.gather(*(work(n) for _ in range(calls))))

    local = flyte.with_runcontext(mode="local")
    local.run(cached_square, x=7)  # the entry every hit reads

    def cold(_: dict[str, Any]) -> None:
        assert local.run(square, x=7).outputs()[0] == 49

    def hit(_: dict[str, Any]) -> None:
        local.run(cached_square, x=7)

    def fanout(command: dict[str, Any]) -> None:
        local.run(fan, n=command["n"], calls=command["calls"])

    return {"cold": cold, "hit": hit, "fanout": fanout}


# ---- kfp's local SubprocessRunner (a subprocess per component, no container) -------------------
def kfp_peer(scratch: Path) -> dict[str, Callable[[dict[str, Any]], None]]:
    import logging

    from kfp import dsl, local

    logging.disable(logging.INFO)  # kfp logs every executor step at INFO; the bench reads none of it
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(scratch / "kfp-root"))

    @dsl.component
    def square(x: int) -> int:
        return x * x

    @dsl.component
    def work(n: int) -> int:
        for _ in range(n):
            pass
        return n

    def cold(_: dict[str, Any]) -> None:
        assert square(x=7).output == 49

    def fanout(command: dict[str, Any]) -> None:
        @dsl.pipeline
        def fan(n: int) -> None:
            with dsl.ParallelFor(list(range(command["calls"]))):
                work(n=n)

        fan(n=command["n"])

    return {"cold": cold, "fanout": fanout}  # kfp's local runners do not cache


# ---- papermill: one notebook cell in a fresh kernel -------------------------------------------
def papermill_peer(scratch: Path) -> dict[str, Callable[[dict[str, Any]], None]]:
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import nbformat
    import papermill

    logging.disable(logging.WARNING)

    def notebook(source: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = scratch / f"nb-{abs(hash(source))}.ipynb"
        nbformat.write(nb, path)
        return path

    square = notebook("print(7 * 7)")

    def execute(path: Path, index: int = 0) -> None:
        papermill.execute_notebook(str(path), str(scratch / f"out-{index}.ipynb"), progress_bar=False,
                                   log_output=False, kernel_name="python3")

    def cold(_: dict[str, Any]) -> None:
        execute(square)

    def fanout(command: dict[str, Any]) -> None:
        work = notebook(f"def work(n):\n    for _ in range(n):\n        pass\nwork({command['n']})")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(lambda i: execute(work, i), range(command["calls"])))

    return {"cold": cold, "fanout": fanout}  # papermill has no cache of cell results


PEERS = {"flyte": flyte_peer, "kfp": kfp_peer, "papermill": papermill_peer}


def main() -> int:
    peer, scratch = sys.argv[1], Path(sys.argv[2])
    scratch.mkdir(parents=True, exist_ok=True)
    # answers go to the original stdout; everything the peer (and its subprocesses) print goes to stderr
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    ops = PEERS[peer](scratch)

    def answer(**fields: Any) -> None:
        answers.write(json.dumps(fields) + "\n")

    answer(ready=sorted(ops))
    for line in sys.stdin:
        command = json.loads(line)
        op = ops.get(command["op"])
        if op is None:
            answer(error=f"{peer} offers no {command['op']!r}")
            continue
        start = time.perf_counter()
        try:
            op(command)
        except Exception as exc:  # noqa: BLE001 - the bench reports it, the driver stays up
            answer(error=f"{type(exc).__name__}: {exc}")
            continue
        answer(seconds=time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

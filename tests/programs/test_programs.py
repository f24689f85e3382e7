"""Real flyte 2 programs (tests/programs/prog_*.py) print the same under the real SDK and under flyte_nb.

Each program is a plain `import flyte` script whose main() runs tasks with flyte.init() + flyte.run()
and prints their outputs (tasks themselves print nothing, so only main()'s lines are compared). It
runs (a) under flyte 2.12.1 in its local mode (side venv), (b) as a script under flyte_nb's compat
stand-in, every task in its own Docker container, and (c), for a few, under `%flyte_use` in a real
IPython kernel. The printed outputs must be equal.
"""

from __future__ import annotations

import functools
import os
import queue
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.data.sdk_venv import ROOT, sdk_python
from tests.kernels import start_venv_kernel

HERE = Path(__file__).resolve().parent
#: Programs written and passing under the real SDK that flyte_nb cannot run the same yet: program -> why.
#: They are not run here; when the feature lands, remove the entry (and the program joins the tests).
PENDING: dict[str, str] = {}
PROGRAMS = sorted(p.stem for p in HERE.glob("prog_*.py") if p.stem not in PENDING)
#: Run again under %flyte_use in a kernel: basics, a fan-out, typed IO, an async File, a trace.
IN_KERNEL = [p for p in ["prog_hello", "prog_map_fanout", "prog_pydantic", "prog_file_async", "prog_trace"]
             if p not in PENDING]
#: A program whose image flyte_nb builds: built before the run, so the comparison is of the program's output.
IMAGES = {"prog_image"}
#: `python prog.py` under the stand-in: the script's folder first on sys.path (as python does), run as __main__.
STANDIN = ("import flyte_nb.compat, os, runpy, sys; flyte_nb.compat.install(); "
           "sys.path.insert(0, os.path.dirname(sys.argv[1])); runpy.run_path(sys.argv[1], run_name='__main__')")


def _env(work: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("FLYTE_NB_")}
    env.update(FLYTE_NB_DATA_DIR=f"{work}/data", FLYTE_NB_CACHE_DIR=f"{work}/cache", **extra)
    return env


def _run(command: list[str], env: dict[str, str], cwd: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command[-2:])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@functools.cache
def sdk_output(program: str) -> str:
    """What the program prints under the real SDK's local mode (its own logging silenced: it logs to stdout)."""
    with tempfile.TemporaryDirectory(prefix="prog-sdk-") as work:
        env = _env(work, LOG_LEVEL="60", USER_LOG_LEVEL="60")
        return _run([str(sdk_python()), str(HERE / f"{program}.py")], env, work)


def _build_images(program: str, env: dict[str, str], work: str) -> None:
    code = ("import flyte_nb.compat, runpy, sys; flyte_nb.compat.install()\n"
            "from flyte_nb.images.builder import ensure_image\n"
            "ns = runpy.run_path(sys.argv[1])\n"
            "[ensure_image(v.image) for v in ns.values() if type(v).__name__ == 'TaskEnvironment']")
    _run([sys.executable, "-c", code, str(HERE / f"{program}.py")], env, work)


@pytest.mark.docker
@pytest.mark.parametrize("program", PROGRAMS)
def test_program_prints_the_same_under_flyte_nb_in_containers(program: str, tmp_path: Path) -> None:
    expected = sdk_output(program)
    assert expected.strip(), f"{program} printed nothing under the real SDK"
    env = _env(str(tmp_path), PYTHONPATH=str(ROOT), FLYTE_NB_RUNNER="docker")
    if program in IMAGES:
        _build_images(program, env, str(tmp_path))
    got = _run([sys.executable, "-c", STANDIN, str(HERE / f"{program}.py")], env, str(tmp_path))
    assert got == expected


def _kernel_stdout(km: Any, code: str) -> str:
    """Execute one cell; its stdout stream text (an error in the cell fails the test with its traceback)."""
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        out: list[str] = []
        errors: list[str] = []

        def hook(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                out.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                errors.append("\n".join(message["content"]["traceback"]))

        reply = kc.execute_interactive(code, output_hook=hook, timeout=600)
        assert reply["content"]["status"] == "ok" and not errors, "\n".join(errors)
        return "".join(out)
    except queue.Empty as error:
        raise AssertionError("the kernel did not answer") from error
    finally:
        kc.stop_channels()


@pytest.mark.docker
@pytest.mark.parametrize("program", IN_KERNEL)
def test_program_prints_the_same_under_flyte_use_in_a_kernel(program: str, tmp_path: Path) -> None:
    expected = sdk_output(program)
    env = _env(str(tmp_path), PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]), FLYTE_NB_RUNNER="docker")
    km = start_venv_kernel(tmp_path, "programs", env)
    try:
        got = _kernel_stdout(km, f"%load_ext flyte_nb\n%flyte_use {program}\n{program}.main()")
    finally:
        km.shutdown_kernel(now=True)
    assert got == expected


def test_every_pending_program_exists_and_runs_under_the_sdk() -> None:
    """PENDING names real programs, each of which the real SDK runs (so it is flyte_nb that must catch up)."""
    missing = sorted(p for p in PENDING if not (HERE / f"{p}.py").exists())
    assert not missing, f"PENDING lists programs that do not exist: {missing}"
    assert all(sdk_output(p).strip() for p in PENDING)

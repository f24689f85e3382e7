"""A task's own log lines reach the caller's stdout/stderr in a script, in the order the SDK's local mode prints.

The SDK's local mode runs tasks in-process (their print() lines reach stdout as written) and runs
flyte.map's items one by one; flyte_nb runs each in its own container or process, concurrently, and
its relay (flyte_nb.relay) keeps a map's lines in input order. Each script here runs as `python
script.py` under the compat stand-in, with `flyte.init_from_config()` as SDK scripts do, on the real
docker and local runners and on warm workers (a reusable environment), and its whole stdout is compared.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from flyte_nb.relay import _Map
from tests.data.sdk_venv import ROOT
from tests.kernels import start_venv_kernel
from tests.programs.test_programs import STANDIN, _env

SECRET = "s3cr3t-RELAY-77"

#: Items sleep longest first, so they end in reverse order: only the relay puts their lines in input order.
SCRIPT = """
import asyncio, os, sys, time
import flyte

env = flyte.TaskEnvironment(name="relay_env", secrets=flyte.Secret("relay_key", as_env_var="RELAY_KEY"){reuse})

@env.task
async def item(x: int) -> int:
    print(f"[start] {{x}} key={{os.environ['RELAY_KEY']}}", flush=True)
    print(f"[err] {{x}}", file=sys.stderr, flush=True)
    await asyncio.sleep(0.6 * (3 - x))
    print(f"[done] {{x}}", flush=True)
    return x

@env.task
async def fan_out() -> list[int]:
    print("fan_out begins", flush=True)
    out = [r async for r in flyte.map.aio(item, range(3))]
    print("fan_out ends", flush=True)
    return out

@env.task
def sync_item(x: int) -> int:
    print(f"[start] {{x}} key={{os.environ['RELAY_KEY']}}", flush=True)
    print(f"[err] {{x}}", file=sys.stderr, flush=True)
    time.sleep(0.6 * (3 - x))
    print(f"[done] {{x}}", flush=True)
    return x

@env.task
def sync_fan_out() -> list[int]:
    return list(flyte.map(sync_item, range(3), concurrency=2))

if __name__ == "__main__":
    flyte.init_from_config()
    print("before")
    print(flyte.run(fan_out).outputs())
    print("between")
    print(flyte.run(sync_fan_out).outputs())
    print("after")
"""
EXPECTED_ITEMS = "".join(f"[start] {x} key=[redacted]\n[done] {x}\n" for x in range(3))
EXPECTED = ("before\nfan_out begins\n" + EXPECTED_ITEMS + "fan_out ends\nActionOutputs(o0=[0, 1, 2])\n"
            "between\n" + EXPECTED_ITEMS + "ActionOutputs(o0=[0, 1, 2])\nafter\n")


def run_script(tmp_path: Path, runner: str, reuse: str = "") -> subprocess.CompletedProcess[str]:
    script = tmp_path / "relay_script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(reuse=reuse)))
    env = _env(str(tmp_path), PYTHONPATH=str(ROOT), FLYTE_NB_RUNNER=runner, FLYTE_NB_SECRET_RELAY_KEY=SECRET)
    done = subprocess.run([sys.executable, "-c", STANDIN, str(script)], capture_output=True, text=True,
                          timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.docker
@pytest.mark.parametrize("runner,reuse", [
    ("docker", ""),
    ("local", ""),
    ("docker", ", reusable=flyte.ReusePolicy(replicas=2, concurrency=3, idle_ttl=30)"),
], ids=["docker", "local", "warm-workers"])
def test_task_lines_reach_the_scripts_stdout_in_the_sdks_order_redacted(tmp_path: Path, runner: str,
                                                                         reuse: str) -> None:
    done = run_script(tmp_path, runner, reuse)
    assert done.stdout == EXPECTED
    assert done.stderr.count("[err] 0\n") == 2 and "[err] 2\n" in done.stderr  # a task's stderr on stderr
    assert SECRET not in done.stdout + done.stderr


def test_a_maps_later_item_is_held_until_the_earlier_ones_end() -> None:
    state = _Map(parent=None)
    assert state.write(0, ("a0", "stdout")) == [("a0", "stdout")]  # the head streams live
    assert state.write(2, ("c0", "stdout")) == [] and state.write(1, ("b0", "stderr")) == []
    assert state.end(2) == []  # ended out of order: still behind item 1
    assert state.end(0) == [("b0", "stderr")]  # item 1 is the head now: its held line, then it streams
    assert state.write(1, ("b1", "stdout")) == [("b1", "stdout")]
    assert state.end(1) == [("c0", "stdout")]
    assert state.head == 3 and not state.held


def test_what_a_map_still_holds_is_written_in_input_order_when_its_caller_ends() -> None:
    state = _Map(parent="r1")
    state.write(3, ("d", "stdout"))
    state.write(1, ("b", "stdout"))
    state.write(2, ("c", "stdout"))  # item 0 never ran (cancelled): nothing may wait for it forever
    assert state.release() == [("b", "stdout"), ("c", "stdout"), ("d", "stdout")] and not state.held


SDK_MODULE = """
import flyte

env = flyte.TaskEnvironment(name="relay_nb_env")

@env.task
async def talk(x: int) -> int:
    print(f"sdk line {x}")
    return x

@env.task
async def main() -> int:
    return sum([r async for r in flyte.map.aio(talk, range(2))])
"""
NATIVE_CELL = """
import flyte_nb as fnb
native_env = fnb.TaskEnvironment(name="relay_native_env")

@native_env.task
def native_talk() -> int:
    print("native line")
    return 1

native_talk()
"""


def _cell_outputs(kc: Any, code: str) -> tuple[str, str]:
    """What a cell ends up showing: its stream text, and the last state of each of its displays."""
    streams: list[str] = []
    displays: dict[str, str] = {}
    errors: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            streams.append(content["text"])
        elif kind in ("display_data", "update_display_data"):
            key = (content.get("transient") or {}).get("display_id") or f"anonymous-{len(displays)}"
            displays[key] = content["data"].get("text/plain", "")
        elif kind == "error":
            errors.append("\n".join(content["traceback"]))

    reply = kc.execute_interactive(code, output_hook=hook, timeout=600)
    assert reply["content"]["status"] == "ok" and not errors, "\n".join(errors)
    return "".join(streams), "\n".join(displays.values())


@pytest.mark.docker
def test_a_notebook_cell_shows_each_task_line_exactly_once(tmp_path: Path) -> None:
    """SDK code under %flyte_use prints its tasks' lines on the cell's stdout (the view keeps only its status
    lines); a notebook's own task shows them in the view's log block: one copy each, never both."""
    (tmp_path / "relay_nb_mod.py").write_text(textwrap.dedent(SDK_MODULE))
    env = _env(str(tmp_path), PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]), FLYTE_NB_RUNNER="docker")
    km = start_venv_kernel(tmp_path, "relay", env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        streams, displays = _cell_outputs(kc, "%load_ext flyte_nb\n%flyte_use relay_nb_mod\n"
                                              "print(relay_nb_mod.flyte.run(relay_nb_mod.main).outputs())")
        assert streams.count("sdk line 0\n") == 1 and streams.count("sdk line 1\n") == 1
        assert streams.index("sdk line 0") < streams.index("sdk line 1") < streams.index("ActionOutputs(o0=1)")
        assert "sdk line" not in displays and "relay_nb_env.main" in displays  # the view: status lines only
        streams, displays = _cell_outputs(kc, NATIVE_CELL)
        assert "native line" not in streams and displays.count("native line") == 1
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

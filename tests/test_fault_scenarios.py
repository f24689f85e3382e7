"""At least 50 generated fault scenarios across the three runners: 0 hangs, 0 leaked containers, 0 lost results.

Each scenario is a task that fails (or succeeds) in one way, called under a watchdog; what it must end with
is data: a value, or an exception type and message. After each, this kernel has no container left; at the
end of each runner the figures are printed.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import docker
import pytest

import flyte_nb as flyte
from flyte_nb.errors import (InlineIOLimitError, TaskCrashedError, TaskExitError, TaskOOMError,
                             TaskTimeoutError, error_text)
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime

WATCHDOG = 120.0  # seconds a scenario may take before it counts as a hang

env = flyte.TaskEnvironment(name="fault_scen")


class Unshowable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


class Custom(BaseException):
    pass


@env.task
def ok(x: int) -> int:
    return x * 2


@env.task
def exit_code(code: int) -> int:
    sys.exit(code)


@env.task
def hard_exit(code: int) -> int:
    os._exit(code)


@env.task
def segfault() -> int:
    return ctypes.string_at(0)  # reads address 0: SIGSEGV


@env.task
def raise_interrupt() -> int:
    raise KeyboardInterrupt


@env.task
def raise_custom() -> int:
    raise Custom("custom base")


@env.task
def raise_value(text: str) -> int:
    raise ValueError(text)


@env.task
def raise_unshowable() -> int:
    raise Unshowable()


@env.task
def hog(mib: int) -> int:
    blocks = [bytearray(2**20) for _ in range(mib)]
    return len(blocks)


@env.task
def sleep_sync(seconds: float) -> int:
    time.sleep(seconds)
    return 1


@env.task
async def sleep_async(seconds: float) -> int:
    await asyncio.sleep(seconds)
    return 1


@env.task
def chatty(lines: int) -> int:
    for i in range(lines):
        print(f"line {i}")
    return lines


@env.task
def big(size: int) -> bytes:
    return b"x" * size


@env.task
def unpicklable() -> Any:
    return threading.Lock()


@env.task
async def parent_catches(exits: bool, arg: Any) -> str:
    """A parent that catches its child's failure as the SDK raises it: a ValueError as RuntimeUserError(code=
    "ValueError"), or a sys.exit as TaskExitError (flyte_nb's RuntimeUserError for it)."""
    try:
        await (child_exits(arg) if exits else child_fails(arg))
    except TaskExitError as error:
        return f"child exit {error.exit_code}"
    except ValueError:
        return "caught as a ValueError: not what the SDK raises"
    except flyte.errors.RuntimeUserError as error:
        return f"caught {error.code} {error}"
    return "no error"


@env.task
async def child_fails(text: str) -> int:
    raise ValueError(text)


@env.task
async def parent_propagates(text: str) -> int:
    return await child_fails(text)


@env.task
async def child_exits(code: int) -> int:
    sys.exit(code)


@env.task
async def gather_mixed(n: int) -> list:
    results = await asyncio.gather(*(maybe_fails(i) for i in range(n)), return_exceptions=True)
    return [r if isinstance(r, int) else type(r).__name__ for r in results]


@env.task
async def maybe_fails(i: int) -> int:
    if i % 2:
        raise ValueError(i)
    return i


@dataclass
class Scenario:
    name: str
    call: Any  # () -> the call's value (raises the call's error)
    value: Any = None
    error: type[BaseException] | None = None
    match: str = ""
    cancel: bool = False  # cancel the call once it runs, expect it cancelled


def _cancel_mid_call(task: Any, *args: Any) -> Any:
    future = runtime().submit(runtime().execute(task, task.bind(args, {})))
    while not (flyte.registry().runs and flyte.registry().runs[-1].attempts
               and flyte.registry().runs[-1].status.value == "running" and flyte.registry().runs[-1].attempts[-1].container
               or runtime().runner().name == "inprocess" and flyte.registry().runs
               and flyte.registry().runs[-1].status.value == "running"):
        time.sleep(0.05)
    runtime().cancel(future)
    return "cancelled" if future.cancelled() else future.result()


def scenarios(runner: str) -> list[Scenario]:
    isolated = runner != "inprocess"  # a crash, an OOM, a segfault would take the test process down with it
    found = [
        Scenario("ok", lambda: ok(21), value=42),
        Scenario("ok-after-faults", lambda: ok(1), value=2),
        *(Scenario(f"sys.exit({c})", lambda c=c: exit_code(c), error=TaskExitError, match=rf"exit code {c}\)")
          for c in (0, 1, 2, 7, 255)),
        Scenario("KeyboardInterrupt", raise_interrupt, error=TaskExitError, match="raised KeyboardInterrupt"),
        Scenario("BaseException", raise_custom, error=TaskExitError, match=r"raised Custom\(custom base\)"),
        Scenario("ValueError", lambda: raise_value("boom"), error=ValueError, match="boom"),
        Scenario("bad __str__", raise_unshowable, error=Exception, match=r"Unshowable.__str__ raised RuntimeError"),
        Scenario("timeout sync", lambda: sleep_sync.override(timeout=1)(30), error=TaskTimeoutError,
                 match="timed out after timeout=1s"),
        Scenario("timeout async", lambda: asyncio.run(sleep_async.override(timeout=1)(30)), error=TaskTimeoutError,
                 match="timed out after timeout=1s"),
        Scenario("retried exit", lambda: exit_code.override(retries=1)(3), error=TaskExitError, match="attempt 2/2"),
        Scenario("huge log", lambda: chatty(20000), value=20000),
        Scenario("1 MB output", lambda: len(big(2**20)), value=2**20),
        Scenario("output over max_inline_io_bytes", lambda: big.override(max_inline_io_bytes=1000)(10**5),
                 error=InlineIOLimitError if isolated else None, value=None if isolated else b"x" * 10**5),
        Scenario("nested failure caught", lambda: asyncio.run(parent_catches(False, "deep")), value="caught ValueError deep"),
        Scenario("nested failure raised", lambda: asyncio.run(parent_propagates("up")),
                 error=flyte.errors.RuntimeUserError, match="up"),
        Scenario("nested sys.exit caught", lambda: asyncio.run(parent_catches(True, 9)), value="child exit 9"),
        Scenario("gather with failures", lambda: asyncio.run(gather_mixed(6)),
                 value=[0, "RuntimeUserError", 2, "RuntimeUserError", 4, "RuntimeUserError"]),
        Scenario("cancel async mid-call", lambda: _cancel_mid_call(sleep_async, 60), value="cancelled"),
    ]
    if isolated:
        found += [
            *(Scenario(f"os._exit({c})", lambda c=c: hard_exit(c), error=TaskCrashedError,
                       match=rf"exited with code {c} without a result") for c in (0, 3, 101)),
            Scenario("segfault", segfault, error=TaskCrashedError, match=r"exited with code (139|-11) without"),
            Scenario("OOM", lambda: hog.override(resources=flyte.Resources(memory="256Mi"))(2048),
                     error=TaskOOMError, match="memory=256Mi"),
            Scenario("unpicklable output", unpicklable, error=TypeError, match="cannot be sent back"),
            Scenario("cancel sync mid-call", lambda: _cancel_mid_call(sleep_sync, 60), value="cancelled"),
        ]
    return found


def _client() -> Any:
    return docker.DockerClient(base_url="unix:///var/run/docker.sock")


def _ours() -> list[Any]:
    return _client().containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True)


def _run(scenario: Scenario) -> tuple[str, Any]:
    """('value', v) or ('error', e) or ('hang', None): the scenario under a watchdog thread."""
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            box["value"] = scenario.call()
        except BaseException as error:  # noqa: BLE001 - every outcome is data here
            box["error"] = error

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(WATCHDOG)
    if thread.is_alive():
        return "hang", None
    return ("error", box["error"]) if "error" in box else ("value", box.get("value"))


def _lost(scenario: Scenario, kind: str, got: Any) -> str | None:
    """Why the outcome is not the one the scenario must end with (None when it is)."""
    if scenario.error is None:
        return None if kind == "value" and got == scenario.value else f"expected {scenario.value!r}, got {kind} " \
            f"{type(got).__name__}: {error_text(got) if isinstance(got, BaseException) else repr(got)[:200]}"
    if kind != "error" or not isinstance(got, scenario.error):
        return f"expected {scenario.error.__name__}, got {kind} {got!r:.200}"
    text = "\n".join([error_text(got), *getattr(got, "__notes__", [])])
    return None if re.search(scenario.match, text) else f"{scenario.match!r} not in {text[:400]!r}"


@pytest.mark.parametrize("runner", ["docker", "local", "inprocess"])
def test_fault_scenarios_end_with_no_hang_no_leak_no_lost_result(runner: str) -> None:
    flyte.init(runner=runner, quiet=True)
    figures = {"scenarios": 0, "hangs": 0, "leaked containers": 0, "lost results": 0}
    problems: list[str] = []
    for scenario in scenarios(runner):
        figures["scenarios"] += 1
        kind, got = _run(scenario)
        if kind == "hang":
            figures["hangs"] += 1
            problems.append(f"{scenario.name}: no outcome within {WATCHDOG:g}s")
            continue
        why = _lost(scenario, kind, got)
        if why:
            figures["lost results"] += 1
            problems.append(f"{scenario.name}: {why}")
        if runner == "docker":
            leaked = _ours()
            figures["leaked containers"] += len(leaked)
            problems += [f"{scenario.name}: left container {c.name} ({c.status})" for c in leaked]
            for container in leaked:  # so one leak is counted once
                container.remove(force=True)
    assert runtime().loop.is_running()
    print(f"\nfault scenarios, runner {runner}: " + ", ".join(f"{v} {k}" for k, v in figures.items()))
    assert problems == [], "\n".join(problems)
    assert figures["scenarios"] >= (25 if runner != "inprocess" else 19)


def test_at_least_50_scenarios_across_runners() -> None:
    counts = {runner: len(scenarios(runner)) for runner in ("docker", "local", "inprocess")}
    print(f"\nfault scenarios: {counts}, {sum(counts.values())} in all")
    assert sum(counts.values()) >= 50

"""Differential conformance: the same scenario under the real flyte 2.12.1 SDK and under flyte_nb's stand-in.

A scenarios file `tests/conformance/scenarios_<area>.py` defines `SCENARIOS = [Scenario("<area>.<id>", code)]`.
Each code runs after `import flyte` and assigns `result` (plain data). All scenarios of a file run in
one subprocess per implementation (run_scenarios.py), once per test session. They conform when
both results are equal, or both raised and flyte_nb's exception is an instance of a class named
like the SDK's exception's class. flyte_nb.differences lists the ids that differ on purpose.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.data.sdk_venv import ROOT, sdk_python

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "run_scenarios.py"
IMPLEMENTATIONS = ("sdk", "nb")


@dataclass(frozen=True)
class Scenario:
    """One behaviour to compare: `code` runs after `import flyte` and assigns `result`."""

    id: str
    code: str
    timeout: float = 60.0
    #: flyte_nb's runner for this scenario: "docker" for what only containers enforce (image, resources, secrets).
    runner: str = "inprocess"


def scenario_files() -> list[Path]:
    return sorted(HERE.glob("scenarios_*.py"))


def area(path: Path) -> str:
    return path.stem.removeprefix("scenarios_")


@functools.cache
def scenarios(path: Path) -> tuple[Scenario, ...]:
    """A file's SCENARIOS (imported as tests.conformance.<stem>)."""
    module = importlib.import_module(f"tests.conformance.{path.stem}")
    return tuple(module.SCENARIOS)


def all_scenarios() -> dict[str, Scenario]:
    return {s.id: s for path in scenario_files() for s in scenarios(path)}


def _command(impl: str) -> tuple[list[str], dict[str, str]]:
    """The python to run, and its environment: the SDK's venv without flyte_nb on the path, or ours with it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if impl == "sdk":
        return [str(sdk_python())], env
    env["PYTHONPATH"] = str(ROOT)  # this checkout's flyte_nb wins over any installed one
    return [sys.executable], env


@functools.cache
def outcomes(path: Path, impl: str) -> dict[str, Any]:
    """Run every scenario of `path` under `impl` in one subprocess (cached for the session)."""
    items = scenarios(path)
    with tempfile.TemporaryDirectory(prefix=f"conformance-{impl}-") as work:
        given, taken = Path(work) / "scenarios.json", Path(work) / "outcomes.json"
        given.write_text(json.dumps([asdict(s) for s in items]), encoding="utf-8")
        python, env = _command(impl)
        env.update(FLYTE_NB_CACHE_DIR=f"{work}/cache", FLYTE_NB_DATA_DIR=f"{work}/data", HOME=env.get("HOME", work))
        budget = 60 + sum(s.timeout for s in items)
        done = subprocess.run([*python, str(RUNNER), impl, str(given), str(taken)], capture_output=True, text=True,
                              cwd=work, env=env, timeout=budget)
        found = json.loads(taken.read_text(encoding="utf-8")) if taken.exists() else {}
    if done.returncode != 0 or len(found) != len(items):
        raise RuntimeError(f"{impl} run of {path.name} stopped after {len(found)}/{len(items)} scenarios "
                           f"(exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return found


def conforms(sdk: dict[str, Any], nb: dict[str, Any]) -> bool:
    """Equal results, or both raised and flyte_nb's exception is-a class named like the SDK's."""
    if "result" in sdk and "result" in nb:
        return bool(sdk["result"] == nb["result"])
    if "error" in sdk and "error" in nb:
        return sdk["error"]["type"] in nb["error"]["mro"]
    return False


def describe(outcome: dict[str, Any]) -> str:
    """One outcome for a failure message."""
    if "result" in outcome:
        return f"result = {outcome['result']!r}"
    if "error" in outcome:
        error = outcome["error"]
        return f"raised {error['type']}: {error['message'][:500]}"
    return f"bad scenario: {outcome['bad']}\n    output: {outcome.get('output', '')[-500:]}"


def summary() -> str:
    """Per area: scenarios, matches, listed differences and unlisted mismatches (for issue notes and reviews).

    python -m tests.conformance.harness
    """
    from flyte_nb.differences import DIFFERENCES

    rows = ["area                 scenarios  match  listed  mismatched"]
    for path in scenario_files():
        sdk, nb = outcomes(path, "sdk"), outcomes(path, "nb")
        ids = [s.id for s in scenarios(path)]
        same = [i for i in ids if conforms(sdk[i], nb[i])]
        listed = [i for i in ids if i in DIFFERENCES and i not in same]
        wrong = [i for i in ids if i not in same and i not in listed]
        rows.append(f"{area(path):20} {len(ids):9}  {len(same):5}  {len(listed):6}  {len(wrong):10}  {' '.join(wrong)}")
    return "\n".join(rows)


if __name__ == "__main__":
    print(summary())

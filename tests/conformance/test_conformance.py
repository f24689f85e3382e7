"""Every scenario behaves the same under the real flyte 2.12.1 and flyte_nb, unless listed as a deliberate difference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flyte_nb.differences import DIFFERENCES

from .harness import all_scenarios, area, conforms, describe, outcomes, scenario_files, scenarios

CASES = [pytest.param(path, s.id, id=s.id, marks=[pytest.mark.docker] if s.runner == "docker" else [])
         for path in scenario_files() for s in scenarios(path)]


@pytest.mark.parametrize(("path", "scenario_id"), CASES)
def test_scenario(path: Path, scenario_id: str) -> None:
    sdk, nb = outcomes(path, "sdk")[scenario_id], outcomes(path, "nb")[scenario_id]
    assert "bad" not in sdk, f"the scenario itself is broken under the real SDK: {describe(sdk)}"
    assert "bad" not in nb, f"flyte_nb: {describe(nb)}"
    shown = f"\n  SDK:      {describe(sdk)}\n  flyte_nb: {describe(nb)}"
    if scenario_id in DIFFERENCES:
        assert not conforms(sdk, nb), f"listed as a deliberate difference but behaves the same; unlist it:{shown}"
    else:
        assert conforms(sdk, nb), f"flyte_nb differs from flyte 2.12.1:{shown}"


def test_scenario_ids_are_unique_and_named_by_area() -> None:
    seen: dict[str, str] = {}
    for path in scenario_files():
        for s in scenarios(path):
            assert s.id not in seen, f"{s.id} is in both {seen[s.id]} and {path.name}"
            assert s.id.startswith(area(path) + "."), f"{s.id} in {path.name} must start with {area(path)!r}."
            assert re.fullmatch(r"[a-z0-9_]+\.[A-Za-z0-9_.\-]+", s.id), f"id {s.id!r}: use area.words_with_underscores"
            seen[s.id] = path.name


def test_every_deliberate_difference_has_a_scenario_and_a_reason() -> None:
    known = all_scenarios()
    stale = sorted(set(DIFFERENCES) - set(known))
    assert not stale, f"flyte_nb/differences.py lists ids no scenario has: {stale}"
    assert all(reason.strip() for reason in DIFFERENCES.values())


def test_harness_tells_results_errors_and_tuples_apart() -> None:
    """The comparison itself can fail: a different value, a tuple for a list, an unrelated exception class."""
    error = {"type": "ValueError", "mro": ["ValueError", "Exception", "BaseException", "object"], "message": "x"}
    subclass = {"type": "ConfigError", "mro": ["ConfigError", "ValueError", "Exception"], "message": "y"}
    assert conforms({"result": 1}, {"result": 1}) and not conforms({"result": 1}, {"result": 2})
    assert conforms({"error": error}, {"error": subclass}) and not conforms({"error": subclass}, {"error": error})
    assert not conforms({"result": None}, {"error": error})
    from .run_scenarios import plain

    assert plain((1, [2])) != plain([1, [2]]) and plain({1: "a"}) != plain({"1": "a"})


def test_sdk_differences_doc_is_generated_from_the_list() -> None:
    from flyte_nb.differences import render

    path = Path(__file__).resolve().parents[2] / "docs" / "sdk-differences.md"
    assert path.read_text(encoding="utf-8") == render(), "run: python -m flyte_nb docs"
    assert all(f"`{key}`" in render() for key in DIFFERENCES)


def test_harness_fails_loudly_when_flyte_is_missing_and_calls_a_timeout_bad(tmp_path: Path) -> None:
    """Both sides raising ModuleNotFoundError, or both timing out, must never count as conforming."""
    import json
    import subprocess
    import sys

    from .harness import RUNNER
    from .run_scenarios import run_one

    given = tmp_path / "s.json"
    given.write_text(json.dumps([{"id": "a.b", "code": "result = 1", "timeout": 5, "runner": "inprocess"}]))
    done = subprocess.run([sys.executable, str(RUNNER), "sdk", str(given), str(tmp_path / "o.json")],
                          capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "No module named 'flyte'" in done.stderr  # this venv has no real flyte
    assert not (tmp_path / "o.json").exists()

    import signal

    from .run_scenarios import _on_alarm

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        outcome = run_one("", 0.2)  # `import flyte` alone: here flyte is missing, so it raises...
        assert outcome["error"]["type"] == "ModuleNotFoundError"
        sys.modules["flyte"] = sys.modules["tests.conformance"]  # ...so give it a stand-in module to import
        try:
            assert run_one("import time\ntime.sleep(3)\nresult = 1", 0.2) == {"bad": "timed out after 0.2s", "output": ""}
        finally:
            del sys.modules["flyte"]
    finally:
        signal.signal(signal.SIGALRM, previous)

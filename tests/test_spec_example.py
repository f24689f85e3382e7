"""The spec's example runs verbatim with `import flyte_nb as flyte` (in-process runner)."""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path
from typing import Any

import flyte_nb as flyte
from flyte_nb.config.parameters import Level

SPEC = Path(__file__).parent / "data" / "spec_example.py"


def load() -> dict[str, Any]:
    return runpy.run_path(str(SPEC))


def test_spec_example_runs_and_returns_processed(inprocess: None) -> None:
    ns = load()
    assert asyncio.run(ns["my_task"]("Flyte")) == "Hello Flyte!"
    assert asyncio.run(ns["invoke_process_data"]()) == "Processed input.csv"
    assert flyte.run(ns["invoke_process_data"]).outputs() == ("Processed input.csv",)


def test_inner_call_is_resolved_with_the_override(inprocess: None) -> None:
    ns = load()
    asyncio.run(ns["invoke_process_data"]())
    outer, inner = flyte.registry().runs[-2:]
    assert outer.task == "data_processing_env.invoke_process_data"
    assert inner.task == "data_processing_env.process_data" and inner.parent == outer.id
    assert inner.settings["resources"] == {"parameter": "resources", "value": {"cpu": 4, "memory": "2Gi"},
                                           "level": "override"}
    assert inner.settings["env_vars"]["value"] == {"MY_VAR": "new_value"}
    assert inner.settings["retries"]["value"]["count"] == 3
    assert outer.settings["resources"]["value"] == {"cpu": 1, "memory": "512Mi"}
    assert outer.settings["env_vars"]["value"] == {"MY_VAR": "value"}


def test_spec_example_settings_per_level() -> None:
    ns = load()
    process = ns["process_data"].resolve()
    assert process.value("short_name") == "process" and process["short_name"].level is Level.DECORATOR
    assert process.value("cache").behavior == "auto" and process["cache"].level is Level.DECORATOR
    assert process.value("report") is True
    assert process.value("timeout").seconds("max_runtime") == 60
    assert process.value("docs") == "This task processes data and generates a report."
    assert process["resources"].level is Level.ENVIRONMENT
    env = ns["env_2"]
    assert env.description == "Data processing task environment"
    assert [e.name for e in env.depends_on] == ["another_env"]
    assert set(flyte.registry().environments) == {"another_env", "my_env", "data_processing_env"}

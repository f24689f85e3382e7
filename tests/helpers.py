"""Helpers for the configuration tests: set one parameter at one level."""

from __future__ import annotations

from typing import Any

import flyte_nb as flyte
from flyte_nb.config.parameters import Level


def valid_value(name: str) -> Any:
    """A valid value of each parameter (fresh objects per call)."""
    return {
        "name": "cell_env",
        "short_name": "short",
        "image": flyte.Image.from_debian_base().with_pip_packages("numpy"),
        "resources": flyte.Resources(cpu=2, memory="1Gi"),
        "env_vars": {"A": "1"},
        "secrets": flyte.Secret(key="api_key", as_env_var="API_KEY"),
        "cache": "auto",
        "pod_template": flyte.PodTemplate(labels={"team": "ml"}),
        "reusable": flyte.ReusePolicy(replicas=2, idle_ttl=60),
        "depends_on": [flyte.TaskEnvironment(name="dep_env")],
        "description": "an environment",
        "plugin_config": {"plugin": "x"},
        "report": True,
        "max_inline_io_bytes": 2048,
        "retries": 2,
        "timeout": 30,
        "triggers": flyte.Trigger("hourly", flyte.Cron("0 * * * *")),
        "links": flyte.Link("dash", "https://example.com/{run_name}"),
        "interruptible": True,
        "queue": "gpu-queue",
        "docs": "What the task does.",
    }[name]


async def _func(x: int) -> int:
    return x


def set_at(level: Level, name: str, value: Any, env_settings: dict[str, Any] | None = None) -> Any:
    """Set `name=value` at `level`; return the object holding it (env or task)."""
    if level is Level.ENVIRONMENT:
        settings = {"name": "cell_env", **(env_settings or {})}
        if name == "name":
            settings["name"] = value
        else:
            settings[name] = value
        return flyte.TaskEnvironment(**settings)
    env = flyte.TaskEnvironment(name="cell_env", **(env_settings or {}))
    if level is Level.DECORATOR:
        return env.task(**{name: value})(_func)
    return env.task(_func).override(**{name: value})

"""flyte_nb's resolved settings (Resolution.to_json()) in the canonical form tests/data/sdk_inspect.py
prints for the real SDK's task objects, so the two compare with ==.

Canonical means: the SDK's own normal forms (retries as {count, backoff seconds}, a timeout as
seconds, replicas as (min, max), no timeout as None, env_vars {} for none, the image as base,
Python version and user layers with files by name).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

COMPARED = ("name", "short_name", "image", "resources", "env_vars", "secrets", "cache", "retries", "timeout",
            "reusable", "queue", "interruptible", "report", "max_inline_io_bytes", "docs", "triggers", "links")


def _listify(value: Any) -> Any:
    return [_listify(v) for v in value] if isinstance(value, (list, tuple)) else value


def _image(value: dict[str, Any]) -> dict[str, Any]:
    base = value.get("base", "debian")
    layers = []
    for layer in value.get("layers", []):
        kind = layer["kind"]
        if kind == "pip":
            layers.append(["pip", list(layer["packages"]), layer.get("index_url"), list(layer.get("extra_index_urls", [])),
                           layer.get("pre", False), layer.get("extra_args")])
        elif kind == "apt":
            layers.append(["apt", list(layer["packages"])])
        elif kind == "env":
            layers.append(["env", sorted([k, v] for k, v in layer["env_vars"])])
        elif kind == "commands":
            layers.append(["commands", list(layer["commands"])])
        elif kind == "workdir":
            layers.append(["workdir", layer["path"]])
        elif kind == "requirements":
            layers.append(["requirements", Path(layer["path"]).name])
        else:
            layers.append(["copy", Path(layer["src"]).name, layer["dst"]])
    return {"base": base, "python": list(value["python_version"]), "layers": layers}


def _resources(value: Any) -> Any:
    if not value:
        return None
    return {k: _listify(value.get(k)) for k in ("cpu", "memory", "gpu", "disk", "shm")}


def _timeout(value: Any) -> Any:
    if value is None:
        return None
    return {k: value.get(k) for k in ("max_runtime", "max_queued_time", "deadline")}


def _reusable(value: Any) -> Any:
    if value in (None, "off"):
        return None
    replicas = value.get("replicas", 2)
    replicas = list(replicas) if isinstance(replicas, list) else [replicas, replicas]
    return {"replicas": replicas, "idle_ttl": value.get("idle_ttl", 30.0), "concurrency": value.get("concurrency", 1),
            "scaledown_ttl": value.get("scaledown_ttl", 30.0), "scope": value.get("scope", "global")}


def _trigger(value: dict[str, Any]) -> dict[str, Any]:
    automation = value["automation"]
    if "expression" in automation:
        auto = {"cron": automation["expression"], "timezone": automation.get("timezone", "UTC")}
    else:
        auto = {"every_minutes": automation["interval_minutes"], "start": automation.get("start_time")}
    return {"name": value["name"], "automation": auto, "description": value.get("description", ""),
            "auto_activate": value.get("auto_activate", True), "inputs": value.get("inputs"),
            "env_vars": value.get("env_vars")}


def canonical(task_name: str, resolution: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One task's settings from Resolution.to_json() ({parameter: {value, level}})."""
    v = {name: entry["value"] for name, entry in resolution.items()}
    cache = v["cache"]
    retries = v["retries"]
    return {
        "name": task_name,
        "short_name": v["short_name"],
        "image": _image(v["image"]),
        "resources": _resources(v["resources"]),
        "env_vars": dict(v["env_vars"] or {}),
        "secrets": [{"key": s["key"], "group": s.get("group"), "mount": s.get("mount"), "as_env_var": s.get("as_env_var")}
                    for s in v["secrets"] or []],
        "cache": {"behavior": cache["behavior"], "version_override": cache.get("version_override"),
                  "serialize": cache.get("serialize", False), "ignored_inputs": list(cache.get("ignored_inputs", [])),
                  "salt": cache.get("salt", ""), "max_age": cache.get("max_age")},
        "retries": {"count": retries["count"], "backoff": retries.get("backoff")},
        "timeout": _timeout(v["timeout"]),
        "reusable": _reusable(v["reusable"]),
        "queue": v["queue"],
        "interruptible": v["interruptible"],
        "report": v["report"],
        "max_inline_io_bytes": v["max_inline_io_bytes"],
        "docs": v["docs"],
        "triggers": [_trigger(t) for t in v["triggers"] or []],
        "links": [{"name": link["name"], "url": link.get("url")} for link in v["links"] or []],
    }


def plain_config(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """A plugin config (dataclasses, lists, dicts) as plain data; `leaf` gives the form of a value it knows
    (Resources) or None. Shared by both sides: tests/data/sdk_inspect.py (the SDK's) and the tests (flyte_nb's)."""
    known = leaf(value)
    if known is not None:
        return known
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_config(getattr(value, f.name), leaf) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain_config(v, leaf) for v in value]
    if isinstance(value, dict):
        return {k: plain_config(v, leaf) for k, v in value.items()}
    return value

"""Run by the REAL flyte SDK's venv (never flyte_nb's): import an exported project, print JSON.

    python sdk_inspect.py PARENT PACKAGE [--run]

prints {"tasks": {task name: settings the SDK holds, in the canonical form of
tests/test_export.py}, "output": repr of main.main("local").outputs() (with --run)}.
Only the SDK's own objects are read here; nothing of flyte_nb is imported.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import flyte
from flyte import _image
from sdk_canonical import plain_config  # this script's folder is sys.path[0]; the module imports nothing of flyte_nb


def seconds(value: Any) -> Any:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return None if value is None else float(value)


def plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def image(task: Any) -> dict[str, Any]:
    img = task.image
    if img.dockerfile is not None:
        base = "dockerfile"
    elif (img.base_image or "").startswith("ghcr.io/flyteorg/flyte:"):
        base = "debian"
    else:
        base = img.base_image
    layers = []
    for layer in img._layers:
        if isinstance(layer, _image.Requirements):
            layers.append(["requirements", Path(layer.file).name])
        elif isinstance(layer, _image.PipPackages):
            layers.append(["pip", list(layer.packages or ()), layer.index_url, list(layer.extra_index_urls or ()),
                           layer.pre, layer.extra_args])
        elif isinstance(layer, _image.AptPackages):
            layers.append(["apt", list(layer.packages)])
        elif isinstance(layer, _image.Env):
            layers.append(["env", sorted([k, v] for k, v in layer.env_vars)])
        elif isinstance(layer, _image.Commands):
            layers.append(["commands", list(layer.commands)])
        elif isinstance(layer, _image.WorkDir):
            layers.append(["workdir", layer.workdir])
        elif isinstance(layer, _image.CopyConfig):
            layers.append(["copy", Path(layer.src).name, layer.dst])
        else:
            layers.append(["other", type(layer).__name__])
    return {"base": base, "python": list(img.python_version), "layers": layers}


def resources(value: Any) -> Any:
    if value is None:
        return None
    gpu = value.gpu
    if isinstance(gpu, flyte.Device):
        gpu = {"quantity": gpu.quantity, "device_class": gpu.device_class, "device": gpu.device,
               "partition": gpu.partition}
    out = {"cpu": plain(value.cpu), "memory": plain(value.memory), "gpu": gpu, "disk": value.disk, "shm": value.shm}
    return out if any(v is not None for v in out.values()) else None


def secrets(value: Any) -> list[dict[str, Any]]:
    items = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        item = flyte.Secret(key=item) if isinstance(item, str) else item
        out.append({"key": item.key, "group": item.group, "mount": plain(item.mount), "as_env_var": item.as_env_var})
    return out


def cache(value: Any) -> dict[str, Any]:
    value = flyte.Cache(behavior=value) if isinstance(value, str) else value
    ignored = value.ignored_inputs
    return {"behavior": value.behavior, "version_override": value.version_override, "serialize": value.serialize,
            "ignored_inputs": [ignored] if isinstance(ignored, str) else list(ignored or ()), "salt": value.salt,
            "max_age": seconds(value.max_age)}


def retries(value: Any) -> dict[str, Any]:
    value = flyte.RetryStrategy(count=value) if isinstance(value, int) else value
    backoff = value.backoff
    if backoff is not None:  # flyte_nb's JSON form of a flyte.Backoff: its set fields, delays in seconds
        backoff = {"base": seconds(backoff.base), "factor": backoff.factor,
                   **({"cap": seconds(backoff.cap)} if backoff.cap is not None else {})}
    return {"count": value.count, "backoff": backoff}


def timeout(value: Any) -> Any:
    if not value:  # 0 and None: no limit
        return None
    if isinstance(value, flyte.Timeout):
        return {"max_runtime": seconds(value.max_runtime), "max_queued_time": seconds(value.max_queued_time),
                "deadline": seconds(value.deadline)}
    return {"max_runtime": seconds(value), "max_queued_time": None, "deadline": None}


def reusable(value: Any) -> Any:
    if value is None:
        return None
    replicas = value.replicas if isinstance(value.replicas, tuple) else (value.replicas, value.replicas)
    return {"replicas": list(replicas), "idle_ttl": seconds(value.idle_ttl), "concurrency": value.concurrency,
            "scaledown_ttl": seconds(value.scaledown_ttl), "scope": value.scope}


def triggers(value: Any) -> list[dict[str, Any]]:
    out = []
    for trigger in value:
        automation = trigger.automation
        if isinstance(automation, flyte.Cron):
            auto = {"cron": automation.expression, "timezone": automation.timezone}
        else:
            start = automation.start_time
            auto = {"every_minutes": automation.interval_minutes, "start": start.isoformat() if start else None}
        out.append({"name": trigger.name, "automation": auto, "description": trigger.description,
                    "auto_activate": trigger.auto_activate, "inputs": trigger.inputs, "env_vars": trigger.env_vars})
    return out


def docs(task: Any) -> Any:
    value = task.docs
    if isinstance(value, flyte.Documentation):
        value = value.description
    return value if value else inspect.getdoc(task.func)


def plugin(task: Any) -> Any:
    """The task's plugin (its class and task_type) and the plugin config it holds; None for a plain task."""
    config = getattr(task, "plugin_config", None)
    if config is None:
        return None
    return {"task_class": type(task).__name__, "task_type": task.task_type,
            "config_class": f"{type(config).__module__}.{type(config).__qualname__}", "config": plain_config(config, lambda v: resources(v) if isinstance(v, flyte.Resources) else None)}


def settings(task: Any) -> dict[str, Any]:
    """The canonical form of what the SDK task object holds (see tests/test_export.py: canonical)."""
    return {
        "name": task.name,
        "short_name": task.short_name,
        "image": image(task),
        "resources": resources(task.resources),
        "env_vars": dict(task.env_vars or {}),
        "secrets": secrets(task.secrets),
        "cache": cache(task.cache),
        "retries": retries(task.retries),
        "timeout": timeout(task.timeout),
        "reusable": reusable(task.reusable),
        "queue": task.queue,
        "interruptible": task.interruptible,
        "report": task.report,
        "max_inline_io_bytes": task.max_inline_io_bytes,
        "docs": docs(task),
        "triggers": triggers(task.triggers),
        "links": [{"name": link.name, "url": getattr(link, "url", None)} for link in task.links],
        "plugin": plugin(task),
    }


def tasks(package: str) -> dict[str, Any]:
    """Every task of the package, as its module's global of the function's name holds it (overrides applied)."""
    root = importlib.import_module(package)
    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(root.__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for attr, value in vars(module).items():
            if isinstance(value, flyte.TaskTemplate) and value.name == f"{value.parent_env_name}.{attr}":
                found[value.name] = settings(value)
    return found


def main() -> None:
    parent, package = sys.argv[1], sys.argv[2]
    sys.path.insert(0, parent)
    result: dict[str, Any] = {"flyte": flyte.version(), "tasks": tasks(package)}
    if "--run" in sys.argv:
        main_module = importlib.import_module(f"{package}.main")
        try:
            run = main_module.main("local")
            result["output"] = repr(tuple(run.outputs()))
        except Exception as error:  # noqa: BLE001 - the test compares the failure too
            result["output"] = f"error: {type(error).__name__}: {error}"
    print("SDK-JSON " + json.dumps(result, default=str))


if __name__ == "__main__":
    main()

"""flyte.load_plugin_config(path): a plugin config (a dataclass, e.g. a Ray job's) from a YAML file.

The file is the SDK's format: a mapping with `plugin` (the config class's fully qualified name) and
an optional `config` mapping of constructor arguments, nested dataclasses as nested mappings.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
import types
import typing
from typing import Any, Union


def _load_class(qualified_name: Any) -> type:
    """"package.module.Class" -> the class; ValueError naming it when it cannot be imported."""
    module_name, _, class_name = str(qualified_name).rpartition(".")
    try:
        if not module_name:
            raise ValueError("not a fully qualified name")
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f"Could not load plugin config class {qualified_name!r}: {error}. Make sure the plugin "
                         "package is installed and the name is fully qualified, "
                         "e.g. 'flyteplugins.ray.RayJobConfig'.") from error


def _coerce(field_type: Any, value: Any) -> Any:
    """A YAML value in the shape a dataclass field expects (nested dataclasses, lists, dicts, Optional)."""
    if value is None or field_type is None:
        return value
    origin, args = typing.get_origin(field_type), typing.get_args(field_type)
    if origin is Union or origin is types.UnionType:  # Optional[X] and X | None alike
        for candidate in (arg for arg in args if arg is not type(None)):
            try:
                return _coerce(candidate, value)
            except (TypeError, ValueError):
                continue
        return value
    if origin is list and isinstance(value, list):
        return [_coerce(args[0] if args else None, item) for item in value]
    if origin is dict and isinstance(value, dict):
        return {key: _coerce(args[1] if len(args) > 1 else None, item) for key, item in value.items()}
    if isinstance(field_type, type) and dataclasses.is_dataclass(field_type) and isinstance(value, dict):
        return _build(field_type, value)
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    """A dataclass instance from a mapping; unknown fields are a ValueError listing the valid ones."""
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"{cls!r} is not a dataclass; cannot build it from a plugin config file.")
    hints = typing.get_type_hints(cls)
    valid = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ValueError(f"Unknown field(s) {unknown} for plugin config class {cls.__module__}.{cls.__qualname__}. "
                         f"Valid fields: {sorted(valid)}")
    return cls(**{key: _coerce(hints.get(key), value) for key, value in data.items()})


def load_plugin_config(path: Union[str, pathlib.Path]) -> Any:
    """Read `path` (YAML: plugin + config) and build the plugin config it names."""
    import yaml

    path = pathlib.Path(path)
    with path.open("r") as handle:
        raw = yaml.safe_load(handle) or {}
    if not isinstance(raw, dict) or "plugin" not in raw:
        raise ValueError(f"Plugin config file {path} must be a YAML mapping with a top-level 'plugin' key "
                         "(the fully qualified plugin config class name), e.g.:\n\n"
                         "plugin: flyteplugins.ray.RayJobConfig\nconfig:\n  worker_node_config: [...]")
    config = raw.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"Plugin config file {path}: 'config' must be a mapping, got {type(config)}")
    return _build(_load_class(raw["plugin"]), config)

"""Settings as JSON (for the panel, the sidebar, run records) and as Python code (Show code, export)."""

from __future__ import annotations

import enum
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pydantic

#: A hook that writes some values differently (the export writes code for the real flyte SDK);
#: it returns None for values it leaves to to_code.
Special = Callable[[Any], "str | None"]


def to_jsonable(value: Any) -> Any:
    """A JSON-safe form of a setting value; environments become their names."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, pydantic.BaseModel):
        derived = getattr(value, "derived_defaults", lambda: {})()
        return {k: to_jsonable(v) for k, v in value if v is not None and not (k in derived and derived[k] == v)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


def _shorthand(value: Any, prefix: str) -> str | None:
    """The SDK's short forms: cache="auto", retries=3, timeout=60, images as builder chains."""
    kind = type(value).__name__
    if kind == "Cache" and value == type(value)(behavior=value.behavior):
        return repr(value.behavior)
    if kind == "RetryStrategy" and value.backoff is None:
        return repr(value.count)
    if kind == "Timeout" and value.max_queued_time is None and value.deadline is None and value.max_runtime:
        seconds = value.seconds("max_runtime")
        return repr(int(seconds)) if seconds == int(seconds) else f"datetime.timedelta(seconds={seconds:g})"
    if kind == "Image":
        return image_code(value, prefix)
    return None


def image_code(image: Any, prefix: str = "flyte.") -> str:
    """flyte.Image.from_debian_base(...).with_pip_packages(...)...: the builder chain of an Image."""
    name = f", name={image.name!r}" if image.name != "default" else ""
    layers = image.layers
    if image.base == "debian" and layers and layers[0].kind == "pixi":
        chain, layers = prefix + pixi_constructor(layers[0], image.name), layers[1:]
    elif image.base == "debian":
        chain = f"{prefix}Image.from_debian_base(python_version={tuple(image.python_version)!r}{name})"
    elif image.base == "dockerfile":
        chain = f"{prefix}Image.from_dockerfile(<Dockerfile of {image.name}>, name={image.name!r})"
    else:
        chain = f"{prefix}Image.from_base({image.base!r}{name})"
    for layer in layers:
        chain += layer_code(layer) or ""
    return chain


def pixi_constructor(layer: Any, name: str, path: Callable[[Any], str] = repr) -> str:
    """`Image.from_pixi_script(...)`: a pixi layer is where its image starts, not a builder call on one."""
    options = f", environment={layer.environment!r}" if layer.environment != "default" else ""
    options += f", extra_args={layer.extra_args!r}" if layer.extra_args else ""
    return f"Image.from_pixi_script({path(layer.script)}, name={name!r}{options})"


def layer_code(layer: Any, path: Callable[[Any], str] = repr) -> str | None:
    """`.with_pip_packages(...)` and the like: one Image layer as its builder call; None for an
    unknown kind. `path` writes the file a layer names (the export copies it into the project)."""
    if layer.kind == "pip":
        options = "".join(f", {k}={getattr(layer, k)!r}" for k in ("index_url", "extra_args") if getattr(layer, k))
        if layer.extra_index_urls:
            options += f", extra_index_urls={list(layer.extra_index_urls)!r}"
        if layer.pre:
            options += ", pre=True"
        return f".with_pip_packages({', '.join(map(repr, layer.packages))}{options})"
    if layer.kind == "apt":
        return f".with_apt_packages({', '.join(map(repr, layer.packages))})"
    if layer.kind == "env":
        return f".with_env_vars({dict(layer.env_vars)!r})"
    if layer.kind == "commands":
        return f".with_commands({list(layer.commands)!r})"
    if layer.kind == "workdir":
        return f".with_workdir({layer.path!r})"
    if layer.kind == "requirements":
        return f".with_requirements({path(layer.path)})"
    if layer.kind in ("source_file", "source_folder"):
        return f".with_{layer.kind}({path(layer.src)}, {layer.dst!r})"
    if layer.kind == "dockerignore":
        return f".with_dockerignore({path(layer.path)})"
    return None


def to_code(value: Any, prefix: str = "flyte.", special: Special | None = None) -> str:
    """Python source that rebuilds a setting value with the flyte API (models prefixed with `flyte.`).

    `special`, when given, is asked first for every value, nested ones included.
    """
    if special is not None and (code := special(value)) is not None:
        return code
    short = _shorthand(value, prefix)
    if short is not None:
        return short
    if isinstance(value, pydantic.BaseModel):
        fields = type(value).model_fields
        args = []
        for key in fields:
            item = getattr(value, key)
            default = value.default_of(key) if hasattr(value, "default_of") else fields[key].get_default(
                call_default_factory=True)
            if key == "kind" or item == default:
                continue
            args.append(f"{key}={to_code(item, prefix, special)}")
        return f"{prefix}{type(value).__name__}({', '.join(args)})"
    if isinstance(value, timedelta):
        return f"datetime.timedelta(seconds={value.total_seconds():g})"
    if isinstance(value, Path):
        return f"pathlib.Path({str(value)!r})"
    if isinstance(value, tuple):
        inner = ", ".join(to_code(v, prefix, special) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(to_code(v, prefix, special) for v in value) + "]"
    if isinstance(value, dict) or (hasattr(value, "items") and not isinstance(value, str)):
        return "{" + ", ".join(f"{to_code(k, prefix, special)}: {to_code(v, prefix, special)}" for k, v in value.items()) + "}"
    name = getattr(value, "name", None)
    if type(value).__name__ == "TaskEnvironment" and isinstance(name, str):
        return getattr(value, "variable_name", None) or name
    return repr(value)

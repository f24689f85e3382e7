"""The sidebar's typed forms: each parameter's pydantic JSON schema made into one that
JupyterLab's FormComponent (rjsf) renders well, its form data, and the value a form's data means.

One source: the schema is the parameter table's pydantic schema (`Parameter.json_schema`) with
what a form cannot hold taken out (null options, (request, limit) tuples, untyped fields) and
a few hints put in (titles of the choices, quantity inputs with units, accelerator and secret
pickers). A value only the expression box can write (images, pod templates, plugin configs,
depends_on) has no form: the sidebar shows the "as code" box only. The kernel still validates
every edit with the table's model, so a form never decides what is allowed.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from functools import lru_cache
from typing import Any

import pydantic

from .config.devices import ACCELERATOR_COUNTS
from .config.durations import TEXT_PATTERN, as_text, parse_text
from .config.errors import ConfigError
from .config.parameters import BY_NAME, Parameter

#: Parameters written only as code (their values are builder chains, objects or environments).
CODE_ONLY = frozenset({"image", "pod_template", "plugin_config", "depends_on", "triggers"})
#: Titles of a parameter's choices (rjsf shows them in the choice's select), in schema order.
CHOICE_TITLES: dict[str, tuple[str, ...]] = {
    "retries": ("count", "RetryStrategy"),
    "timeout": ("seconds", "Timeout"),
    "cache": ("behavior", "Cache"),
    "reusable": ("ReusePolicy", "off"),
    "secrets": ("one key", "Secret", "list"),
    "links": ("Link", "list"),
}
QUANTITY = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$"
_CORES: dict[str, Any] = {"type": "number", "minimum": 0}
_BYTES: dict[str, Any] = {"type": "string", "pattern": QUANTITY}


def _request_limit(one: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    """One quantity, or a (request, limit) pair of them: the form's request and limit inputs."""
    pair = {"type": "array", "items": dict(one), "minItems": 2, "maxItems": 2, "x-tuple": True,
            "title": "request, limit"}
    return {"title": title, "description": description, "anyOf": [{**one, "title": "request"}, pair]}


#: Resources fields typed by hand: cpu and memory a request with an optional limit, disk and shm one quantity.
_RESOURCE_FIELDS: dict[str, dict[str, Any]] = {
    "cpu": _request_limit(_CORES, "cpu", "cores, e.g. 0.5 or 2; a limit makes it (request, limit)"),
    "memory": _request_limit(_BYTES, "memory", "a limit makes it (request, limit)"),
    "disk": {**_BYTES, "title": "disk"},
    "shm": {**_BYTES, "title": "shm"},
}
_QUANTITY_UI = {"ui:widget": "quantity"}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every $ref replaced by its definition; a model keeps its class in x-class."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        target = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return {**_inline(target, defs), "x-class": name}
    return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}


def _simplify(node: dict[str, Any]) -> dict[str, Any] | None:
    """What a form can edit of a schema node; None when nothing (an untyped field)."""
    node = {k: v for k, v in node.items() if not (k == "default" and v is None) and k != "discriminator"}
    if "anyOf" in node:
        options = [s for o in node.pop("anyOf") if (s := _option(o)) is not None]
        numeric = [o for o in options if o.get("type") in ("integer", "number")]
        if numeric:  # seconds as a number: the ISO duration string is code only
            options = [o for o in options if o.get("format") != "duration" and not o.get("x-duration")]
            if len(numeric) == 2:
                options.remove(numeric[0])
        if not options:
            return None
        if len(options) == 1:
            return {**options[0], **node}
        return {**node, "anyOf": options}
    if node.get("format") == "duration":  # people write 30s or 1h30m, not ISO's PT1H30M
        del node["format"]
        if isinstance(node.get("default"), str):
            node["default"] = as_text(parse_text(node["default"], "default"))
        node.update({"pattern": TEXT_PATTERN, "x-duration": True,
                     "description": node.get("description") or "a duration: 30s, 5m, 1h30m (a number is seconds)"})
    if "prefixItems" in node:  # a fixed-size tuple (ReusePolicy.replicas): an array of its item type
        node["items"] = _simplify(node.pop("prefixItems")[0]) or {}
        node["x-tuple"] = True
    if isinstance(node.get("items"), dict):
        node["items"] = _simplify(node["items"]) or {"type": "string"}
    if "properties" in node:
        node["properties"] = {k: s for k, v in node["properties"].items() if (s := _simplify(v)) is not None}
    if "type" not in node and "const" not in node and "enum" not in node:
        return None
    return node


def _option(node: dict[str, Any]) -> dict[str, Any] | None:
    """One choice of an anyOf: None for null and for (request, limit) tuples (code only)."""
    if node.get("type") == "null" or (node.get("type") == "array" and "prefixItems" in node
                                      and "maxItems" in node and node.get("title") is None):
        return None
    return _simplify(node)


def _drop_class_docs(node: Any) -> None:
    """Leave out the models' docstrings (the row shows the parameter's doc; a sidebar has no room)."""
    if isinstance(node, dict):
        if "x-class" in node:
            node.pop("description", None)
        for value in node.values():
            _drop_class_docs(value)
    elif isinstance(node, list):
        for item in node:
            _drop_class_docs(item)


def accelerators() -> list[str]:
    """The "NAME:COUNT" gpu strings the picker offers (the smallest count of each accelerator)."""
    return [f"{name}:{counts[0]}" for name, (counts, _) in ACCELERATOR_COUNTS.items()]


def _resources(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Resources' form: quantities with units, cpu/memory request and limit, the GPU picker (a model
    and a count from config/devices.py's table: what `gpu="MODEL:COUNT"` accepts)."""
    props = schema["properties"]
    props.update(copy.deepcopy(_RESOURCE_FIELDS))
    gpu = props["gpu"]
    gpu["title"] = "gpu"
    gpu["x-devices"] = {name: list(counts) for name, (counts, _) in ACCELERATOR_COUNTS.items()}
    for option, title in zip(gpu["anyOf"], ("accelerator", "count", "Device")):
        option["title"] = title
        if title == "accelerator":
            option["examples"] = accelerators()
        elif title == "count":
            option["minimum"] = 0
    ui: dict[str, Any] = {name: _QUANTITY_UI for name in ("disk", "shm")}
    # rjsf's own anyOf select is replaced by the form's fields (form.tsx: requestLimit, gpu).
    ui["cpu"] = {"ui:field": "requestLimit", "ui:fieldReplacesAnyOrOneOf": True, "ui:options": {"unit": "cores"}}
    ui["memory"] = {"ui:field": "requestLimit", "ui:fieldReplacesAnyOrOneOf": True, "ui:options": {"unit": "bytes"}}
    ui["gpu"] = {"ui:field": "gpu", "ui:fieldReplacesAnyOrOneOf": True}
    return schema, ui


def _titled(schema: dict[str, Any], titles: tuple[str, ...]) -> None:
    for option, title in zip(schema.get("anyOf", []), titles):
        option["title"] = title


def _with_secret_keys(node: Any, keys: tuple[str, ...]) -> None:
    """Offer the stored secret keys wherever a key is typed (a datalist: other keys stay allowed)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("title") in (None, "Key", "one key"):
            node["examples"] = list(keys)
        for value in node.values():
            _with_secret_keys(value, keys)
    elif isinstance(node, list):
        for item in node:
            _with_secret_keys(item, keys)


@lru_cache(maxsize=64)
def _form(name: str, secret_keys: tuple[str, ...]) -> dict[str, Any] | None:
    parameter = BY_NAME[name]
    if name in CODE_ONLY:
        return None
    raw = parameter.json_schema()
    schema = _simplify(_inline(raw, raw.get("$defs", {})))
    if schema is None:
        return None
    if schema.get("type") == "object" and "title" in raw:  # the root is a model itself (Resources)
        schema["x-class"] = raw["title"]
    _drop_class_docs(schema)
    ui: dict[str, Any] = {}
    if name == "resources":
        schema, ui = _resources(schema)
    _titled(schema, CHOICE_TITLES.get(name, ()))
    if name == "secrets":
        _with_secret_keys(schema, secret_keys)
    schema["title"] = name
    return {"schema": schema, "ui": {"ui:submitButtonOptions": {"norender": True}, **ui}}


def form(parameter: Parameter, secret_keys: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The form of one parameter ({schema, ui}), or None when it is written as code only."""
    found = _form(parameter.name, tuple(secret_keys))
    return copy.deepcopy(found) if found is not None else None


# ---- values <-> form data ----------------------------------------------------------------------
def form_data(value: Any) -> Any:
    """A setting value as the form holds it: short forms where the SDK has them (retries=3,
    cache="auto", timeout=60), durations as people write them (40s, 1h30m), models as their fields."""
    kind = type(value).__name__
    if kind == "RetryStrategy" and value.backoff is None:
        return value.count
    if kind == "Cache" and value == type(value)(behavior=value.behavior):
        return value.behavior
    if kind == "Timeout" and value.max_queued_time is None and value.deadline is None and value.max_runtime:
        return value.seconds("max_runtime")
    if isinstance(value, timedelta):
        return as_text(value)
    if isinstance(value, pydantic.BaseModel):
        defaults = {k: f.get_default(call_default_factory=True) for k, f in type(value).model_fields.items()}
        return {k: form_data(v) for k, v in value if v is not None and v != defaults.get(k)}
    if isinstance(value, dict):
        return {str(k): form_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [form_data(v) for v in value]
    return value


def from_form(parameter: Parameter, data: Any) -> Any:
    """The value a form's data means (None: unset), built with flyte_nb's own classes so the table's
    model validates it exactly as it validates code."""
    found = form(parameter)
    if found is None:
        raise ConfigError(f"{parameter.name} has no form: write it as code", parameter=parameter.name)
    return _build(found["schema"], data, parameter.name)


def _build(schema: dict[str, Any], data: Any, name: str) -> Any:
    if data is None:
        return None
    if "anyOf" in schema:
        return _build(_matching(schema["anyOf"], data, name), data, name)
    if isinstance(data, dict) and schema.get("type") == "object":
        props = schema.get("properties", {})
        fields = {k: _build(props.get(k, {}), v, f"{name}.{k}") for k, v in data.items() if v not in (None, "")}
        cls = schema.get("x-class")
        if cls is None:
            return fields
        import flyte_nb

        return getattr(flyte_nb, cls)(**fields)
    if isinstance(data, list) and schema.get("type") == "array":
        items = [_build(schema.get("items", {}), item, name) for item in data]
        return tuple(items) if schema.get("x-tuple") else items
    if isinstance(data, str) and (schema.get("x-duration") or schema.get("format") == "duration"):
        try:
            return parse_text(data, name)
        except ValueError as error:
            raise ConfigError(str(error), parameter=name.split(".")[0], value=data) from None
    return data


def _matching(options: list[dict[str, Any]], data: Any, name: str) -> dict[str, Any]:
    """The choice a piece of form data belongs to (by its JSON type, then by its fields)."""
    json_type = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
                 float: "number"}.get(type(data))
    for option in options:
        kind = option.get("type")
        if kind == json_type or (kind == "number" and json_type == "integer"):
            if kind != "object" or set(data) <= set(option.get("properties", {})):
                return option
        if "const" in option and option["const"] == data:
            return option
    raise ConfigError(f"{name}: the form sent {data!r}, which matches none of its choices", parameter=name.split(".")[0],
                      value=data)

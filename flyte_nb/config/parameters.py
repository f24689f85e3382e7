"""THE parameter table of the spec (configure-tasks.txt), as data, once.

21 parameters x 3 levels. Validation, error messages, provenance, the generated
docs/parameters.md, the magics' help, the widget panel and the JupyterLab sidebar all read
this module; nothing else restates which parameter may be set where.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Any, Callable, Literal, Union

import pydantic

from .cache import Cache, normalize_cache
from .image import Image, normalize_image
from .links import Link, normalize_links
from .pod_template import PodTemplate, normalize_pod_template
from .resources import Resources
from .retries import RetryStrategy, Timeout, normalize_retries, normalize_timeout
from .model import ENV_NAME
from .reuse import ReusePolicy, normalize_reusable
from .secrets import Secret, normalize_secrets
from .triggers import Trigger, normalize_triggers


class Level(str, enum.Enum):
    """Where an effective value came from; the first three are the spec's levels."""

    ENVIRONMENT = "environment"
    DECORATOR = "decorator"
    OVERRIDE = "override"
    DEFAULT = "default"

    @property
    def title(self) -> str:
        return _LEVEL_TITLES[self]

    @property
    def rank(self) -> int:
        """More specific levels rank higher; the highest set level wins."""
        return _LEVEL_RANKS[self]


_LEVEL_TITLES = {
    Level.ENVIRONMENT: "TaskEnvironment",
    Level.DECORATOR: "@env.task decorator",
    Level.OVERRIDE: "task.override()",
    Level.DEFAULT: "default",
}
_LEVEL_RANKS = {Level.DEFAULT: 0, Level.ENVIRONMENT: 1, Level.DECORATOR: 2, Level.OVERRIDE: 3}
#: The three levels a user sets, most general first.
LEVELS: tuple[Level, ...] = (Level.ENVIRONMENT, Level.DECORATOR, Level.OVERRIDE)


class Rule(str, enum.Enum):
    """A cell of the table."""

    REQUIRED = "required"
    YES = "yes"
    NO = "no"
    IF_NOT_REUSABLE = "if not reusable"

    @property
    def allowed(self) -> bool:
        return self is not Rule.NO

    @property
    def mark(self) -> str:
        return {"required": "✅ Yes (required)", "yes": "✅ Yes", "no": "❌ No",
                "if not reusable": "✅ Yes (if not reusable)"}[self.value]


# ---- value types (pydantic) of each parameter ------------------------------------------------


def _env_vars(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"env_vars must be a dict of str to str, not {value!r}")
    for key, item in value.items():
        if not isinstance(key, str) or not ENV_NAME.match(key):
            raise ValueError(f"env_vars key {key!r} is not a valid environment variable name")
        if not isinstance(item, str):
            raise ValueError(f"env_vars[{key!r}] must be a str, got {item!r}")
        if "\0" in item:  # the engine and execve() cannot carry a NUL byte
            raise ValueError(f"env_vars[{key!r}] contains a NUL character (\\x00), which no environment can hold")
    return dict(value)


def _depends_on(value: Any) -> tuple[Any, ...]:
    from ..environment import Environment  # the table names the type; the class lives above config

    items = value if isinstance(value, (list, tuple)) else None
    if items is None:
        raise ValueError(f"depends_on must be a list of flyte.TaskEnvironment, not {value!r}")
    for item in items:
        if not isinstance(item, Environment):
            raise ValueError(f"depends_on must hold flyte.TaskEnvironment objects, got {item!r}")
    return tuple(items)


def _plugin_config(value: Any) -> Any:
    if value is None:
        raise ValueError("plugin_config must be a plugin's config object, not None")
    return value


def _resources(value: Any) -> Resources:
    if not isinstance(value, Resources):
        raise ValueError(f"resources must be a flyte.Resources, not {value!r}")
    return value


_NAME_PATTERN = r"^[a-z0-9]+([_-][a-z0-9]+)*$"
_QUEUE_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$"
_Str = Annotated[str, pydantic.Strict()]


def _before(normalize: Callable[[Any], Any], core: Any, accepts: Any) -> Any:
    """A type that accepts the SDK's shorthand forms (`accepts`) and stores the normal form (`core`)."""
    return Annotated[core, pydantic.BeforeValidator(normalize, json_schema_input_type=accepts)]


_TYPES: dict[str, Any] = {
    "name": Annotated[_Str, pydantic.Field(pattern=_NAME_PATTERN, max_length=63)],
    "short_name": Annotated[_Str, pydantic.Field(min_length=1, max_length=63, pattern=r"^[^\s\x00]+$")],
    "image": _before(normalize_image, Image, Union[Literal["auto"], str, Image]),
    "resources": _before(_resources, Resources, Resources),
    "env_vars": _before(_env_vars, dict[str, str], dict[str, str]),
    "secrets": _before(normalize_secrets, tuple[Secret, ...], Union[str, Secret, list[Union[str, Secret]]]),
    "cache": _before(normalize_cache, Cache, Union[Literal["auto", "override", "disable"], Cache]),
    "pod_template": _before(normalize_pod_template, Union[PodTemplate, str], Union[str, PodTemplate]),
    "reusable": _before(normalize_reusable, Union[ReusePolicy, Literal["off"], None],
                        Union[ReusePolicy, Literal["off"], None]),
    "depends_on": Annotated[Any, pydantic.BeforeValidator(_depends_on),
                            pydantic.WithJsonSchema({"type": "array", "items": {"type": "string"},
                                                     "description": "names of TaskEnvironments"})],
    "description": Annotated[_Str, pydantic.Field(max_length=255)],
    "plugin_config": Annotated[Any, pydantic.BeforeValidator(_plugin_config),
                               pydantic.WithJsonSchema({"type": "object", "description": "a plugin's config"})],
    "report": pydantic.StrictBool,
    "max_inline_io_bytes": Annotated[int, pydantic.Strict(), pydantic.Field(ge=0)],
    "retries": _before(normalize_retries, RetryStrategy, Union[Annotated[int, pydantic.Field(ge=0)], RetryStrategy]),
    "timeout": _before(normalize_timeout, Union[Timeout, None], Union[int, timedelta, Timeout, None]),
    "triggers": _before(normalize_triggers, tuple[Trigger, ...], Union[Trigger, list[Trigger]]),
    "links": _before(normalize_links, tuple[Any, ...], Union[Link, list[Link]]),
    "interruptible": pydantic.StrictBool,
    "queue": Annotated[_Str, pydantic.Field(pattern=_QUEUE_PATTERN, max_length=63)],
    "docs": _Str,
}


@dataclass(frozen=True)
class Parameter:
    """One row of the table: where it may be set, its type, default and meaning."""

    name: str
    environment: Rule
    decorator: Rule
    override: Rule
    type_hint: str
    default: Any
    doc: str
    details: str
    #: For defaults that depend on the task (short_name, docs): the computed default's description.
    default_note: str = ""
    #: None given to override() means "clear it" (timeout=None: no limit) rather than "not set".
    nullable_override: bool = field(default=False)

    def rule(self, level: Level) -> Rule:
        return {Level.ENVIRONMENT: self.environment, Level.DECORATOR: self.decorator,
                Level.OVERRIDE: self.override}[level]

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels where this parameter may be set."""
        return tuple(level for level in LEVELS if self.rule(level).allowed)

    @cached_property
    def adapter(self) -> pydantic.TypeAdapter[Any]:
        return pydantic.TypeAdapter(_TYPES[self.name])

    def json_schema(self) -> dict[str, Any]:
        return self.adapter.json_schema(mode="validation")


Y, N, R, IF = Rule.YES, Rule.NO, Rule.REQUIRED, Rule.IF_NOT_REUSABLE
MIB = 1024 * 1024

# name, TaskEnvironment, @env.task, override, type, default, meaning, details page of the spec
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("name", R, N, N, "str", None,
              "Name of the TaskEnvironment; tasks are named '<env>.<function>'.", "Additional task settings"),
    Parameter("short_name", N, Y, Y, "str", None, "Display name of the task.", "Additional task settings",
              default_note="the function's name"),
    Parameter("image", Y, N, N, "Image | str | 'auto'", "auto", "Container image the tasks run in.",
              "Container images"),
    Parameter("resources", Y, N, IF, "Resources", None, "cpu, memory, gpu, disk and shm of the container.",
              "Resources"),
    Parameter("env_vars", Y, N, IF, "dict[str, str]", {}, "Environment variables set in the container.",
              "Additional task settings"),
    Parameter("secrets", Y, N, IF, "str | Secret | list", (), "Secrets mounted or exported in the container.",
              "Secrets"),
    Parameter("cache", Y, Y, Y, "'auto' | 'override' | 'disable' | Cache", "disable",
              "Reuse outputs of earlier calls with the same inputs.", "Caching"),
    Parameter("pod_template", Y, Y, Y, "PodTemplate | str", None, "Pod settings beyond the other parameters.",
              "Pod templates"),
    Parameter("reusable", Y, N, Y, "ReusePolicy | 'off' | None", None,
              "Keep warm containers that take many calls.", "Reusable containers"),
    Parameter("depends_on", Y, N, N, "list[TaskEnvironment]", (),
              "Environments whose tasks this environment's tasks call.", "Multiple environments"),
    Parameter("description", Y, N, N, "str", None, "Description of the environment.", "Additional task settings"),
    Parameter("plugin_config", Y, N, N, "plugin config object", None, "Config of a task plugin.", "Task plugins"),
    Parameter("report", N, Y, N, "bool", False, "The task writes an HTML report (flyte_nb.report).",
              "Additional task settings"),
    Parameter("max_inline_io_bytes", N, Y, Y, "int >= 0", 10 * MIB,
              "Largest inputs/outputs passed inline; larger need File/Dir.", "Additional task settings"),
    Parameter("retries", N, Y, Y, "int >= 0 | RetryStrategy", 0, "Re-runs of a failed attempt.",
              "Retries and timeouts"),
    Parameter("timeout", N, Y, Y, "int seconds | timedelta | Timeout | None", None,
              "Limit on an attempt's runtime (and queued time).", "Retries and timeouts", nullable_override=True),
    Parameter("triggers", N, Y, N, "Trigger | list[Trigger]", (), "Schedules that run the task.", "Triggers"),
    Parameter("links", N, Y, Y, "Link | list[Link]", (), "Links shown with the task's runs.",
              "Additional task settings"),
    Parameter("interruptible", Y, Y, Y, "bool", False, "The task may run on preemptible capacity.",
              "Interruptible tasks and queues"),
    Parameter("queue", Y, Y, Y, "str", None, "Queue the task's calls wait in.", "Interruptible tasks and queues"),
    Parameter("docs", N, Y, N, "str", None, "Documentation of the task.", "Additional task settings",
              default_note="the function's docstring"),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}


def parameters_at(level: Level) -> tuple[Parameter, ...]:
    """The parameters a level accepts, in table order."""
    return tuple(p for p in PARAMETERS if p.rule(level).allowed)


def default_value(parameter: Parameter) -> Any:
    """The normal form of a parameter's default (e.g. cache 'disable' -> Cache('disable'))."""
    if parameter.default is None:
        return None
    return parameter.adapter.validate_python(parameter.default)


def table_json() -> list[dict[str, Any]]:
    """The table as JSON for the panel and the sidebar (with each parameter's JSON schema)."""
    rows = []
    for p in PARAMETERS:
        rows.append({
            "name": p.name,
            "rules": {level.value: p.rule(level).value for level in LEVELS},
            "type": p.type_hint,
            "default": p.default_note or (repr(p.default) if p.default is not None else "None"),
            "doc": p.doc,
            "details": p.details,
            "schema": p.json_schema(),
        })
    return rows

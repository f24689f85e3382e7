"""The base class of every setting value (Resources, Cache, Secret, ...).

pydantic v2 models, frozen so a value shared by an environment and its tasks can never
change under them, and callable positionally like the flyte SDK's dataclasses
(`flyte.Secret("key")`, `flyte.Cache("auto")`, `flyte.Cron("0 * * * *")`). A refused field
becomes a ConfigError naming the model, field and value.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import pydantic

from .errors import ConfigError, reason_of, show

#: A valid environment variable name, ASCII only (env_vars keys, Secret.as_env_var, Image.with_env_vars).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z: "A\n" is not a name


class Setting(pydantic.BaseModel):
    """Frozen, strict-about-extras, positional-friendly pydantic model."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    #: Field names that may be passed positionally, in order (the SDK's dataclass order).
    positional: ClassVar[tuple[str, ...]] = ()
    #: The spec parameter this model is the value of, for error messages.
    parameter: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        if len(args) > len(self.positional):
            raise ConfigError(
                f"{name}() takes at most {len(self.positional)} positional argument(s), got {len(args)}: "
                f"{show(args)}",
                parameter=self.parameter,
                value=args,
            )
        for field, arg in zip(self.positional, args):
            if field in kwargs:
                raise ConfigError(f"{name}() got {field!r} both positionally and by keyword", parameter=self.parameter)
            kwargs[field] = arg
        try:
            super().__init__(**kwargs)
        except pydantic.ValidationError as error:
            given = ", ".join(f"{k}={show(v)}" for k, v in kwargs.items())
            raise ConfigError(
                f"{name}({given}) is invalid: {reason_of(error)}",
                parameter=self.parameter,
                value=kwargs,
            ) from None

    def default_of(self, field: str) -> Any:
        """What `field` holds when not given; models that derive a default from other fields override it."""
        return type(self).model_fields[field].get_default(call_default_factory=True)

    def __repr__(self) -> str:
        """Show only what differs from the defaults, the way a user would write it."""
        shown = []
        for key in type(self).model_fields:
            value = getattr(self, key)
            if value != self.default_of(key):
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__

"""Secret: a reference (key, group) to a value kept outside the code.

Only the reference lives in settings; the value is read from the local secret store when a
container starts, so it never reaches a notebook, a log, the cache or an export.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, List, Union

import pydantic

from .errors import show
from .model import Setting

_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")
#: The SDK's rule for the variable a secret is exported as (upper case, like the default it derives).
_AS_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def default_env_var(key: str, group: str | None) -> str:
    """GROUP_KEY upper-cased with '-' as '_': the variable the SDK exports a secret as by default."""
    base = f"{group}_{key}" if group else key
    return base.replace("-", "_").upper()


class Secret(Setting):
    """flyte.Secret(key, group=None, mount=None, as_env_var=None)."""

    positional: ClassVar[tuple[str, ...]] = ("key", "group", "mount", "as_env_var")
    parameter: ClassVar[str | None] = "secrets"

    key: str
    group: str | None = None
    mount: Path | None = None
    as_env_var: str | None = None

    @pydantic.field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if len(value) > 253 or not _KEY.fullmatch(value):  # 253: a Kubernetes name
            raise ValueError(f"must be letters, digits, '_', '.', '-' (not starting or ending with them), "
                             f"at most 253, got {show(value)}")
        return value

    @pydantic.field_validator("group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        """Any non-empty group: secret stores name theirs freely (an AWS ARN, a path, ...), as the SDK allows."""
        if value is not None and (not value.strip() or len(value) > 2048 or not value.isprintable()):
            raise ValueError(f"group must be a non-empty printable string of at most 2048 chars or None, "
                             f"got {show(value)}")
        return value

    @pydantic.model_validator(mode="after")
    def _env(self) -> "Secret":
        """as_env_var defaults to GROUP_KEY (not for a mounted file) and must be an upper-case name."""
        if self.mount is None and not self.as_env_var:
            object.__setattr__(self, "as_env_var", default_env_var(self.key, self.group))
        if self.as_env_var is not None and not _AS_ENV_VAR.fullmatch(self.as_env_var):
            raise ValueError(f"Invalid environment variable name: {self.as_env_var}, must match {_AS_ENV_VAR.pattern}")
        return self

    def default_of(self, field: str) -> Any:
        if field == "as_env_var" and self.mount is None:
            return default_env_var(self.key, self.group)
        return super().default_of(field)

    @pydantic.field_validator("mount")
    @classmethod
    def _mount(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_absolute():
            raise ValueError(f"mount must be an absolute path, got {str(value)!r}")
        return value

    @property
    def env_var(self) -> str:
        """The variable the value is exported as: as_env_var, else GROUP_KEY upper-cased (Flyte's default)."""
        if self.as_env_var:
            return self.as_env_var
        return re.sub(r"[^A-Za-z0-9_]", "_", default_env_var(self.key, self.group))

    @property
    def ref(self) -> str:
        return f"{self.group}/{self.key}" if self.group else self.key


def normalize_secrets(value: Any) -> tuple[Secret, ...]:
    """str | Secret | list of them -> tuple of Secret, refusing two secrets on one env var."""
    items = value if isinstance(value, (list, tuple)) else [value]
    secrets: list[Secret] = []
    for item in items:
        if isinstance(item, str):
            item = Secret(key=item)
        if not isinstance(item, Secret):
            raise ValueError(f"secrets must be a str, a flyte.Secret or a list of them, got {item!r}")
        secrets.append(item)
    seen: dict[str, str] = {}
    for secret in secrets:
        if secret.mount is None:
            if secret.env_var in seen:
                raise ValueError(f"secrets {seen[secret.env_var]!r} and {secret.ref!r} both export ${secret.env_var}")
            seen[secret.env_var] = secret.ref
    return tuple(secrets)


#: flyte.SecretRequest: what `secrets=` accepts, a key, a Secret or a list of them (the SDK's alias).
SecretRequest = Union[str, Secret, List[Union[str, Secret]]]

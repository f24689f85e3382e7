"""Secret: a reference (key, group) to a value kept outside the code.

Only the reference lives in settings; the value is read from the local secret store when a
container starts, so it never reaches a notebook, a log, the cache or an export.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import pydantic

from .errors import show
from .model import ENV_NAME, Setting

_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")


class Secret(Setting):
    """flyte.Secret(key, group=None, mount=None, as_env_var=None)."""

    positional: ClassVar[tuple[str, ...]] = ("key", "group", "mount", "as_env_var")
    parameter: ClassVar[str | None] = "secrets"

    key: str
    group: str | None = None
    mount: Path | None = None
    as_env_var: str | None = None

    @pydantic.field_validator("key", "group")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 253 or not _KEY.fullmatch(value)):  # 253: a Kubernetes name
            raise ValueError(f"must be letters, digits, '_', '.', '-' (not starting or ending with them), "
                             f"at most 253, got {show(value)}")
        return value

    @pydantic.field_validator("as_env_var")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(f"as_env_var must be a valid environment variable name, got {value!r}")
        return value

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
        base = f"{self.group}_{self.key}" if self.group else self.key
        return re.sub(r"[^A-Za-z0-9_]", "_", base).upper()

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

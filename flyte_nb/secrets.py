"""The local secret store: `flyte.secrets.set/get/delete/list` and `%flyte_secret`.

Values live in one JSON file (mode 0600, folder 0700) under the user's data dir, or come from
`FLYTE_NB_SECRET_<GROUP>_<KEY>` / `FLYTE_NB_SECRET_<KEY>` environment variables (which win,
so CI can inject them). A task's Secret settings are only references; the runner reads the
values here just before a container starts and hands them over its private socket.
"""

from __future__ import annotations

import builtins
import json
import os
import re
from pathlib import Path
from typing import Iterable

from .config.secrets import Secret
from .paths import data_dir, write_private

REDACTED = "[redacted]"


class SecretNotFoundError(KeyError):
    """A task needs a secret the store does not have (raised before any container starts)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def store_path() -> Path:
    return data_dir() / "secrets.json"


def _ref(key: str, group: str | None) -> str:
    return f"{group}/{key}" if group else key


def _env_name(key: str, group: str | None) -> str:
    raw = f"{group}_{key}" if group else key
    return "FLYTE_NB_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", raw).upper()


def _load() -> dict[str, str]:
    path = store_path()
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _save(values: dict[str, str]) -> None:
    write_private(store_path(), json.dumps(values).encode("utf-8"))


def set(key: str, value: str, group: str | None = None) -> None:  # noqa: A001 - the SDK-like name
    """Store a secret value (validated like flyte.Secret's key and group)."""
    Secret(key=key, group=group)
    if not isinstance(value, str) or not value:
        raise ValueError(f"secret {_ref(key, group)!r}: the value must be a non-empty str")
    values = _load()
    values[_ref(key, group)] = value
    _save(values)


def delete(key: str, group: str | None = None) -> None:
    values = _load()
    if values.pop(_ref(key, group), None) is None:
        raise SecretNotFoundError(f"no secret {_ref(key, group)!r} in {store_path()}")
    _save(values)


def list() -> list[str]:  # noqa: A001 - the SDK-like name
    """The references (group/key) the store and FLYTE_NB_SECRET_* variables provide; never values."""
    names = sorted(_load())
    env = sorted(f"${name}" for name in os.environ if name.startswith("FLYTE_NB_SECRET_"))
    return names + env


def get(key: str, group: str | None = None) -> str:
    value = os.environ.get(_env_name(key, group))
    if value is None:
        value = _load().get(_ref(key, group))
    if value is None:
        where = f"group {group!r}" if group else "no group"
        raise SecretNotFoundError(
            f"secret key {key!r} ({where}) is not set: run flyte_nb.secrets.set({key!r}, '...'"
            + (f", group={group!r}" if group else "") + f") or %flyte_secret {_ref(key, group)}, "
            f"or export {_env_name(key, group)}"
        )
    return value


def resolve(secrets: Iterable[Secret]) -> dict[Secret, str]:
    """Every secret's value, or SecretNotFoundError for the first missing one (nothing has started)."""
    return {secret: get(secret.key, secret.group) for secret in secrets}


#: The shortest line of a multi-line secret that is redacted on its own (shorter ones are too common).
MIN_PART = 4


def secret_texts(values: Iterable[str]) -> list[str]:
    """Every text that gives a secret away, longest first: each value, the repr form of it (how it
    shows inside a repr'd output), and, for a multi-line value (a PEM key), each of its lines,
    since logs travel line by line and a key's lines are the key."""
    texts: builtins.set[str] = builtins.set()  # this module's own set() is the store's
    for value in values:
        if not value:
            continue
        texts.update({value, repr(value)[1:-1]})
        texts.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_PART)
    return sorted(texts, key=len, reverse=True)


def redact(text: str, values: Iterable[str]) -> str:
    """Replace every secret text (secret_texts) in text that is about to reach the notebook."""
    for secret in secret_texts(values):
        text = text.replace(secret, REDACTED)
    return text

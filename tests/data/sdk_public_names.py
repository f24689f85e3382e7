"""Print, as JSON, every public module of the installed flyte SDK and its public names.

    python sdk_public_names.py        (under the real SDK's venv; tests/test_sdk_names.py runs it)

A module's public names are its __all__; a module without one (flyte.errors, flyte.models) counts the
public names it defines itself (not what it imported). Modules that fail to import are reported as such.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import flyte


def public_names(module: object) -> list[str]:
    if hasattr(module, "__all__"):
        return sorted(str(n) for n in module.__all__)  # type: ignore[attr-defined]
    own = getattr(module, "__name__", "")
    return sorted(n for n, v in vars(module).items()
                  if not n.startswith("_") and getattr(v, "__module__", None) == own)


def main() -> None:
    names = ["flyte", *(f"flyte.{m.name}" for m in pkgutil.iter_modules(flyte.__path__) if not m.name.startswith("_"))]
    found: dict[str, object] = {}
    for name in names:
        try:
            found[name] = public_names(importlib.import_module(name))
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            found[name] = f"import failed: {type(error).__name__}: {error}"
    json.dump(found, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()

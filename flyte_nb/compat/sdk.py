"""The `flyte` module as code written for the flyte SDK sees it under flyte_nb.compat.install().

flyte_nb's top level, name for name (tests/test_compat.py checks that dir() is the same): flyte_nb's
top level IS the SDK surface (`flyte.run` returns the SDK's Run there too), so this module only maps
the name. Being a real, importable module, task code that reads `flyte` travels into containers by
reference to it.
"""

from __future__ import annotations

import sys
from typing import Any

import flyte_nb as _nb
from flyte_nb import __all__, __version__  # noqa: F401 - the same public names

from . import report  # noqa: F401 - flyte.report, with .aio forms


def __getattr__(name: str) -> Any:
    """Every other name is flyte_nb's own (loaded on first use there); `flyte.remote`, `flyte.app`, ... the
    stand-ins of the SDK's other public modules. No dunder is forwarded: `flyte` is a module, not a package,
    so `import flyte.x` never finds flyte_nb's own submodules through a forwarded __path__."""
    if name.startswith("__"):
        raise AttributeError(f"module 'flyte' has no attribute {name!r}")
    from flyte_nb.cluster import SDK_MODULES

    from . import sdk_module

    if f"flyte.{name}" in SDK_MODULES and name != "report":  # flyte.report is compat.report, imported above
        value = sdk_module(f"flyte.{name}")
    else:
        value = getattr(_nb, name)
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__() -> list[str]:
    return sorted({*dir(_nb), "report"})

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
    """Every other name is flyte_nb's own (loaded on first use there)."""
    value = getattr(_nb, name)
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__() -> list[str]:
    return sorted({*dir(_nb), "report"})

"""Import code written for the real flyte SDK with flyte_nb standing in for `flyte`.

    import flyte_nb.compat
    flyte_nb.compat.install()      # from now on `import flyte` gives flyte_nb's stand-in
    import my_pipeline             # a module written for flyte 2: its tasks run in flyte_nb's containers

or, in a notebook, `%flyte_use my_pipeline`. The stand-in is `flyte_nb.compat.sdk`: flyte_nb's API
(which is the SDK surface: flyte.run returning a Run, with_runcontext, init_from_config, Backoff,
Documentation, group, trace) under the name `flyte`. It is a real, importable module, so task code
that reads `flyte` travels into containers by reference to it.
"""

from __future__ import annotations

import importlib
import sys
import types

#: The module names the stand-in takes over, and what each one is.
_NAMES = {"flyte": "flyte_nb.compat.sdk", "flyte.report": "flyte_nb.compat.report", "flyte.errors": "flyte_nb.errors",
          "flyte.io": "flyte_nb.io", "flyteplugins": "flyte_nb.plugins", "flyteplugins.ray": "flyte_nb.plugins.ray",
          "flyte.syncify": "flyte_nb.syncify",
          "flyte._image": "flyte_nb.compat.sdk_image"}  # a private module the SDK's published examples import
#: The SDK's other public modules: flyte_nb's counterpart where there is one, with stand-ins for the rest
#: (flyte_nb/cluster.py: each missing name loads and fails in one line when used).
_PARTIAL = {"flyte.models": "flyte_nb.models"}
_made: dict[str, types.ModuleType] = {}


def sdk_module(name: str) -> types.ModuleType:
    """The stand-in of one of the SDK's public modules (made once, so `import flyte.remote` is always the same)."""
    if name not in _made:
        from ..cluster import sdk_module as make

        provided = importlib.import_module(_PARTIAL[name]) if name in _PARTIAL else None
        _made[name] = make(name, provided)
    return _made[name]


def _modules() -> dict[str, types.ModuleType]:
    from ..cluster import SDK_MODULES

    found = {name: importlib.import_module(target) for name, target in _NAMES.items()}
    return {**found, **{name: sdk_module(name) for name in SDK_MODULES if name not in found}}
_saved: dict[str, types.ModuleType | None] = {}


def install() -> types.ModuleType:
    """`import flyte` now gives flyte_nb's stand-in (and flyte.report, flyte.errors); returns it."""
    for name, module in _modules().items():
        if sys.modules.get(name) is not module:
            _saved.setdefault(name, sys.modules.get(name))
            sys.modules[name] = module
    return sys.modules["flyte"]


def uninstall() -> None:
    """Give `flyte` back to whatever it was before install() (the real SDK, or nothing)."""
    for name in list(_saved):
        if name in _saved:
            previous = _saved.pop(name)
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous


def installed() -> bool:
    return sys.modules.get("flyte") is sys.modules.get("flyte_nb.compat.sdk") is not None


def use(module: str) -> types.ModuleType:
    """Import (or re-import) a flyte-SDK module under flyte_nb: install(), then import it fresh."""
    from ..runtime import runtime

    install()
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        del sys.modules[name]  # a fresh import: its tasks register with flyte_nb's registry now
    before = set(sys.modules)
    imported = importlib.import_module(module)
    # SDK code prints its tasks' logs on the cell's stdout, as the SDK's local mode does (runtime.view)
    runtime().printing_modules.update({module, *(set(sys.modules) - before)})
    return imported

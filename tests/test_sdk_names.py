"""Every public name of every public module of flyte 2.12.1 exists under flyte_nb's stand-in.

The real SDK (its side venv) lists its public modules and their __all__ (tests/data/sdk_public_names.py);
under flyte_nb.compat.install() each of those names must be importable. What flyte_nb cannot honour is a
stand-in from flyte_nb/cluster.py (SDK_MODULES, with the reason): using it fails in one line saying it
needs a Flyte cluster, or that flyte_nb does not provide it and why, never with an AttributeError.
"""

from __future__ import annotations

import functools
import importlib
import json
import subprocess
import types
from typing import Any, Iterator

import pytest

import flyte_nb.compat as compat
from flyte_nb.cluster import SDK_MODULES, ClusterRequiredError, NotProvidedError

from .data.sdk_venv import ROOT, sdk_python


@functools.cache
def sdk_names() -> dict[str, Any]:
    done = subprocess.run([str(sdk_python()), str(ROOT / "tests" / "data" / "sdk_public_names.py")],
                          capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "60"})
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    assert "flyte.io" in found and "flyte.remote" in found, sorted(found)
    return found


@pytest.fixture
def standin() -> Iterator[None]:
    compat.install()
    yield
    compat.uninstall()


def test_the_sdk_modules_all_import_there() -> None:
    failed = {name: names for name, names in sdk_names().items() if isinstance(names, str)}
    assert not failed, "the real SDK's modules must import in its venv"


def test_every_public_sdk_name_exists_under_the_stand_in(standin: None) -> None:
    missing = {}
    for module, names in sdk_names().items():
        loaded = importlib.import_module(module)
        absent = [name for name in names if not hasattr(loaded, name)]
        if absent:
            missing[module] = absent
    assert missing == {}, "add them to flyte_nb (or, with a reason, to flyte_nb/cluster.py SDK_MODULES)"


def test_the_stand_in_list_names_only_what_the_sdk_has_and_flyte_nb_lacks(standin: None) -> None:
    """No stale entry: each listed name is public in the SDK; none shadows a name flyte_nb really provides."""
    from flyte_nb import models

    known = sdk_names()
    for module, (_, why, names) in SDK_MODULES.items():
        assert module in known and why.strip(), module
        assert sorted(set(names) - set(known[module])) == [], f"{module}: not public in the SDK"
    assert not set(SDK_MODULES["flyte.models"][2]) & set(vars(models))
    assert importlib.import_module("flyte.models").ActionID is models.ActionID  # the real one, not a stand-in


@pytest.mark.parametrize("module", sorted(SDK_MODULES))
def test_each_stand_in_fails_in_one_clear_line_when_used(standin: None, module: str) -> None:
    cluster, why, names = SDK_MODULES[module]
    loaded = importlib.import_module(module)
    expected = ClusterRequiredError if cluster else NotProvidedError
    for name in names:
        stand_in = getattr(loaded, name)
        for use in (lambda: stand_in(1, key="v"), lambda: stand_in.some_attribute,
                    lambda: types.new_class("Sub", (stand_in,))):
            with pytest.raises(expected) as info:
                use()
            text = str(info.value)
            assert "\n" not in text and f"flyte.{module.removeprefix('flyte.')}.{name}" in text and why in text
            assert "%flyte_export" in text
    if cluster:
        assert "needs a Flyte cluster" in str(ClusterRequiredError("x", why))


def test_flyte_is_a_module_whose_dunders_are_its_own(standin: None) -> None:
    """`import flyte.x` must not load flyte_nb's own submodules under flyte's name (no forwarded __path__)."""
    import flyte  # type: ignore[import-not-found]

    assert not hasattr(flyte, "__path__")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("flyte.runtime")  # flyte_nb.runtime exists; the SDK has no flyte.runtime
    assert importlib.import_module("flyte.remote") is flyte.remote and flyte.syncify.syncify is not None

"""Import the other way: code written for the real flyte SDK runs under flyte_nb, in real containers.

tests/data/sdk_pipeline is plain flyte 2 code; the real SDK runs it first (its own venv), then
flyte_nb.compat makes `import flyte` give flyte_nb and the same module runs on the Docker runner.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

import flyte_nb as flyte
import flyte_nb.compat as compat
from flyte_nb.export import export_project

from .data.sdk_venv import ROOT, sdk_python

DATA = ROOT / "tests" / "data"
WORDS = ["Flyte", "runs", "anywhere"]


@pytest.fixture
def flyte_standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """flyte_nb as `flyte`, the Docker runner, the test folders importable; all undone afterwards."""
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(DATA))
    monkeypatch.syspath_prepend(str(tmp_path))
    flyte.init(runner="docker", quiet=True)
    yield compat.install()
    compat.uninstall()
    for name in [m for m in sys.modules if m.startswith(("sdk_pipeline", "spec_project", "used_module"))]:
        del sys.modules[name]


def real_sdk_outputs() -> list[Any]:
    done = subprocess.run([str(sdk_python()), str(DATA / "sdk_run.py"), str(DATA)], capture_output=True, text=True,
                          timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SDK-JSON ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    result = json.loads(lines[-1][len("SDK-JSON "):])
    assert result["flyte"].startswith("2.12")
    return result["outputs"]


@pytest.mark.docker
def test_sdk_module_runs_in_flyte_nb_containers(flyte_standin: Any) -> None:
    expected = real_sdk_outputs()  # the real SDK, flyte's local mode
    workflow = compat.use("sdk_pipeline.workflow")
    assert workflow.flyte is flyte_standin and isinstance(workflow.stats, flyte.TaskTemplate)

    run = flyte_standin.with_runcontext(mode="local").run(workflow.stats, words=WORDS)
    assert list(run.outputs()) == expected == [{"total": 17, "longest": 8, "count": 3}]
    runs = flyte.registry().runs
    assert {r.task for r in runs} == {"sdk_driver.stats", "sdk_base.word_length"}
    assert all(r.runner == "docker" and r.attempts[0].container for r in runs)
    assert len({r.attempts[0].container for r in runs}) == len(runs) == 5  # one container per call
    longest = [r for r in runs if r.parent is not None][-1]
    assert longest.settings["retries"]["value"]["count"] == 0  # override(retries=0) is kept
    assert runs[0].report and "3 words" in "".join(runs[0].report.values())

    inside = flyte_standin.run(workflow.where).outputs()[0]  # the image's and the environment's variables
    assert inside["pipeline"] == "sdk" and inside["greeting"] == "hello"


@pytest.mark.docker
def test_exported_project_imports_back_and_runs_in_containers(flyte_standin: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """notebook -> export -> the exported flyte project, run by flyte_nb again: same settings, same output."""
    compat.uninstall()  # the spec example itself is flyte_nb code
    namespace = runpy.run_path(str(DATA / "spec_example.py"))
    before = {n: t.resolve().to_json() for n, t in flyte.registry().tasks.items()}
    result = export_project(tmp_path / "spec_project", cells=[(DATA / "spec_example.py").read_text()], namespace=namespace)
    monkeypatch.syspath_prepend(str(result.project))  # the package is importable from its project folder
    flyte.registry().clear()

    compat.install()
    main = compat.use("spec_project.main")
    compat.use("spec_project.my_env")  # main imports only the entry's environment
    after = {n: t.resolve().to_json() for n, t in flyte.registry().tasks.items()}
    assert after == before
    run = main.main("local")
    assert run.outputs() == ("Processed input.csv",)
    assert all(r.runner == "docker" for r in flyte.registry().runs) and len(flyte.registry().runs) == 2


def test_install_and_uninstall_give_flyte_back() -> None:
    before = sys.modules.get("flyte")
    standin = compat.install()
    import flyte as imported  # type: ignore[import-not-found]

    assert imported is standin and compat.installed()
    assert imported.TaskEnvironment is flyte.TaskEnvironment and imported.report.log.aio
    from flyte.io import Dir, File  # type: ignore[import-not-found]

    assert File is flyte.io.File and Dir is flyte.io.Dir
    compat.uninstall()
    assert sys.modules.get("flyte") is before and not compat.installed()


def test_flyte_use_magic_imports_a_module_under_flyte_nb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "used_module.py").write_text(
        "import flyte\n\nenv = flyte.TaskEnvironment(name='used_env')\n\n\n"
        "@env.task(retries=2)\ndef hello(name: str) -> str:\n    return f'hi {name}'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    flyte.init(runner="inprocess", quiet=True)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flyte_nb")
    try:
        shell.run_line_magic("flyte_use", "used_module")
        module = shell.user_ns["used_module"]
        assert module.hello("nb") == "hi nb"
        assert flyte.registry().task("used_env.hello").resolve().value("retries").count == 2
    finally:
        compat.uninstall()
        shell.user_ns.pop("used_module", None)
        sys.modules.pop("used_module", None)


def test_private_image_module_of_the_sdk_examples_is_honoured(flyte_standin: Any, tmp_path: Path) -> None:
    """`from flyte._image import DIST_FOLDER, PythonWheels` (the SDK's examples): a layer of flyte wheels is a
    no-op (every container has flyte's stand-in), a layer of another package's wheels installs them."""
    from flyte._image import DIST_FOLDER, PythonWheels  # type: ignore[import-not-found]

    from flyte_nb.images.dockerfile import layer_lines, render

    base = flyte_standin.Image.from_debian_base()
    own = base.clone(addl_layer=PythonWheels(wheel_dir=DIST_FOLDER, package_name="flyte"), name="with-flyte")
    assert own.name == "with-flyte" and own.layers[-1].wheels == ()
    assert render(own, "base")[0] == render(base, "base")[0]
    folder = tmp_path / "dist"
    folder.mkdir()
    wheel = folder / "my_pkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"one")
    (folder / "other-2.0-py3-none-any.whl").write_bytes(b"not this package")
    layer = PythonWheels(wheel_dir=folder, package_name="my-pkg")
    assert [name for name, _ in layer.wheels] == [wheel.name]
    lines = layer_lines(layer, 3)
    assert "COPY wheels-3 /tmp/wheels-3" in lines and "--find-links /tmp/wheels-3 my-pkg" in lines[-1]
    first = base.clone(addl_layer=layer).tag
    wheel.write_bytes(b"two")
    assert base.clone(addl_layer=PythonWheels(wheel_dir=folder, package_name="my-pkg")).tag != first
    with pytest.raises(ValueError, match=r"package_name='absent'.*no wheel of 'absent'"):
        PythonWheels(wheel_dir=folder, package_name="absent")
    with pytest.raises(TypeError, match=r"addl_layer="):
        base.clone(addl_layer="pip install x")

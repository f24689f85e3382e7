"""Export to a flyte 2 project, checked against the REAL flyte SDK (2.12.x, its own venv).

For every exported task the settings the SDK's task object holds must equal flyte_nb's resolved
ones, and main.py run in flyte's local mode must give flyte_nb's output.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import flyte_nb as flyte
from flyte_nb.export import ExportError, export_project

from .data.sdk_canonical import COMPARED, canonical
from .data.sdk_venv import ROOT, inspect_project, sdk_python

SPEC = ROOT / "tests" / "data" / "spec_example.py"


@pytest.fixture(scope="session")
def sdk() -> Path:
    return sdk_python()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test's task outputs (and the kernels it starts) cache apart from the rest of the suite."""
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path / "cache"))


def nb_settings() -> dict[str, Any]:
    """flyte_nb's resolved settings of every registered task, canonical."""
    return {name: canonical(name, task.resolve().to_json()) for name, task in flyte.registry().tasks.items()}


def assert_same_settings(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert sorted(theirs) == sorted(ours)
    for name in ours:
        for parameter in COMPARED:
            assert theirs[name][parameter] == ours[name][parameter], (name, parameter)


# ---- the spec's example ------------------------------------------------------------------------
def test_spec_example_round_trip(sdk: Path, tmp_path: Path, inprocess: None) -> None:
    namespace = runpy.run_path(str(SPEC))
    result = export_project(tmp_path / "spec_project", cells=[SPEC.read_text()], namespace=namespace,
                            origin="spec_example.py")
    assert result.entry == "invoke_process_data()"
    env_module = (tmp_path / "spec_project" / "data_processing_env.py").read_text()
    assert "from .another_env import another_env" in env_module and "depends_on=[another_env]" in env_module
    assert "process_data.override(" in env_module  # the call-site override stays at its call site
    assert "flyte.Image.from_debian_base(python_version=(3, 11))" in env_module
    assert (tmp_path / "spec_project" / "requirements.txt").read_text().startswith("flyte>=2.12,<2.13")

    sdk_side = inspect_project(sdk, tmp_path / "spec_project")
    assert sdk_side["flyte"].startswith("2.12")
    assert_same_settings(nb_settings(), sdk_side["tasks"])
    ours = flyte.run(namespace["invoke_process_data"]).outputs()
    assert sdk_side["output"] == repr(ours) == "('Processed input.csv',)"


# ---- every parameter, edits, session overrides, helpers -------------------------------------------
FACTOR = 10
NAMES = ("a", "b")


def scale(x: int) -> int:
    """A helper the tasks read: exported as source with the constant it reads."""
    return x * FACTOR


def define_rich(tmp_path: Path) -> dict[str, Any]:
    requirements = tmp_path / "requirements-extra.txt"
    requirements.write_text("six==1.16.0\n")
    image = (flyte.Image.from_debian_base(name="rich").with_apt_packages("curl")
             .with_pip_packages("six==1.16.0", pre=True).with_requirements(requirements)
             .with_env_vars({"A": "1"}).with_commands(["echo hi"]).with_workdir("/work"))
    base = flyte.TaskEnvironment(name="base_env", env_vars={"BASE": "1"})
    env = flyte.TaskEnvironment(
        name="rich-env", image=image, depends_on=[base], description="every setting",
        resources=flyte.Resources(cpu=(1, 2), memory=("256Mi", "512Mi"), gpu="A100:1", disk="10Gi", shm="auto"),
        env_vars={"STAGE": "env"}, cache=flyte.Cache("auto", version_override="v1", ignored_inputs=("x",), salt="s"),
        secrets=[flyte.Secret(key="api_key", group="team", as_env_var="API_KEY"), flyte.Secret("token", mount=Path("/etc/flyte/secrets"))],
        queue="q1", interruptible=True,
    )
    warm = flyte.TaskEnvironment(name="warm_env", reusable=flyte.ReusePolicy(replicas=(2, 3), idle_ttl=60, concurrency=2,
                                                                               scaledown_ttl=45, scope="run"))

    @base.task(retries=2)
    async def double(x: int) -> int:
        return 2 * x

    @env.task(short_name="sq", retries=flyte.RetryStrategy(count=2, backoff=timedelta(seconds=1)),
              timeout=flyte.Timeout(max_runtime=timedelta(minutes=5), max_queued_time=timedelta(minutes=1)),
              triggers=flyte.Trigger("hourly", flyte.Cron("0 * * * *"), inputs={"x": 3}),
              links=flyte.Link("dash", "https://example.com/{run_name}"), max_inline_io_bytes=2048, docs="Square.",
              interruptible=False, queue="q2", cache="disable")
    async def square(x: int) -> int:
        return x * x

    @env.task(report=True)
    async def pipeline(x: int) -> list:
        """Calls across environments, with call-site overrides the SDK would drop (retries=0, env_vars={})."""
        a = await square(x)
        b = await double.override(retries=0, env_vars={})(a)
        c = await quick(b)
        return [scale(c), len(NAMES)]

    @warm.task
    async def warm_task(x: int) -> int:
        return x + 1

    quick = double.override(timeout=30, queue="fast")  # a notebook variable holding an override
    return {"double": double, "square": square, "pipeline": pipeline, "warm_task": warm_task, "quick": quick}


def test_every_parameter_round_trip(sdk: Path, tmp_path: Path, inprocess: None) -> None:
    tasks = define_rich(tmp_path)
    flyte.registry().edit_environment("warm_env", {"queue": "edited"})  # the panel's edits...
    flyte.registry().edit_task("rich-env.pipeline", {"timeout": 120})
    flyte.registry().set_override("base_env.double", {"retries": 0, "env_vars": {}, "max_inline_io_bytes": 0})  # ...sidebar
    result = export_project(tmp_path / "rich_project", entry="pipeline(3)", namespace=tasks, origin="test")
    folder = tmp_path / "rich_project"
    rich = (folder / "rich_env.py").read_text()
    assert "def scale(x: int) -> int:" in rich and "FACTOR = 10" in rich and "NAMES = ('a', 'b')" in rich
    assert "from .base_env import double" in rich and "quick = double.override(timeout=30, queue='fast')" in rich
    assert "dataclasses.replace(double.override(retries=flyte.RetryStrategy(count=0)), env_vars={})" in rich
    assert "flyte.Secret(key='api_key', group='team', as_env_var='API_KEY')" in rich
    assert "HERE / 'files' / 'requirements-extra.txt'" in rich
    assert (folder / "files" / "requirements-extra.txt").read_text() == "six==1.16.0\n"
    assert "queue='edited'" in (folder / "warm_env.py").read_text()
    assert "double = dataclasses.replace(double.override(retries=flyte.RetryStrategy(count=0)), env_vars={}, " \
           "max_inline_io_bytes=0)" in (folder / "base_env.py").read_text()
    assert result.entry == "pipeline(3)"

    sdk_side = inspect_project(sdk, folder)
    ours = nb_settings()
    assert ours["base_env.double"]["retries"] == {"count": 0, "backoff": None}  # the session override is in effect
    assert ours["rich-env.pipeline"]["timeout"]["max_runtime"] == 120.0  # the edit is in effect
    assert_same_settings(ours, sdk_side["tasks"])
    assert sdk_side["output"] == repr(flyte.run(tasks["pipeline"], 3).outputs()) == "([360, 2],)"


def test_a_secret_is_exported_by_reference_never_by_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_API_KEY", "s3cr3t-value")
    env = flyte.TaskEnvironment(name="secret_env", secrets=flyte.Secret(key="api_key", as_env_var="API_KEY"))

    @env.task
    def uses() -> str:
        import os
        return os.environ["API_KEY"][:2]

    export_project(tmp_path / "ok_project", namespace={"uses": uses})
    text = (tmp_path / "ok_project" / "secret_env.py").read_text()
    # as_env_var='API_KEY' is what flyte 2.12.1 derives from key='api_key', so the export need not spell it
    assert "flyte.Secret(key='api_key')" in text and "s3cr3t" not in text

    global LEAKED
    LEAKED = "s3cr3t-value"

    @env.task
    def leaks() -> str:
        return LEAKED

    with pytest.raises(ExportError, match="reads 'LEAKED', which holds a secret's value"):
        export_project(tmp_path / "leak_project", namespace={"leaks": leaks})
    assert not (tmp_path / "leak_project").exists()


LEAKED = ""
DOUBLE_IT = lambda x: 2 * x  # noqa: E731 - the case under test
LOCK = threading.Lock()


@pytest.mark.parametrize("case, message", [
    ("lambda", "helper 'DOUBLE_IT' .* is a lambda; export needs it written with def"),
    ("closure", "task closure_env.closed is a closure over 'lock', a live lock object"),
    ("live", "task live_env.locked reads 'LOCK', a live lock object"),
    ("plugin", "environment 'plugin_env': plugin_config=.* is a live plugin object"),
])
def test_what_cannot_be_exported_is_a_clear_error(case: str, message: str, tmp_path: Path) -> None:
    if case == "lambda":
        env = flyte.TaskEnvironment(name="lambda_env")

        @env.task
        def twice(x: int) -> int:
            return DOUBLE_IT(x)
    elif case == "closure":
        env = flyte.TaskEnvironment(name="closure_env")
        lock = threading.Lock()

        @env.task
        def closed(x: int) -> int:
            return x + lock.locked()
    elif case == "live":
        env = flyte.TaskEnvironment(name="live_env")

        @env.task
        def locked() -> bool:
            return LOCK.locked()
    else:
        env = flyte.TaskEnvironment(name="plugin_env", plugin_config={"plugin": "x"})

        @env.task
        def plugged() -> int:
            return 1
    with pytest.raises(ExportError, match=message):
        export_project(tmp_path / "bad_project")
    assert not (tmp_path / "bad_project").exists()


def test_an_entry_read_from_run_outputs_is_the_task_call(inprocess: None) -> None:
    """flyte.run returns the SDK's Run: `flyte.run(t, 1).outputs()[0]` in a cell is the entry `t(1)`."""
    from flyte_nb.export.entry import find_entry

    env = flyte.TaskEnvironment(name="entry_env")

    @env.task
    def twice(x: int) -> int:
        return 2 * x

    for cell in ("flyte.run(twice, 1).outputs()", "value = flyte.run(twice, 1).outputs()[0]"):
        assert find_entry([cell, "print(1)"], {"twice": twice, "flyte": flyte}, []).code == "twice(1)", cell


# ---- the repo's notebooks, run headless and exported ------------------------------------------------
NOTEBOOK_OUTPUTS = {
    # notebook: (entry main.py runs, the SDK's local-mode output)
    "quickstart.ipynb": ("invoke_process_data()", "('Processed input.csv',)"),
    "configuration-levels.ipynb": ("add(2, 3)", "(5,)"),
    "reports.ipynb": ("train(3)", "(0.125,)"),
    # inside() reads its container (the image's six package and GREETING, cgroup limit, uid): flyte's local mode
    # runs it in the calling process, without the image, so the SDK fails where flyte_nb's container succeeds
    # (docs/export.md).
    "images-and-resources.ipynb": ("inside()", "error: RuntimeUserError: No module named 'six'"),
}


@pytest.mark.docker
@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_OUTPUTS))
def test_notebook_round_trip(notebook: str, sdk: Path, tmp_path: Path) -> None:
    from flyte_nb.export.notebook import export_notebook

    package = tmp_path / notebook.removesuffix(".ipynb").replace("-", "_")
    exported = export_notebook(ROOT / "notebooks" / notebook, package)
    entry, sdk_output = NOTEBOOK_OUTPUTS[notebook]
    assert exported.entry == entry
    sdk_side = inspect_project(sdk, package)
    ours = {name: canonical(name, resolution) for name, resolution in exported.settings.items()}
    assert_same_settings(ours, sdk_side["tasks"])
    assert sdk_side["output"] == sdk_output
    if not sdk_output.startswith("error"):
        assert sdk_output == f"({exported.entry_output},)"  # what the notebook's container run returned


@pytest.mark.docker
def test_cli_exports_a_notebook(tmp_path: Path) -> None:
    """python -m flyte_nb export NOTEBOOK -o DIR, with an explicit entry."""
    package = tmp_path / "levels"
    done = subprocess.run([sys.executable, "-m", "flyte_nb", "export", str(ROOT / "notebooks" / "quickstart.ipynb"),
                           "-o", str(package), "--entry", 'my_task("CLI")'], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["entry"] == 'my_task("CLI")' or summary["entry"] == "my_task('CLI')"
    main = (package / "main.py").read_text()
    assert "from .my_env import my_task" in main and "run(my_task, 'CLI')" in main
    assert sorted(p.name for p in package.glob("*.py")) == [
        "__init__.py", "another_env.py", "data_processing_env.py", "main.py", "my_env.py"]

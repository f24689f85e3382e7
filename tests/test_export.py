"""Export to a flyte 2 project, checked against the REAL flyte SDK (2.12.x, its own venv).

For every exported task the settings the SDK's task object holds must equal flyte_nb's resolved
ones, and main.py run in flyte's local mode must give flyte_nb's output.
"""

from __future__ import annotations

import ast
import json
import runpy
import shlex
import subprocess
import sys
import threading
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import flyte_nb as flyte
from flyte_nb.export import ExportError, export_project

from .data.sdk_canonical import COMPARED, canonical, plain_config
from .data.sdk_venv import NO_CLUSTER, ROOT, action_outputs, cli_outputs, flyte_cli, inspect_project, sdk_python

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
    assert result.package == tmp_path / "spec_project" / "spec_project"
    env_module = (result.package / "data_processing_env.py").read_text()
    assert "from spec_project.another_env import another_env" in env_module and "depends_on=[another_env]" in env_module
    assert "process_data.override(" in env_module  # the call-site override stays at its call site
    assert "flyte.Image.from_debian_base(python_version=(3, 11))" in env_module
    assert "docs=flyte.Documentation(description='This task processes data and generates a report.')" in env_module
    pyproject = tomllib.loads((result.project / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == ["flyte>=2.12,<2.13"]

    sdk_side = inspect_project(sdk, result.package)
    assert sdk_side["flyte"].startswith("2.12")
    assert_same_settings(nb_settings(), sdk_side["tasks"])
    ours = flyte.run(namespace["invoke_process_data"]).outputs()
    assert sdk_side["output"] == repr(tuple(ours)) == "('Processed input.csv',)"  # ActionOutputs, as a tuple


def spec_export(tmp_path: Path, folder: str = "my-project", **options: Any) -> tuple[Any, dict[str, Any]]:
    namespace = runpy.run_path(str(SPEC))
    return export_project(tmp_path / folder, cells=[SPEC.read_text()], namespace=namespace, origin="spec_example.py",
                          **options), namespace


def test_the_flyte_cli_runs_the_exported_spec_example(sdk: Path, tmp_path: Path, inprocess: None) -> None:
    """Issue 14: `flyte run --local out/data_processing_env.py process_data --data_path x.csv` failed with
    "attempted relative import with no known parent package"; the real CLI must load every module as a file."""
    result, namespace = spec_export(tmp_path)
    assert result.package.name == "my_project"  # `my-project` is not an identifier: the package is derived from it
    package = result.package.name
    calls = [  # (module file, task, CLI options, the same call under flyte_nb)
        ("data_processing_env.py", "process_data", ["--data_path", "x.csv"], (namespace["process_data"], "x.csv")),
        ("data_processing_env.py", "invoke_process_data", [], (namespace["invoke_process_data"],)),
        ("my_env.py", "my_task", ["--name", "Flyte"], (namespace["my_task"], "Flyte")),
    ]
    for module, task, options, call in calls:
        done = flyte_cli(result.project, "-of", "json", "run", "--local", f"{package}/{module}", task, *options)
        assert cli_outputs(done) == action_outputs(flyte.run(*call).outputs()), (module, task)
    assert action_outputs(flyte.run(namespace["process_data"], "x.csv").outputs()) == 'ActionOutputs(o0="Processed x.csv")'

    readme = (result.project / "README.md").read_text()
    first = result.commands[0]
    assert first.line == f"flyte run --local {package}/data_processing_env.py invoke_process_data" and first.line in readme
    done = flyte_cli(result.project, "-of", "json", *first.words[1:])  # the README's command, as written
    assert cli_outputs(done) == 'ActionOutputs(o0="Processed input.csv")'


def test_flyte_deploy_dry_run_loads_every_module_of_the_export(sdk: Path, tmp_path: Path, inprocess: None) -> None:
    """`flyte deploy` imports the modules as a package from the project folder (its root dir)."""
    result, _ = spec_export(tmp_path)
    package = result.package.name
    for words in (["--all", "--recursive", package], [f"{package}/data_processing_env.py", "data_processing_env"]):
        done = flyte_cli(result.project, "--endpoint", NO_CLUSTER, "--insecure", "-of", "json", "deploy", "--dry-run",
                         *words)
        assert done.returncode == 0, done.stdout + done.stderr
        for task in ("data_processing_env.process_data", "data_processing_env.invoke_process_data"):
            assert task in done.stdout, (words, done.stdout)
    assert f"flyte deploy {package}/data_processing_env.py data_processing_env" in (result.project / "README.md").read_text()


@pytest.mark.parametrize("folder, package", [
    ("my-project", "my_project"), ("2024 Run", "project_2024_run"), ("class", "class_project"),
    ("flyte", "flyte_project"), ("json", "json_project"), ("plain_name", "plain_name"),
])
def test_any_folder_name_gives_a_project_with_a_package_named_for_it(folder: str, package: str, tmp_path: Path,
                                                                      inprocess: None) -> None:
    result, _ = spec_export(tmp_path, folder)
    assert result.project == tmp_path / folder and result.package == tmp_path / folder / package
    assert sorted(p.name for p in result.project.iterdir()) == sorted(["README.md", "pyproject.toml", package])
    pyproject = tomllib.loads((result.project / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["packages"] == [package]
    assert pyproject["project"]["dependencies"][0] == "flyte>=2.12,<2.13"
    for module in result.package.glob("*.py"):
        text = module.read_text()
        assert "from ." not in text, module  # no relative import: the flyte CLI loads each file on its own
    assert f"from {package}.data_processing_env import invoke_process_data" in (result.package / "main.py").read_text()


def test_a_package_name_can_be_given_and_a_bad_one_is_refused(tmp_path: Path, inprocess: None) -> None:
    result, _ = spec_export(tmp_path, "any folder", package="pipelines")
    assert result.package == tmp_path / "any folder" / "pipelines"
    assert tomllib.loads((result.project / "pyproject.toml").read_text())["project"]["name"] == "any-folder"
    for bad, reason in (("my-pkg", "is not a Python package name"), ("flyte", "would shadow the module 'flyte'"),
                        ("import", "is not a Python package name")):
        with pytest.raises(ExportError, match=f"package='{bad}' {reason}"):
            spec_export(tmp_path, "refused", package=bad)
        assert not (tmp_path / "refused").exists()


def test_the_cli_refuses_a_bad_package_name_before_running_the_notebook(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from flyte_nb.__main__ import main

    code = main(["export", str(ROOT / "notebooks" / "quickstart.ipynb"), "-o", str(tmp_path / "out"), "--package", "my-pkg"])
    assert code == 1 and "package='my-pkg' is not a Python package name" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_magic_exports_to_any_folder_with_a_package_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                inprocess: None) -> None:
    """`%flyte_export my-project` was refused ("not a Python package name"); `--package NAME` names the package."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(tmp_path)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "flyte_nb")
    shell.run_cell(SPEC.read_text())
    result = shell.run_line_magic("flyte_export", "my-project")
    assert result.package == Path("my-project") / "my_project" and (tmp_path / "my-project" / "pyproject.toml").is_file()
    result = shell.run_line_magic("flyte_export", 'other-folder --package spec_pkg --entry "my_task(\'x\')"')
    assert result.package == Path("other-folder") / "spec_pkg" and result.entry == "my_task('x')"
    assert "flyte run --local spec_pkg/my_env.py my_task --name x" in (tmp_path / "other-folder" / "README.md").read_text()


# ---- a Ray plugin environment ---------------------------------------------------------------------
def ray_config_canonical(value: Any) -> Any:
    """flyte_nb's RayJobConfig stand-in as plain data, in the form tests/data/sdk_inspect.py gives the real one."""
    def resources(item: Any) -> Any:
        if not isinstance(item, flyte.Resources):
            return None
        return {k: list(v) if isinstance(v, tuple) else v for k in ("cpu", "memory", "gpu", "disk", "shm")
                for v in [getattr(item, k)]}

    return plain_config(value, resources)


def test_a_ray_plugin_environment_exports_with_its_plugin_config(sdk: Path, tmp_path: Path, inprocess: None) -> None:
    from flyte_nb import compat
    from flyte_nb.plugins.ray import AutoscalerOptionsConfig, HeadNodeConfig, RayJobConfig, WorkerNodeConfig

    config = RayJobConfig(
        worker_node_config=[WorkerNodeConfig(group_name="workers", replicas=2, min_replicas=1, max_replicas=4,
                                             ray_start_params={"num-cpus": "2"}, requests=flyte.Resources(cpu=2, memory="2Gi")),
                            WorkerNodeConfig(group_name="gpu", replicas=1)],
        head_node_config=HeadNodeConfig(ray_start_params={"dashboard-host": "0.0.0.0"}, limits=flyte.Resources(cpu=1)),
        enable_autoscaling=True,
        autoscaler_options=AutoscalerOptionsConfig(upscaling_mode=AutoscalerOptionsConfig.UpscalingMode.CONSERVATIVE,
                                                   idle_timeout_seconds=60),
        runtime_env={"pip": ["numpy"]}, shutdown_after_job_finishes=True, ttl_seconds_after_finished=300)
    env = flyte.TaskEnvironment(name="ray_env", plugin_config=config, resources=flyte.Resources(cpu=1))

    small = flyte.TaskEnvironment(name="ray_small", plugin_config=RayJobConfig(
        worker_node_config=[WorkerNodeConfig(group_name="w", replicas=1)], runtime_env={"pip": ["numpy"]}))

    @env.task
    async def fan_out(n: int) -> int:
        return n * 2

    @small.task
    def one() -> int:
        return 1

    assert flyte.run(fan_out, 3).outputs() == (6,)  # accepted, kept on the environment; runs here without Ray
    result = export_project(tmp_path / "ray-project", entry="fan_out(3)", namespace={"fan_out": fan_out})
    module = (result.package / "ray_env.py").read_text()
    assert "from flyteplugins.ray import AutoscalerOptionsConfig, HeadNodeConfig, RayJobConfig, WorkerNodeConfig" \
        in module and "    plugin_config=RayJobConfig(\n" in module
    assert "            WorkerNodeConfig(group_name='gpu', replicas=1),\n" in module  # defaults are not spelled out
    assert "upscaling_mode=AutoscalerOptionsConfig.UpscalingMode.CONSERVATIVE," in module  # the constant by name
    dependencies = tomllib.loads((result.project / "pyproject.toml").read_text())["project"]["dependencies"]
    assert dependencies == ["flyte>=2.12,<2.13", "flyteplugins-ray>=2.12,<2.13"]

    sdk_side = inspect_project(sdk, result.package, run=False)
    theirs = sdk_side["tasks"]["ray_env.fan_out"]["plugin"]
    assert theirs["task_class"] == "RayFunctionTask" and theirs["task_type"] == "ray"
    assert theirs["config_class"] == "flyteplugins.ray.task.RayJobConfig"
    assert theirs["config"] == ray_config_canonical(config)
    assert theirs["config"]["worker_node_config"][0]["requests"]["memory"] == "2Gi"
    assert sdk_side["tasks"]["ray_small.one"]["plugin"]["config"] == ray_config_canonical(small.settings["plugin_config"])
    # the real plugin serializes it for a cluster (its pod resources would need the kubernetes package, which
    # the side venv does not have: ray_small has none)
    done = flyte_cli(result.project, "--endpoint", NO_CLUSTER, "--insecure", "-of", "json", "deploy", "--dry-run",
                     "ray_project/ray_small.py", "ray_small_env")
    assert done.returncode == 0 and "ray_small.one" in done.stdout, done.stdout + done.stderr

    compat.install()  # code written for the SDK imports the same classes under flyte_nb
    try:
        from flyteplugins.ray import RayJobConfig as Imported  # type: ignore[import-not-found]

        assert Imported is RayJobConfig
    finally:
        compat.uninstall()


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
    folder = result.package
    rich = (folder / "rich_env.py").read_text()
    assert "def scale(x: int) -> int:" in rich and "FACTOR = 10" in rich and "NAMES = ('a', 'b')" in rich
    assert "from rich_project.base_env import double" in rich and "quick = double.override(timeout=30, queue='fast')" in rich
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
    assert sdk_side["output"] == repr(tuple(flyte.run(tasks["pipeline"], 3).outputs())) == "([360, 2],)"


def test_a_secret_is_exported_by_reference_never_by_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_NB_SECRET_API_KEY", "s3cr3t-value")
    env = flyte.TaskEnvironment(name="secret_env", secrets=flyte.Secret(key="api_key", as_env_var="API_KEY"))

    @env.task
    def uses() -> str:
        import os
        return os.environ["API_KEY"][:2]

    text = (export_project(tmp_path / "ok_project", namespace={"uses": uses}).package / "secret_env.py").read_text()
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
    ("plugin", "environment 'plugin_env': plugin_config=.* is not a plugin's config class"),
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
    # inside() reads its container (GREETING from the image's env, its six package, cgroup limit, uid): flyte's local
    # mode runs it in the calling process, without the image, so the SDK fails where flyte_nb's container succeeds
    # (docs/export.md). The side venv has six (pandas needs it), so what is missing first is the image's GREETING.
    "images-and-resources.ipynb": ("inside()", "error: RuntimeUserError: 'GREETING'"),
}


#: Run in the notebook's kernel after the export: every top-level task call with literal inputs, made again under
#: flyte_nb, with the `flyte run` options of the same call and the module file its task is exported to.
CALLS_CELL = """
import json as _json
import flyte_nb as _flyte_nb
from flyte_nb.export.entry import top_level_calls as _calls
from flyte_nb.export.project import module_name as _module
_made = {}
for _call in _calls(get_ipython().history_manager.input_hist_raw, globals()):
    try:
        _out = [repr(_v) for _v in _flyte_nb.run(_call.task, *_call.args, **_call.kwargs).outputs()]
    except Exception as _error:
        _out = 'error: ' + type(_error).__name__
    _made[_call.code] = {'file': _module(_call.task.env.name) + '.py', 'task': _call.task.func.__name__,
                         'options': _call.cli_arguments(), 'outputs': _out}
print('CALLS ' + _json.dumps(_made))
"""
#: Calls whose output depends on the container (docs/export.md, "Local-mode outputs that cannot match"):
#: call -> what the flyte CLI's local run fails with instead.
CLI_LOCAL_FAILS = {"inside()": "'GREETING'",  # images-and-resources: the image's env
                   "stage()": "'STAGE'"}  # configuration-levels: the environment's env_vars


@pytest.mark.docker
@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_OUTPUTS))
def test_notebook_round_trip(notebook: str, sdk: Path, tmp_path: Path) -> None:
    """Each notebook, run headless and exported to a folder named like it (`configuration-levels`), then run by
    the real SDK: imported as a package (main.py), and every top-level call by the flyte CLI from its module's file."""
    from flyte_nb.export.notebook import export_notebook

    exported = export_notebook(ROOT / "notebooks" / notebook, tmp_path / notebook.removesuffix(".ipynb"),
                               after=[CALLS_CELL])
    entry, sdk_output = NOTEBOOK_OUTPUTS[notebook]
    assert exported.entry == entry
    assert exported.package.name == notebook.removesuffix(".ipynb").replace("-", "_")
    sdk_side = inspect_project(sdk, exported.package)
    ours = {name: canonical(name, resolution) for name, resolution in exported.settings.items()}
    assert_same_settings(ours, sdk_side["tasks"])
    assert sdk_side["output"] == sdk_output
    if not sdk_output.startswith("error"):
        assert sdk_output == f"({exported.entry_output},)"  # what the notebook's container run returned

    words = exported.run_command  # the README's first command: the entry through the flyte CLI
    assert words[:3] == ["flyte", "run", "--local"] and shlex.join(words) in (exported.project / "README.md").read_text()
    calls = json.loads(exported.after[0].split("CALLS ", 1)[1])
    assert entry in calls and calls[entry]["options"] == words[5:]
    for code, call in calls.items():
        done = flyte_cli(exported.project, "-of", "json", "run", "--local", f"{exported.package.name}/{call['file']}",
                         call["task"], *call["options"])
        if code in CLI_LOCAL_FAILS:
            assert done.returncode != 0 and CLI_LOCAL_FAILS[code] in done.stdout + done.stderr, (code, done.stdout)
        else:
            values = tuple(ast.literal_eval(v) for v in call["outputs"])
            assert cli_outputs(done) == action_outputs(values), code
    assert len(calls) >= 1


@pytest.mark.docker
def test_cli_exports_a_notebook(tmp_path: Path) -> None:
    """python -m flyte_nb export NOTEBOOK -o DIR --package NAME, with an explicit entry; the flyte CLI runs it."""
    project = tmp_path / "quick-start"
    done = subprocess.run([sys.executable, "-m", "flyte_nb", "export", str(ROOT / "notebooks" / "quickstart.ipynb"),
                           "-o", str(project), "--package", "quick", "--entry", 'my_task("CLI")'],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["entry"] in ('my_task("CLI")', "my_task('CLI')")
    assert summary["project"] == str(project) and summary["package"] == str(project / "quick")
    main = (project / "quick" / "main.py").read_text()
    assert "from quick.my_env import my_task" in main and "run(my_task, 'CLI')" in main
    assert sorted(p.name for p in (project / "quick").glob("*.py")) == [
        "__init__.py", "another_env.py", "data_processing_env.py", "main.py", "my_env.py"]
    assert summary["run_command"] == ["flyte", "run", "--local", "quick/my_env.py", "my_task", "--name", "CLI"]
    assert cli_outputs(flyte_cli(project, "-of", "json", *summary["run_command"][1:])) == 'ActionOutputs(o0="Hello CLI!")'

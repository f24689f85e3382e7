"""The repo's notebooks, written from their cells here (source of truth), then recorded.

python notebooks/make.py && python notebooks/record.py notebooks/*.ipynb
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).parent


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip())


def write(name: str, cells: list[nbformat.NotebookNode]) -> None:
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, HERE / name)


SETUP = code('%load_ext flyte_nb\nimport flyte_nb as flyte\n\nflyte.init(runner="auto")')

QUICKSTART = [
    md("""
# flyte_nb quickstart

Flyte 2's task configuration, in a notebook. Every task call below runs in its own Docker
container, built from its environment's image, with its resolved settings enforced. Without a
Docker engine, `runner="auto"` falls back to local subprocesses and says so.
"""),
    SETUP,
    md("The simplest case: a `TaskEnvironment` with only a name, and a task with no parameters."),
    code('env = flyte.TaskEnvironment(name="my_env")\n\n@env.task\nasync def my_task(name: str) -> str:\n'
         '    return f"Hello {name}!"'),
    code('await my_task("Flyte")'),
    md("""
## Three configuration levels

The spec's example, verbatim: `TaskEnvironment` (level 1), the `@env.task` decorator (level 2),
and `task.override()` at the call site (level 3). The more specific level wins.
"""),
    code('another_env = flyte.TaskEnvironment(name="another_env")'),
    code('''# Level 1: TaskEnvironment - Base configuration
env_2 = flyte.TaskEnvironment(
    name="data_processing_env",
    image=flyte.Image.from_debian_base(),
    resources=flyte.Resources(cpu=1, memory="512Mi"),
    env_vars={"MY_VAR": "value"},
    # secrets=flyte.Secret(key="openapi_key", as_env_var="MY_API_KEY"),
    cache="disable",
    # pod_template=my_pod_template,
    # reusable=flyte.ReusePolicy(replicas=2, idle_ttl=300),
    depends_on=[another_env],
    description="Data processing task environment",
    # plugin_config=my_plugin_config
)'''),
    code('''# Level 2: Decorator - Override some environment settings
@env_2.task(
    short_name="process",
    # secrets=flyte.Secret(key="openapi_key", as_env_var="MY_API_KEY_2"),
    cache="auto",
    # pod_template=my_pod_template,
    report=True,
    max_inline_io_bytes=100 * 1024,
    retries=3,
    timeout=60,
    docs="This task processes data and generates a report."
)
async def process_data(data_path: str) -> str:
    return f"Processed {data_path}"

@env_2.task
async def invoke_process_data() -> str:
    result = await process_data.override(
        resources=flyte.Resources(cpu=4, memory="2Gi"),
        env_vars={"MY_VAR": "new_value"},
        # secrets=flyte.Secret(key="openapi_key", as_env_var="MY_API_KEY_3"),
        cache="auto",
        max_inline_io_bytes=100 * 1024,
        retries=3,
        timeout=60
    )("input.csv")
    return result'''),
    md("The outer task runs in a container, and the inner call, with the override's settings, in a second one, "
       "unless an earlier kernel already made that call: `cache=\"auto\"` keeps outputs on disk across kernels "
       "(`%flyte_cache` lists them), and the inner call's status line then says *cache hit (no container)*."),
    code('await invoke_process_data()'),
    md("Run it again: the outer task runs, but the inner call has `cache=\"auto\"` and the same code, "
       "inputs and image, so it is a cache hit and starts no container."),
    code('flyte.run(invoke_process_data).outputs()'),
    md("What the inner call ran with, and the level each value came from:"),
    code('inner = flyte.registry().runs[-1]\n{name: (s["value"], s["level"]) for name, s in inner.settings.items()\n'
         ' if name in ("resources", "env_vars", "retries", "timeout", "cache", "short_name")}'),
    code('%flyte_tasks'),
]

LEVELS = [
    md("""
# Configuration levels, provenance and errors

Each parameter may be set at some of the three levels (see `docs/parameters.md`). The effective
value of every parameter comes with the level it came from.
"""),
    SETUP,
    code('env = flyte.TaskEnvironment(name="levels_env", resources=flyte.Resources(cpu=1), env_vars={"STAGE": "env"},\n'
         '                             cache="auto", queue="default")\n\n'
         '@env.task(retries=2, timeout=30, cache="override")\ndef stage() -> str:\n'
         '    """Which stage am I?"""\n    import os\n    return os.environ["STAGE"]'),
    code('def provenance(task):\n    return {name: f"{e.value!r} [{e.level.value}]" for name, e in task.resolve().items()\n'
         '            if name in ("resources", "env_vars", "cache", "retries", "timeout", "queue", "docs")}\n\n'
         'provenance(stage)'),
    code('fast = stage.override(env_vars={"STAGE": "override"}, retries=0, timeout=None)\nprovenance(fast)'),
    md("An explicit falsy override (`retries=0`, `timeout=None`, `env_vars={}`) is honored, not dropped:"),
    code('stage(), fast(), stage.override(env_vars={"STAGE": ""})()'),
    md("Overrides never change the original task, and they chain:"),
    code('chained = fast.override(queue="urgent")\n'
         '(stage.resolve().value("queue"), fast.resolve().value("queue"), chained.resolve().value("queue"))'),
    md("A setting at a level that does not take it is refused, naming the parameter, value and level:"),
    code('try:\n    flyte.TaskEnvironment(name="bad_env", retries=3)\nexcept flyte.ConfigError as error:\n    print(error)'),
    code('try:\n    stage.override(image="python:3.11")\nexcept flyte.ConfigError as error:\n    print(error)'),
    code('warm = flyte.TaskEnvironment(name="warm_env", reusable=flyte.ReusePolicy(replicas=2))\n\n'
         '@warm.task\ndef w() -> int:\n    return 1\n\ntry:\n    w.override(resources=flyte.Resources(cpu=2))\n'
         'except flyte.ConfigError as error:\n    print(error)\n\n'
         'w.override(reusable="off", resources=flyte.Resources(cpu=2)).resolve().value("resources")'),
    md("The same from a cell magic: `%%flyte_task` registers every function of the cell."),
    code('%%flyte_task env=env retries=1 short_name="add"\ndef add(a: int, b: int) -> int:\n    return a + b'),
    code('add(2, 3), add.resolve().value("short_name")'),
    code('%flyte_tasks'),
    md("The live panel edits settings at every level (try it); its edits apply to the next call."),
    code('# widget model ids are random, so this one output is not compared\n# NBVAL_IGNORE_OUTPUT\n%flyte_panel levels_env.stage'),
]

IMAGES = [
    md("""
# Images and resources

An `Image` is a recipe; its tag is a hash of its content, so an unchanged image is never rebuilt
(and never pulled). Resources become cgroup limits of the task's container.
"""),
    SETUP,
    code('image = flyte.Image.from_debian_base(name="nb-demo").with_pip_packages("six==1.16.0").with_env_vars({"GREETING": "hi"})\n'
         'env = flyte.TaskEnvironment(name="images_env", image=image, resources=flyte.Resources(cpu=1, memory="256Mi"))\n'
         'image.tag'),
    code('@env.task\ndef inside() -> dict:\n    import os, six\n    def read(*paths):\n        for p in paths:\n'
         '            if os.path.exists(p):\n                return open(p).read().strip()\n'
         '    return {"six": six.__version__, "greeting": os.environ["GREETING"], "root": os.getuid() == 0,\n'
         '            "root_fs_writable": os.access("/usr", os.W_OK),\n'
         '            "memory_limit": read("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"),\n'
         '            "network": sorted(os.listdir("/sys/class/net"))}\n\ninside()'),
    md("Going over the memory limit is reported as OOM, with the limit:"),
    code('@env.task\ndef hog() -> int:\n    return len(bytearray(512 * 2**20))\n\n'
         'try:\n    hog()\nexcept flyte.TaskOOMError as error:\n    print(str(error).splitlines()[0])'),
    md("A timeout stops the container at the deadline:"),
    code('@env.task(timeout=2)\ndef slow() -> None:\n    import time\n    time.sleep(60)\n\n'
         'try:\n    slow()\nexcept flyte.TaskTimeoutError as error:\n    print(error)'),
    code('%flyte_runs'),
]

REPORTS = [
    md("""
# Reports

A task with `report=True` writes HTML with `flyte_nb.report`; each flush streams to the
notebook while the task runs and renders under the cell, in tabs, in a sandboxed frame.
"""),
    SETUP,
    code('from flyte_nb import report\n\nenv = flyte.TaskEnvironment(name="reports_env")\n\n'
         '@env.task(report=True)\nasync def train(epochs: int) -> float:\n    import asyncio\n    loss = 1.0\n'
         '    for epoch in range(epochs):\n        loss *= 0.5\n'
         '        report.log(f"<p>epoch {epoch}: loss {loss:.3f}</p>", do_flush=True)\n'
         '        print("epoch", epoch)\n        await asyncio.sleep(0.2)\n'
         '    report.get_tab("summary").replace(f"<h2>final loss {loss:.3f}</h2>")\n    return loss'),
    code('await train(3)'),
    code('run = flyte.registry().runs[-1]\nrun.report'),
    code('%flyte_report ' + '{run.id}'),
]


if __name__ == "__main__":
    write("quickstart.ipynb", QUICKSTART)
    write("configuration-levels.ipynb", LEVELS)
    write("images-and-resources.ipynb", IMAGES)
    write("reports.ipynb", REPORTS)

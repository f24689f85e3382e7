"""IPython magics: %%flyte_task registers a cell's functions as tasks; line magics inspect the registry.

Loaded by `%load_ext flyte_nb`; only IPython is imported here. Settings on the %%flyte_task
line are Python keyword arguments evaluated in the notebook's namespace and validated by the
same table-driven model as `@env.task(...)`, so a refused setting gives the same error.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import linecache
import textwrap
import types
from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .config.errors import ConfigError
from .config.jsonable import to_code
from .config.parameters import PARAMETERS, Level
from .config.validate import validate_settings
from .registry import registry
from .table import Table
from .tracebacks import user_facing


# ---- the %%flyte_task line -------------------------------------------------------------------
def split_line(line: str) -> list[str]:
    """Split at top-level whitespace only: `resources=flyte.Resources(cpu=1, memory="1Gi")` is one token."""
    tokens, current, depth, quote = [], "", 0, ""
    for char in line:
        if quote:
            current += char
            if char == quote and not current.endswith("\\" + quote):
                quote = ""
        elif char in "\"'":
            quote, current = char, current + char
        elif char in "([{":
            depth, current = depth + 1, current + char
        elif char in ")]}":
            depth, current = depth - 1, current + char
        elif char.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if quote or depth:
        raise UsageError(f"%%flyte_task: unbalanced quotes or brackets in {line!r}")
    return tokens + ([current] if current else [])


def parse_line(line: str, namespace: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings evaluated in the namespace, options --run/--cell)."""
    settings: dict[str, Any] = {}
    options: dict[str, str] = {}
    tokens = split_line(line)
    while tokens:
        token = tokens.pop(0)
        if token in ("--run", "--cell"):
            if not tokens:
                raise UsageError(f"%%flyte_task: {token} needs a value")
            value = tokens.pop(0)
            options[token[2:]] = ast.literal_eval(value) if value[:1] in "\"'" else value
            continue
        try:
            call = ast.parse(f"f({token})", mode="eval").body
            assert isinstance(call, ast.Call) and not call.args and len(call.keywords) == 1
            keyword = call.keywords[0]
            assert keyword.arg is not None
        except (SyntaxError, AssertionError):
            raise UsageError(f"%%flyte_task: {token!r} is not a setting; write name=value (Python syntax), "
                             f"e.g. env=my_env retries=3 cache=\"auto\"") from None
        expression = ast.Expression(keyword.value)
        try:
            settings[keyword.arg] = eval(compile(expression, "<%%flyte_task>", "eval"), namespace)  # noqa: S307
        except Exception as error:  # noqa: BLE001 - report what went wrong evaluating the user's value
            raise UsageError(f"%%flyte_task: could not evaluate {token!r}: {type(error).__name__}: {error}") from None
    return settings, options


def defined_functions(cell: str) -> list[str]:
    """Names of the functions a cell defines at top level (def and async def)."""
    try:
        tree = ast.parse(cell)
    except SyntaxError as error:
        raise UsageError(f"%%flyte_task: the cell has a syntax error at line {error.lineno}: {error.msg}") from None
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def cell_interface(cell: str, namespace: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(inputs, outputs) of a cell run as a task: free names it reads from the namespace, names it assigns."""
    try:
        tree = ast.parse(cell)
    except SyntaxError as error:
        raise UsageError(f"%%flyte_task: the cell has a syntax error at line {error.lineno}: {error.msg}") from None
    assigned: list[str] = []
    for node in tree.body:
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            targets = [node.target] if isinstance(node, (ast.For, ast.AsyncFor)) else \
                [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            assigned.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            assigned += [(a.asname or a.name).split(".")[0] for a in node.names]
        for target in targets:
            assigned += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    loaded = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    inputs = [n for n in dict.fromkeys(loaded) if n in namespace and not hasattr(builtins, n)
              and not isinstance(namespace[n], types.ModuleType) and not n.startswith("_")]
    outputs = [n for n in dict.fromkeys(assigned) if not n.startswith("_")]
    return inputs, outputs


def cell_function(name: str, cell: str, inputs: list[str], outputs: list[str], namespace: dict[str, Any],
                  filename: Callable[[str], str] | None = None) -> Any:
    """def name(<inputs>): <cell>; return {<outputs>}, with the notebook's modules as its globals.

    `filename(source)` names (and caches) the source: the magic's cell, so a traceback shows the cell's lines
    (the `def` line stands where the magic line is, so line numbers are the cell's)."""
    body = textwrap.indent(cell.rstrip() or "pass", "    ")
    returns = ", ".join(f"{o!r}: {o}" for o in outputs)
    source = f"def {name}({', '.join(inputs)}):\n{body}\n    return {{{returns}}}\n"
    globals_ = {k: v for k, v in namespace.items() if isinstance(v, types.ModuleType)}
    globals_["__name__"] = "__main__"
    where = filename(source) if filename is not None else f"<%%flyte_task --cell {name}>"
    exec(compile(source, where, "exec"), globals_)  # noqa: S102
    func = globals_[name]
    func.__flyte_source__ = source
    return func


def confirmation(tasks: list[Any], env: Any, settings: dict[str, Any]) -> str:
    """The one line a %%flyte_task cell prints: what it registered, where, with which settings."""
    names = ", ".join(task.name for task in tasks)
    given = ", ".join(f"{name}={to_code(value)}" for name, value in settings.items())
    return (f"registered task{'s' if len(tasks) != 1 else ''} {names} in environment {env.name}"
            + (f" with {given}" if given else ""))


def this_cell_number(shell: Any) -> int:
    """The number of the cell a magic runs in (IPython 9 counts a cell before running it)."""
    return max(shell.execution_count - 1, 1)


def run_as_this_cell(shell: Any, line: str, cell: str) -> Any:
    """Run the body as part of the magic's own cell: its functions' file is that cell's (`Cell In[6]`, not
    the next number: IPython counted this cell already) and their lines are the cell's lines (the magic's
    line stays, as a comment), so a task's traceback points where the user sees the code."""
    count = shell.execution_count
    shell.execution_count = this_cell_number(shell)
    try:
        return shell.run_cell(f"# %%flyte_task {line}\n{cell}", store_history=False)
    finally:
        shell.execution_count = count


def help_text() -> str:
    """%%flyte_task? : generated from the parameter table."""
    rows = [f"  {p.name:<20} {p.type_hint:<42} default {p.default_note or repr(p.default)}"
            for p in PARAMETERS if p.rule(Level.DECORATOR).allowed]
    others = ", ".join(p.name for p in PARAMETERS if not p.rule(Level.DECORATOR).allowed)
    return "\n".join([
        "%%flyte_task env=ENV [setting=value ...] [--run EXPR] [--cell NAME]",
        "",
        "Registers every function the cell defines (def and async def) as a task of the TaskEnvironment",
        "ENV (a variable of the notebook), with @env.task settings written as Python keyword arguments:",
        "    %%flyte_task env=my_env retries=3 timeout=60 cache=\"auto\" report=True short_name=\"process\"",
        "",
        "Settings allowed here (the @env.task decorator level):",
        *rows,
        f"Not allowed here (set them on the TaskEnvironment or with task.override()): {others}.",
        "",
        "--run EXPR   run EXPR (e.g. \"my_task(3)\") right after registering.",
        "--cell NAME  run the cell body itself as task NAME: its inputs are the notebook variables it",
        "             reads, its outputs the names it assigns (written back to the notebook).",
    ])


@magics_class
class FlyteMagics(Magics):
    # ---- %%flyte_task ------------------------------------------------------------------------
    @cell_magic
    @user_facing  # a task it runs (--run, --cell) that fails shows the cell's frames, not the magic's
    def flyte_task(self, line: str, cell: str) -> Any:
        namespace = self.shell.user_ns
        settings, options = parse_line(line, namespace)
        env = self._environment(settings.pop("env", None))
        try:
            validate_settings(Level.DECORATOR, settings)
        except ConfigError as error:
            raise UsageError(f"%%flyte_task: {error}") from None
        if "cell" in options:
            return self._cell_task(env, options["cell"], cell, settings)
        names = defined_functions(cell)
        if not names:
            raise UsageError("%%flyte_task: the cell defines no function (def or async def); nothing registered")
        result = run_as_this_cell(self.shell, line, cell)
        if not result.success:
            return None  # the cell's own error was shown; nothing registered
        functions = {name: namespace[name] for name in names}
        for name, func in functions.items():
            if not inspect.isfunction(func) or inspect.isgeneratorfunction(func):
                raise UsageError(f"%%flyte_task: {name!r} is not a plain function; nothing registered")
        for name, func in functions.items():
            namespace[name] = env.task(**settings)(func)
        print(confirmation([namespace[name] for name in names], env, settings))
        if "run" in options:
            return run_expression(options["run"], namespace)
        return None

    def _environment(self, value: Any) -> Any:
        from .environment import TaskEnvironment

        if value is None:
            raise UsageError("%%flyte_task: env=... is required, e.g. %%flyte_task env=my_env")
        if not isinstance(value, TaskEnvironment):
            raise UsageError(f"%%flyte_task: env={value!r} is not a flyte.TaskEnvironment")
        return value

    def _cell_task(self, env: Any, name: str, cell: str, settings: dict[str, Any]) -> Any:
        if not name.isidentifier():
            raise UsageError(f"%%flyte_task: --cell {name!r} must be a Python identifier")
        namespace = self.shell.user_ns
        inputs, outputs = cell_interface(cell, namespace)
        count = this_cell_number(self.shell)
        task = env.task(**settings)(cell_function(name, cell, inputs, outputs, namespace,
                                                  lambda source: self.shell.compile.cache(source, count)))
        namespace[name] = task
        namespace.update(task(**{i: namespace[i] for i in inputs}))
        return None

    # ---- inspection ----------------------------------------------------------------------------
    @line_magic
    def flyte_envs(self, line: str) -> Table:
        """%flyte_envs: environments and their effective settings (non-default ones, with their level)."""
        rows = []
        for name, env in registry().environments.items():
            resolution = env.resolve()
            shown = [f"{k}={_short(to_code(e.value))}" for k, e in resolution.items()
                     if e.level is Level.ENVIRONMENT and k != "name"]
            rows.append([name, "\n".join(shown), ", ".join(env.tasks)])
        return Table(["environment", "settings", "tasks"], rows, title="flyte_nb environments")

    @line_magic
    def flyte_tasks(self, line: str) -> Table:
        """%flyte_tasks: tasks with every non-default effective setting and the level it came from."""
        rows = []
        for name, task in registry().tasks.items():
            resolution = task.resolve()
            shown = [f"{k}={_short(to_code(e.value))} [{e.level.value}]" for k, e in resolution.items()
                     if e.level is not Level.DEFAULT and k != "name"]
            rows.append([name, "async" if task.is_async else "sync", "\n".join(shown)])
        return Table(["task", "kind", "effective settings [level]"], rows, title="flyte_nb tasks")

    @line_magic
    def flyte_runs(self, line: str) -> Table:
        """%flyte_runs: run history (status, duration, attempts, cache, container, resources, group, traces, and
        what the last attempt used: peak memory of its limit, CPU seconds, wall time)."""
        from .usage import summary

        rows = []
        for run in registry().runs:
            resources = run.settings.get("resources", {}).get("value")
            rows.append([run.id, run.task, run.status.value, f"{run.duration:.2f}s" if run.duration else "",
                         len(run.attempts), run.cache or "",
                         run.attempts[-1].container if run.attempts else "", _short(resources), run.parent or "",
                         run.group or "", len(run.traces) or "", summary(run.usage)])
        return Table(["run", "task", "status", "duration", "attempts", "cache", "container", "resources", "parent",
                      "group", "traces", "used"],
                     rows, title="flyte_nb runs")

    @magic_arguments()
    @argument("run", nargs="?", default=None, help="draw only this run and the calls under it, e.g. r3")
    @line_magic
    def flyte_timeline(self, line: str) -> Any:
        """%flyte_timeline [RUN]: the runs as a Gantt chart, nested calls under their parent, coloured by status,
        with each call's memory over time and its peak and CPU time."""
        from .timeline import Timeline, timeline

        root = parse_argstring(self.flyte_timeline, line).run
        if root is not None:
            _run(root)  # an unknown id: the same UsageError as %flyte_logs
        return Timeline(timeline(registry().runs, root=root))

    @magic_arguments()
    @argument("run", help="run id, e.g. r3")
    @argument("--full", action="store_true", help="also the image build's output and each failure's whole traceback")
    @line_magic
    def flyte_logs(self, line: str) -> None:
        """%flyte_logs [--full] RUN: each attempt's output under a line saying how it ended."""
        args = parse_argstring(self.flyte_logs, line)
        print(logs_text(_run(args.run), full=args.full), end="")

    @magic_arguments()
    @argument("run", help="run id, e.g. r3")
    @line_magic
    def flyte_report(self, line: str) -> Any:
        """%flyte_report RUN: show a run's report (and where its standalone HTML file is)."""
        from .display import ReportView

        run = _run(parse_argstring(self.flyte_report, line).run)
        if not run.report:
            raise UsageError(f"run {run.id} ({run.task}) has no report; its task needs report=True")
        return ReportView(run)

    @magic_arguments()
    @argument("key")
    @argument("--group", default=None)
    @argument("--from-env", default=None, help="read the value from this environment variable instead of a prompt")
    @argument("--delete", action="store_true")
    @line_magic
    def flyte_secret(self, line: str) -> None:
        """%flyte_secret KEY [--group G] [--from-env VAR] [--delete]: set a secret without showing it."""
        import getpass
        import os

        from . import secrets

        args = parse_argstring(self.flyte_secret, line)
        if args.delete:
            secrets.delete(args.key, args.group)
            print(f"deleted secret {args.key!r}")
            return
        value = os.environ.get(args.from_env, "") if args.from_env else getpass.getpass(f"value of {args.key}: ")
        if not value:
            raise UsageError("%flyte_secret: empty value; nothing stored")
        secrets.set(args.key, value, args.group)
        print(f"stored secret {args.key!r}" + (f" (group {args.group!r})" if args.group else ""))

    @magic_arguments()
    @argument("action", nargs="?", choices=["list", "clear"], default="list")
    @argument("--task", default=None, help="only this task's entries (its full name, env.func)")
    @line_magic
    def flyte_cache(self, line: str) -> Table | None:
        """%flyte_cache [list|clear] [--task NAME]: the cached outputs on disk (flyte.cache.list/clear)."""
        import datetime

        from . import cache

        args = parse_argstring(self.flyte_cache, line)
        if args.action == "clear":
            print(f"removed {cache.clear(args.task)} cache entries" + (f" of {args.task}" if args.task else ""))
            return None
        rows = [[e.task, e.key[:12], datetime.datetime.fromtimestamp(e.created).strftime("%Y-%m-%d %H:%M:%S"),
                 f"{e.size:,} B", e.output_type, e.run or ""] for e in cache.list(args.task)]
        return Table(["task", "key", "created", "size", "output", "run"], rows,
                     title=f"flyte_nb cache ({cache.root()})")

    @line_magic
    def flyte_panel(self, line: str) -> Any:
        """%flyte_panel [ENV_OR_TASK]: the live settings panel of an environment or a task."""
        from .panel import SettingsPanel

        return SettingsPanel.for_name(line.strip() or None)

    @line_magic
    def flyte_export(self, line: str) -> Any:
        """%flyte_export DIR [--package NAME] [--entry "my_task(1)"] [--origin NAME]: write the notebook's
        environments and tasks as a flyte 2 project in DIR (any folder name): pyproject.toml, README.md and
        the package NAME (default: derived from DIR) with a module per environment and main.py."""
        import shlex

        from .export import ExportError, export_project

        usage = '%flyte_export DIR [--package NAME] [--entry "my_task(1)"]'
        words = shlex.split(line)
        known = ("--entry", "--origin", "--package")
        options = {w[2:]: words[i + 1] for i, w in enumerate(words[:-1]) if w in known}
        unknown = [w for w in words if w.startswith("--") and w not in known]
        if unknown:
            raise UsageError(f"{usage}: unknown option {unknown[0]}")
        paths = [w for i, w in enumerate(words) if not w.startswith("--") and (i == 0 or words[i - 1] not in known)]
        if len(paths) != 1:
            raise UsageError(f"{usage}: give one folder")
        cells = list(self.shell.history_manager.input_hist_raw) if self.shell.history_manager else []
        try:
            result = export_project(paths[0], package=options.get("package"), entry=options.get("entry"), cells=cells,
                                    namespace=self.shell.user_ns, origin=options.get("origin", "a notebook"))
        except ExportError as error:
            raise UsageError(f"%flyte_export: {error}") from None
        print(result)
        return result

    @line_magic
    def flyte_use(self, line: str) -> Any:
        """%flyte_use MODULE: import a module written for the flyte SDK with flyte_nb standing in for flyte
        (its tasks run in flyte_nb's containers); binds it in the notebook under its last name."""
        from .compat import use

        name = line.strip()
        if not name:
            raise UsageError("%flyte_use MODULE: name a module, e.g. %flyte_use my_pipeline")
        module = use(name)
        self.shell.user_ns[name.rsplit(".", 1)[-1]] = module
        return None


FlyteMagics.flyte_task.__doc__ = help_text()


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _run(run_id: str) -> Any:
    try:
        return registry().run(run_id)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None


def logs_text(run: Any, full: bool = False) -> str:
    """%flyte_logs: per attempt a title (how it ended, where), the task's output, and with `full` the image
    build's output and the whole traceback of a failure (a cell shows the user's frames only)."""
    parts = []
    for attempt in run.attempts:
        build, output = attempt.parts()
        parts.append(f"--- {run.attempt_title(attempt)} ({attempt.container or 'no container'})\n")
        if build and full:
            parts.append("".join(build))
        elif build:
            parts.append(f"[{len(build)} lines of image build output: %flyte_logs --full {run.id} shows them]\n")
        parts.append("".join(output))
        if output and not output[-1].endswith("\n"):
            parts.append("\n")
        if full and attempt.traceback:
            parts.append(attempt.traceback if attempt.traceback.endswith("\n") else attempt.traceback + "\n")
    return "".join(parts)


def run_expression(expression: str, namespace: dict[str, Any]) -> Any:
    """--run EXPR: evaluate (a leading `await` is allowed) and wait for an awaitable result."""
    from .runtime import runtime

    source = expression.strip()
    source = source[len("await "):] if source.startswith("await ") else source
    filename = "<%%flyte_task --run>"
    linecache.cache[filename] = (len(source), None, [source + "\n"], filename)  # a traceback shows it
    try:
        value = eval(compile(source, filename, "eval"), namespace)  # noqa: S307
    except SyntaxError as error:
        raise UsageError(f"%%flyte_task --run {expression!r}: {error.msg}") from None
    if inspect.isawaitable(value):
        value = runtime().wait(runtime().submit(value))
    return value


def arm_interrupt(*_info: Any) -> None:
    """pre_run_cell: make a kernel interrupt cancel this cell's task calls (and stop their containers).

    ipykernel restores its own SIGINT handler after every cell, so the runtime re-wraps it at
    the start of each cell; without this an interrupted `await task()` in a later cell would
    wait for the task to finish (ipykernel's async-cell handler does not wake the event loop).
    """
    from .runtime import runtime

    runtime().arm_interrupt()


def load_ipython_extension(shell: Any) -> None:
    from .bridge import register
    from .runtime import runtime

    shell.register_magics(FlyteMagics)
    runtime().views = True
    register(shell)  # the JupyterLab sidebar's comm
    if getattr(shell, "kernel", None) is not None and arm_interrupt not in shell.events.callbacks["pre_run_cell"]:
        shell.events.register("pre_run_cell", arm_interrupt)

"""Export the registry to a flyte 2 project: a package with one module per TaskEnvironment, in a
project folder with pyproject.toml and a README of the commands (layout.py).

Each module holds its environment (every setting as code, depends_on by reference), its tasks'
source under decorators written from the settings in effect now (panel and sidebar edits
included), the imports, helpers and constants the tasks read, and the panel's session
overrides as `task = task.override(...)` (every call of the task runs with them, as in the
notebook). `main.py` runs the entry task with flyte.run; pyproject.toml depends on flyte 2.12.

Everything is generated in memory first: an ExportError (a lambda, a closure, a live object)
leaves the target folder untouched.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import keyword
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pydantic

from ..codegen import decorator_code, environment_code, kwargs_code, variable
from ..environment import TaskEnvironment
from ..registry import registry
from ..task import TaskTemplate
from .entry import find_entry, parse_entry
from .errors import ExportError
from .layout import (Command, check_package, commands, dependencies, distribution_name, main_text, package_name,
                     pyproject_text, readme_text)
from .sdk_code import LINKS_MODULE, Code, SdkCode
from .source import await_report_calls, class_source, function_source, global_names, keep_falsy_overrides

#: flyte_nb submodules that exist in the SDK under the same name.
_SDK_SUBMODULES = {"flyte_nb.report": "report", "flyte_nb.errors": "errors"}
#: Falsy override values the SDK drops (see source.py); retries=0 has a truthy spelling.
_NO_TRUTHY_FORM = ("timeout", "env_vars", "secrets", "max_inline_io_bytes", "links")


def module_name(env_name: str) -> str:
    """A module name for an environment ("data-env" -> "data_env"); never main or a keyword."""
    name = re.sub(r"\W", "_", env_name)
    if keyword.iskeyword(name) or name in ("main", "files") or name[0].isdigit():
        name = f"{name}_env"
    return name


@dataclass
class Module:
    """What one environment's module will hold, filled while the tasks' names are resolved."""

    name: str
    env: TaskEnvironment
    imports: dict[str, None] = field(default_factory=dict)
    siblings: dict[str, None] = field(default_factory=dict)  # other modules of the package it imports
    constants: dict[str, str] = field(default_factory=dict)
    helpers: dict[str, str] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    after: dict[str, str] = field(default_factory=dict)  # name -> statement run after the tasks

    def text(self, sdk: SdkCode, package: str, origin: str) -> str:
        """The module's source; its sibling imports are absolute (`from PACKAGE.other_env import ...`)."""
        sdk.imports.clear()
        constants = "\n".join(f"{n} = {c}" for n, c in self.constants.items())
        body = "\n\n\n".join(part for part in [
            constants,
            *self.helpers.values(),
            wrap_call(environment_code(self.env, "flyte.", sdk.special)),
            *(wrap_call(t) for t in self.tasks),
            "\n".join(self.after.values()),
        ] if part)
        if "HERE /" in body:
            body = "HERE = pathlib.Path(__file__).parent  # image files (files/) are named relative to the project\n\n\n" + body
        std = sorted(f"import {m}" for m in ("dataclasses", "datetime", "pathlib") if f"{m}." in body)
        third = _merged_imports([*self.imports, *sdk.imports])
        local = sorted(f"from {package}.{line}" for line in self.siblings)
        if sdk.uses_links and "Link(" in body:
            local.insert(0, f"from {package}._links import Link")
        groups = [group for group in (std, third, local) if group]
        header = [f'"""{self.env.name}: exported by flyte_nb from {origin}."""', ""]
        header += ["\n".join(group) + "\n" for group in groups]
        header = ["\n".join(header).rstrip("\n")]
        return "\n".join(header) + "\n\n\n" + body + "\n"


class Exporter:
    """Resolves every name a task reads to an import, a helper's source, a constant or an error."""

    def __init__(self, namespace_secrets: Sequence[str] = ()) -> None:
        reg = registry()
        self.tasks = list(reg.tasks.values())
        self.environments: dict[str, TaskEnvironment] = {}
        for env in [*reg.environments.values(), *(t.env for t in self.tasks)]:
            self._add_environment(env)
        self.modules = {n: Module(module_name(n), e) for n, e in self.environments.items()}
        self.sdk = SdkCode()
        self.secret_values = [v for v in namespace_secrets if len(v) >= 4]

    def _add_environment(self, env: TaskEnvironment) -> None:
        """`env` and everything it depends on, walked with a stack (a 1000-deep chain is legal)."""
        stack = [env]
        while stack:
            current = stack.pop()
            if current.name in self.environments:
                continue
            self.environments[current.name] = current
            stack.extend(reversed(current.settings.get("depends_on", ())))

    # ---- the modules -----------------------------------------------------------------------------
    def build(self) -> None:
        for env in self.environments.values():
            config = env.settings.get("plugin_config")
            if config is not None and not (dataclasses.is_dataclass(config) and not isinstance(config, type)):
                raise ExportError(f"environment {env.name!r}: plugin_config={config!r} is not a plugin's config class; "
                                  "the flyte SDK needs one its plugin registered, e.g. flyteplugins.ray.RayJobConfig "
                                  "(flyte_nb.plugins.ray.RayJobConfig in a notebook)")
            module = self.modules[env.name]
            module.imports["import flyte"] = None
            for dependency in env.settings.get("depends_on", ()):
                self._sibling(module, dependency.name, variable(dependency.name))
        for task in self.tasks:
            self._task(task)
        self._check_cycles()

    def _task(self, task: TaskTemplate) -> None:
        module = self.modules[task.env.name]
        what = f"task {task.name}"
        source = sdk_source(function_source(task.func, what), task.func)
        settings = dict(task.decorator_settings)
        if "docs" in settings:  # the flyte CLI reads docs.__help__str__(): the SDK's Documentation, not a str
            settings["docs"] = Code(f"flyte.Documentation(description={settings['docs']!r})")
        module.tasks.append(decorator_code(task, "flyte.", self.sdk.special, settings) + "\n" + source.rstrip("\n"))
        session = dict(registry().session_overrides(task.name))
        if session:
            name = task.func.__name__
            module.after[f"{name}#session"] = (f"# the notebook's session overrides (settings panel): every call runs with them\n"
                                               f"{name} = {self.override_code(name, session)}")
        self._names(module, task.func, what)

    def override_code(self, base: str, settings: Mapping[str, Any]) -> str:
        """base.override(...) that keeps falsy values under the SDK (see source.py)."""
        settings = dict(settings)
        if settings.get("retries") is not None and settings["retries"].count == 0 and settings["retries"].backoff is None:
            settings["retries"] = None
        plain = {k: v for k, v in settings.items() if not (k in _NO_TRUTHY_FORM and not v) and v is not None}
        kept = {k: v for k, v in settings.items() if k in _NO_TRUTHY_FORM and not v}
        args = kwargs_code(plain, "flyte.", self.sdk.special)
        if "retries" in settings and settings["retries"] is None:
            args = ", ".join(a for a in (args, "retries=flyte.RetryStrategy(count=0)") if a)
        code = f"{base}.override({args})"
        if kept:
            code = f"dataclasses.replace({code}, {', '.join(f'{k}={self.sdk.code(v)}' for k, v in kept.items())})"
        return code

    # ---- names a function reads ----------------------------------------------------------------
    def _names(self, module: Module, func: Any, what: str) -> None:
        """Resolve the globals a function reads, and the variables it closes over (they become module names)."""
        scope = getattr(func, "__globals__", None) or vars(sys.modules.get(func.__module__, types.ModuleType("?")))
        for name in global_names(func):
            if name == getattr(func, "__name__", None) or name not in scope:
                continue  # itself, a builtin or a name the notebook never defined
            self._name(module, name, scope[name], func, f"{what} reads {name!r},")
        cells = getattr(func, "__closure__", None) or ()
        for name, cell in zip(getattr(getattr(func, "__code__", None), "co_freevars", ()), cells):
            try:
                value = cell.cell_contents
            except ValueError:
                raise ExportError(f"{what} is a closure over {name!r}, which has no value yet") from None
            self._name(module, name, value, func, f"{what} is a closure over {name!r},")

    def _name(self, module: Module, name: str, value: Any, origin: Any, what: str) -> None:
        """`what` says how the name is reached ("task e.t reads 'x',"), for the error message."""
        if name in module.imports or name in module.helpers or name in module.constants or name in module.after:
            return
        if isinstance(value, types.ModuleType):
            module.imports[self._import_module(name, value)] = None
        elif isinstance(value, TaskTemplate):
            self._task_reference(module, name, value)
        elif isinstance(value, TaskEnvironment):
            self._reference(module, name, value.name, variable(value.name))
        elif getattr(value, "__module__", "").startswith("flyte_nb") and (inspect.isclass(value) or callable(value)):
            module.imports[f"from flyte import {value.__name__}" + (f" as {name}" if name != value.__name__ else "")] = None
        elif inspect.isfunction(value) or inspect.isclass(value):
            self._code_object(module, name, value, origin, what)
        elif isinstance(value, pydantic.BaseModel) and type(value).__module__.startswith("flyte_nb"):
            module.constants[name] = self.sdk.code(value)
        elif _literal(value):
            self._check_secret(name, value, what)
            module.constants[name] = repr(value)
        else:
            raise ExportError(f"{what} a live {type(value).__name__} object of the notebook; "
                              "export writes only code, imports and literal constants: build it inside the task "
                              "or in a helper function")

    def _import_module(self, name: str, module: types.ModuleType) -> str:
        full = module.__name__
        if full == "flyte_nb":
            return "import flyte" if name == "flyte" else f"import flyte as {name}"
        if full in _SDK_SUBMODULES:
            sub = _SDK_SUBMODULES[full]
            return f"from flyte import {sub}" + (f" as {name}" if name != sub else "")
        if full.startswith("flyte_nb") or full == "__main__":
            raise ExportError(f"module {full!r} (imported as {name!r}) has no counterpart in the flyte SDK")
        if full == name:
            return f"import {full}"
        parent, _, last = full.rpartition(".")
        if parent and last == name:
            return f"from {parent} import {last}"
        return f"import {full} as {name}"

    def _code_object(self, module: Module, name: str, value: Any, origin: Any, what: str) -> None:
        home = getattr(origin, "__module__", None)
        if value.__module__ not in (home, "__main__") and value.__module__ in sys.modules and \
                not sys.modules[value.__module__].__name__.startswith("flyte_nb"):
            qualname = value.__qualname__
            if "<" in qualname or "." in qualname:
                raise ExportError(f"{what} {value.__module__}.{qualname}, which cannot be imported")
            module.imports[f"from {value.__module__} import {qualname}" + (f" as {name}" if name != qualname else "")] = None
            return
        helper = f"helper {name!r} ({what.rstrip(',')})"
        if inspect.isfunction(value):
            source = sdk_source(function_source(value, helper), value)
        else:
            source = class_source(value, helper)
        if value.__name__ != name:
            raise ExportError(f"{helper} is {value.__name__!r} under another name; export needs its def name")
        module.helpers[name] = ""  # placeholder first: recursion and mutual references stop here
        self._names(module, value, helper)
        module.helpers.pop(name)
        module.helpers[name] = source.rstrip("\n")

    def _task_reference(self, module: Module, name: str, task: TaskTemplate) -> None:
        base = task.func.__name__
        home = self.modules[task.env.name]
        if home is not module:
            module.siblings[f"{home.name} import {base}"] = None
        if task.is_override:
            module.after[name] = f"{name} = {self.override_code(base, task.override_settings)}"
        elif name != base:
            module.after[name] = f"{name} = {base}"

    def _reference(self, module: Module, name: str, env_name: str, target: str) -> None:
        home = self.modules[env_name]
        if home is not module:
            self._sibling(module, env_name, target)
        if name != target:
            module.after[name] = f"{name} = {target}"

    def _sibling(self, module: Module, env_name: str, target: str) -> None:
        home = self.modules[env_name]
        if home is not module:
            module.siblings[f"{home.name} import {target}"] = None

    def _check_secret(self, name: str, value: Any, what: str) -> None:
        text = repr(value)
        if any(secret in text for secret in self.secret_values):
            raise ExportError(f"{what} which holds a secret's value; secrets are exported by "
                              "reference only: use secrets=flyte.Secret(key=...) and read it in the task")

    def _check_cycles(self) -> None:
        """Refuse modules importing each other in a cycle: an iterative depth-first search (each
        module visited once, so a 1000-deep chain neither recurses nor walks every path)."""
        edges = {m.name: sorted({s.split(" ", 1)[0] for s in m.siblings}) for m in self.modules.values()}
        done: set[str] = set()
        for start in edges:
            if start in done:
                continue
            path: list[str] = [start]
            children = [iter(edges.get(start, ()))]
            while children:
                child = next(children[-1], None)
                if child is None:
                    done.add(path.pop())
                    children.pop()
                elif child in path:
                    cycle = " -> ".join((*path[path.index(child):], child))
                    raise ExportError(f"modules import each other in a cycle ({cycle}): a task calls a task of an "
                                      "environment that calls back; put those tasks in one environment")
                elif child not in done:
                    path.append(child)
                    children.append(iter(edges.get(child, ())))


def wrap_call(code: str, width: int = 110) -> str:
    """A long `x = f(a=..., b=...)` or `@x.task(a=..., b=...)` first line, one keyword per line; a keyword's
    value that is still too long, a constructor call or a list (a plugin config), is wrapped the same way."""
    first, newline, rest = code.partition("\n")
    if len(first) <= width or not first.endswith(")"):
        return code
    decorator = first.startswith("@")
    tree = ast.parse(first[1:] if decorator else first)
    call = tree.body[0].value  # type: ignore[attr-defined]
    if not isinstance(call, ast.Call):
        return code
    text = first[1:] if decorator else first
    head = ast.get_source_segment(text, call.func)
    target = text[: text.index(head)] if not decorator else ""
    body = _wrapped_arguments(text, call, 4, width)
    return f"{'@' if decorator else ''}{target}{head}(\n{body}\n)" + newline + rest


def _wrapped_arguments(text: str, call: ast.Call, indent: int, width: int) -> str:
    """The call's arguments one per line at `indent`, each wrapped further when it does not fit."""
    parts = [("", a) for a in call.args] + [(f"{k.arg}=", k.value) for k in call.keywords]
    return "\n".join(" " * indent + prefix + _wrapped(text, node, indent, len(prefix), width) + ","
                     for prefix, node in parts)


def _wrapped(text: str, node: ast.expr, indent: int, used: int, width: int) -> str:
    source = ast.get_source_segment(text, node) or ast.unparse(node)
    if indent + used + len(source) + 1 <= width:
        return source
    pad = " " * indent
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
            not isinstance(getattr(node.func, "value", None), ast.Call):  # a constructor, not a builder chain
        return f"{ast.get_source_segment(text, node.func)}(\n{_wrapped_arguments(text, node, indent + 4, width)}\n{pad})"
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        opening, closing = ("[", "]") if isinstance(node, ast.List) else ("(", ")")
        items = "\n".join(" " * (indent + 4) + _wrapped(text, e, indent + 4, 0, width) + "," for e in node.elts)
        return f"{opening}\n{items}\n{pad}{closing}"
    return source


def sdk_source(source: str, func: Any) -> str:
    """A function's source with the two rewrites the SDK needs to keep its meaning (see source.py)."""
    import flyte_nb
    from .. import report

    scope = getattr(func, "__globals__", {})
    report_names = {n for n, v in scope.items() if v is report}
    flyte_names = {n for n, v in scope.items() if v is flyte_nb}
    source, _ = keep_falsy_overrides(source, "flyte")
    source, _ = await_report_calls(source, report_names, flyte_names)
    return source


def _literal(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value) in (list, tuple, set, frozenset) and all(_literal(v) for v in value)
    if isinstance(value, dict):
        return type(value) is dict and all(_literal(k) and _literal(v) for k, v in value.items())
    return False


# ---- the files ----------------------------------------------------------------------------------
def _merged_imports(lines: Sequence[str]) -> list[str]:
    """`import x` lines sorted, then one `from m import a, b` line per module (names sorted, aliases kept)."""
    plain = sorted({line for line in lines if line.startswith("import ")})
    names: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, _, imported = line[len("from "):].partition(" import ")
            names.setdefault(module, set()).add(imported)
    return plain + [f"from {module} import {', '.join(sorted(names[module]))}" for module in sorted(names)]


def _imported_tops(imports: Sequence[str]) -> list[str]:
    tops = []
    for line in imports:
        words = line.split()
        tops.append(words[1].split(".")[0])
    return tops


@dataclass(frozen=True)
class Export:
    """What was written: the project folder, its package folder, the files, and the entry main.py runs."""

    package: Path  # the package folder inside the project (the modules, main.py)
    files: tuple[Path, ...]
    entry: str  # the call main.py makes, e.g. "add(2, 3)"
    entry_task: str  # its task's name, e.g. "levels_env.add"
    project: Path  # the folder holding pyproject.toml and README.md; the commands run from here
    commands: tuple[Command, ...] = ()  # the README's commands

    def __str__(self) -> str:
        text = f"exported {len(self.files)} files to {self.project} (package {self.package.name}; main.py runs {self.entry})"
        return text + (f"; from that folder: {self.commands[0].line}" if self.commands else "")


def export_project(
    directory: str | Path,
    *,
    package: str | None = None,
    entry: str | None = None,
    cells: Sequence[str] = (),
    namespace: Mapping[str, Any] | None = None,
    origin: str = "a notebook",
) -> Export:
    """Write the registry's environments and tasks as the flyte project `directory` (any folder name).

    The package inside is `package`, else a name derived from the folder (layout.py). `cells` (the
    notebook's code, in order) and `namespace` (its variables) pick the entry task: `entry` when
    given ("my_task(1)"), else the last top-level task call with literal inputs.
    """
    project = Path(directory)
    name = check_package(package) if package is not None else package_name(project.resolve().name)
    exporter = Exporter(_secret_values())
    if not exporter.tasks:
        raise ExportError("nothing to export: no task is defined (decorate a function with @env.task first)")
    exporter.build()
    namespace = dict(namespace or {})
    for task in exporter.tasks:
        namespace.setdefault(task.func.__name__, task)
    chosen = parse_entry(entry, namespace) if entry else find_entry(cells, namespace, exporter.tasks)
    chosen = dataclasses.replace(chosen, task=registry().task(chosen.task.name))
    entry_module = exporter.modules[chosen.task.env.name].name

    texts: dict[str, str] = {}
    for module in exporter.modules.values():
        texts[f"{module.name}.py"] = module.text(exporter.sdk, name, origin)
    texts["main.py"] = main_text(chosen, name, entry_module, origin)
    texts["__init__.py"] = f'"""Flyte 2 project exported by flyte_nb from {origin}: one module per TaskEnvironment."""\n'
    if exporter.sdk.uses_links:
        texts["_links.py"] = LINKS_MODULE
    for file, text in texts.items():
        try:
            compile(text, file, "exec")
        except SyntaxError as error:
            raise ExportError(f"the generated {file} does not compile ({error}); please report this") from None
    imports = [line for m in exporter.modules.values() for line in m.imports]
    distribution = distribution_name(project.resolve().name, name)
    found = commands(name, chosen, entry_module, {m.name: variable(m.env.name) for m in exporter.modules.values()})
    top = {"pyproject.toml": pyproject_text(distribution, name, dependencies(_imported_tops(imports),
                                                                            exporter.sdk.requirements), origin),
           "README.md": readme_text(distribution, name, origin, found)}

    folder = project / name
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in texts.items():
        (folder / file).write_text(text, encoding="utf-8")
        written.append(folder / file)
    for file, text in top.items():
        (project / file).write_text(text, encoding="utf-8")
        written.append(project / file)
    exporter.sdk.write_files(folder)
    return Export(folder, tuple(written), chosen.code, chosen.task.name, project, tuple(found))


def _secret_values() -> list[str]:
    """Values in the local secret store: a constant holding one must not be written into code."""
    import os

    from .. import secrets

    try:
        stored = list(secrets._load().values())
    except (OSError, ValueError):
        stored = []
    return stored + [v for k, v in os.environ.items() if k.startswith("FLYTE_NB_SECRET_")]

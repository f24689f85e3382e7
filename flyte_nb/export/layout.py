"""The project around the exported package: its names, pyproject.toml, README.md and main.py.

The folder may have any name (`my-project`); the package inside it gets a Python name derived
from it (`my_project`) or given with `--package`. Modules import each other by absolute package
name (`from my_project.base_env import base_env`), never relatively, so they load both ways the
flyte SDK loads code: as a package (`python -m my_project.main`, `flyte deploy`, a remote run's
resolver, which names the module by its path from the project folder) and as a file
(`flyte run my_project/data_env.py TASK`, which executes the file under its stem and finds the
package through the project folder, its working directory).
"""

from __future__ import annotations

import importlib.metadata
import json
import keyword
import re
import shlex
import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

from .entry import Entry
from .errors import ExportError

#: The flyte SDK the export is written for (and checked against by the tests).
FLYTE_REQUIREMENT = "flyte>=2.12,<2.13"
#: Names a package must not take: it would shadow the SDK (or flyte_nb) for the project's code.
_SHADOWED = frozenset({"flyte", "flyteplugins", "flyte_nb", "flyteidl", "flyteidl2"})
#: Top-level module names that are no distribution of their own here.
_NOT_DISTRIBUTIONS = frozenset({"flyte", "flyte_nb", "flyteplugins"})


def package_name(folder: str) -> str:
    """A Python package name for a project folder: "my-project" -> "my_project", "2024 run" -> "project_2024_run"."""
    name = re.sub(r"\W+", "_", folder).strip("_").lower() or "project"
    if name[0].isdigit():
        name = f"project_{name}"
    if keyword.iskeyword(name) or name in _SHADOWED or name in sys.stdlib_module_names:
        name = f"{name}_project"
    return name


def check_package(name: str) -> str:
    """A package name given by the user (`--package NAME`): an identifier that shadows nothing."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExportError(f"package={name!r} is not a Python package name (letters, digits and _, not starting "
                          "with a digit, not a keyword)")
    if name in _SHADOWED or name in sys.stdlib_module_names:
        raise ExportError(f"package={name!r} would shadow the module {name!r} the project imports; choose another name")
    return name


def distribution_name(folder: str, package: str) -> str:
    """The project's name in pyproject.toml (PEP 508): the folder's name normalised, else the package's."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", folder).strip("-").lower()
    return name or package.replace("_", "-")


@dataclass(frozen=True)
class Command:
    """A shell command of the README (and of the tests): what it does, and its words."""

    purpose: str
    words: tuple[str, ...]

    @property
    def line(self) -> str:
        return shlex.join(self.words)


def commands(package: str, entry: Entry, entry_module: str, environments: dict[str, str]) -> list[Command]:
    """The commands that run and deploy the project, from its folder. `environments`: module -> variable."""
    entry_file = f"{package}/{entry_module}.py"
    task = entry.task.func.__name__
    found = [
        Command("flyte's local mode, one task, through the flyte CLI's file loading",
                ("flyte", "run", "--local", entry_file, task, *entry.cli_arguments())),
        Command(f"main.py: {entry.code} with flyte.run, local mode", ("python", "-m", f"{package}.main")),
        Command("the same on the cluster of your flyte config", ("python", "-m", f"{package}.main", "remote")),
        Command("one task on the cluster", ("flyte", "run", entry_file, task, *entry.cli_arguments())),
    ]
    found += [Command(f"deploy {variable} (and what it depends on)", ("flyte", "deploy", f"{package}/{module}.py", variable))
              for module, variable in environments.items()]
    found.append(Command("what deploy would register: nothing is sent, but it wants an endpoint configured and "
                         "builds missing images", ("flyte", "deploy", "--dry-run", "--all", "--recursive", package)))
    return found


def pyproject_text(distribution: str, package: str, dependencies: Sequence[str], origin: str) -> str:
    """A setuptools project: `pip install -e .` installs flyte, the tasks' packages and the package."""
    deps = "".join(f"    {json.dumps(d)},\n" for d in dependencies)  # a JSON string is a TOML basic string
    return f'''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{distribution}"
version = "0.1.0"
description = {json.dumps(f"Flyte 2 project exported by flyte_nb from {origin}")}
requires-python = ">={sys.version_info.major}.{sys.version_info.minor}"
dependencies = [
{deps}]

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
{package} = ["files/**/*"]
'''


def readme_text(distribution: str, package: str, origin: str, found: Iterable[Command]) -> str:
    lines = [f"# {distribution}", "",
             f"A Flyte 2 project exported by flyte_nb from {origin}: `{package}/` holds one module per",
             "TaskEnvironment (its tasks, helpers and settings as code) and `main.py`.", "",
             "Run every command from this folder (the flyte CLI finds the package here; or `pip install -e .`",
             "once, which also installs flyte and the packages the tasks import):", "", "```bash",
             f"{'pip install -e .':<72}  # optional: flyte, the tasks' packages and {package}"]
    for command in found:
        lines.append(f"{command.line:<72}  # {command.purpose}")
    lines += ["```", ""]
    return "\n".join(lines)


def main_text(entry: Entry, package: str, module: str, origin: str) -> str:
    name = entry.task.func.__name__
    args = f", {entry.arguments}" if entry.arguments else ""
    return f'''"""Runs {entry.code} with flyte.run (exported by flyte_nb from {origin}).

From the project folder (the one holding pyproject.toml):
    python -m {package}.main          # flyte's local mode
    python -m {package}.main remote   # on the cluster of your flyte config
"""

from __future__ import annotations

import sys

import flyte

from {package}.{module} import {name}


def main(mode: str = "local"):
    """Start the run; flyte's local mode runs it in this process."""
    if mode == "local":
        flyte.init()
    else:
        flyte.init_from_config()
    return flyte.with_runcontext(mode=mode).run({name}{args})


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "local"
    run = main(mode)
    print(run.url)
    if mode == "local":
        print(run.outputs())
'''


def dependencies(modules: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """flyte, the plugins' distributions, and those of the third-party modules the tasks import, pinned as installed."""
    lines = [FLYTE_REQUIREMENT, *extra]
    owners = importlib.metadata.packages_distributions()
    for top in sorted(set(modules)):
        if top in sys.stdlib_module_names or top in _NOT_DISTRIBUTIONS:
            continue
        for dist in owners.get(top, [top]):
            try:
                lines.append(f"{dist}=={importlib.metadata.version(dist)}")
            except importlib.metadata.PackageNotFoundError:
                lines.append(dist)
    return list(dict.fromkeys(lines))

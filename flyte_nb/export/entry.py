"""The entry call main.py runs: given, or the notebook's last top-level task call with literal inputs.

Literal inputs only (numbers, strings, lists, ...), so main.py can write them; a call inside a
`try:` or a function body is not an entry. Without any, the last task that needs no inputs.
"""

from __future__ import annotations

import ast
import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from IPython.core.inputtransformer2 import TransformerManager

from ..task import TaskTemplate
from .errors import ExportError


@dataclass(frozen=True)
class Entry:
    """A registered task and the source of its literal arguments (`"'Flyte'"`, `"2, 3"`, `""`)."""

    task: TaskTemplate
    arguments: str
    args: tuple[Any, ...] = ()  # the literal values of `arguments`, positional...
    kwargs: Mapping[str, Any] = field(default_factory=dict)  # ...and by keyword

    @property
    def code(self) -> str:
        return f"{self.task.func.__name__}({self.arguments})"

    def inputs(self) -> dict[str, Any]:
        """The call's inputs by parameter name (positional ones bound to the task's signature)."""
        bound = inspect.signature(self.task.func).bind_partial(*self.args, **self.kwargs)
        return dict(bound.arguments)

    def cli_arguments(self) -> list[str]:
        """The inputs as `flyte run FILE TASK` options: `--name value`, lists and dicts as JSON."""
        words: list[str] = []
        for name, value in self.inputs().items():
            words += [f"--{name}", _cli_value(value)]
        return words


def _cli_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(value)


def _python(cell: str) -> str:
    """A cell's Python: `%%flyte_task ... --run EXPR` cells give EXPR; other magics are dropped."""
    if cell.lstrip().startswith("%%"):
        first = cell.lstrip().splitlines()[0]
        if first.startswith("%%flyte_task") and "--run" in first:
            return first.split("--run", 1)[1].strip().strip("\"'")
        return ""
    lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return TransformerManager().transform_cell("\n".join(lines))


def _run_outputs(node: ast.expr) -> ast.expr:
    """`flyte.run(t, 1).outputs()` and `...outputs()[0]` -> `flyte.run(t, 1)`: flyte.run returns the SDK's Run."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "outputs"
            and isinstance(node.func.value, ast.Call)):
        return node.func.value
    return node


def _task_call(node: ast.expr, namespace: Mapping[str, Any]) -> Entry | None:
    """`t(1)`, `await t(1)`, `flyte.run(t, 1)` (or its `.outputs()`) with t a plain task and literal arguments."""
    node = _run_outputs(node)
    if isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call):
        return None
    args, keywords, target = list(node.args), node.keywords, node.func
    if isinstance(target, ast.Attribute) and target.attr == "run" and args:
        target, args = args[0], args[1:]
    if not isinstance(target, ast.Name):
        return None
    task = namespace.get(target.id)
    if not isinstance(task, TaskTemplate) or task.is_override:
        return None
    if any(k.arg is None for k in keywords):
        return None
    try:
        values = tuple(ast.literal_eval(arg) for arg in args)
        named = {str(k.arg): ast.literal_eval(k.value) for k in keywords}
    except ValueError:
        return None
    parts = [ast.unparse(a) for a in args] + [f"{k.arg}={ast.unparse(k.value)}" for k in keywords]
    return Entry(task, ", ".join(parts), values, named)


def _top_level_calls(source: str, namespace: Mapping[str, Any]) -> list[Entry]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for statement in tree.body:
        value = getattr(statement, "value", None) if isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
        if value is None:
            continue
        candidates = value.elts if isinstance(value, ast.Tuple) else [value]
        found += [e for e in (_task_call(c, namespace) for c in candidates) if e is not None]
    return found


def top_level_calls(cells: Sequence[str], namespace: Mapping[str, Any]) -> list[Entry]:
    """Every top-level task call with literal inputs in the cells (raw, magics included), in order."""
    return [entry for cell in cells for entry in _top_level_calls(_python(cell), namespace)]


def find_entry(cells: Sequence[str], namespace: Mapping[str, Any], tasks: Sequence[TaskTemplate]) -> Entry:
    """The last literal top-level task call of the cells; else the last task without required inputs."""
    calls = top_level_calls(cells, namespace)
    if calls:
        return calls[-1]
    for task in reversed(tasks):
        parameters = inspect.signature(task.func).parameters.values()
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
            return Entry(task, "")
    raise ExportError("no entry task for main.py: no top-level task call with literal inputs and no task without "
                      "inputs; name one with entry='my_task(1, \"x\")'")


def parse_entry(text: str, namespace: Mapping[str, Any]) -> Entry:
    """entry='my_task' or entry='my_task(1, "x")' given by the user."""
    text = text.strip()
    name = text.split("(", 1)[0].strip()
    if isinstance(namespace.get(name), TaskTemplate) and "(" not in text:
        return Entry(namespace[name], "")
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        node = None
    entry = _task_call(node, namespace) if node is not None else None
    if entry is None:
        raise ExportError(f"entry={text!r} is not a task call with literal inputs, like my_task(1, 'x')")
    return entry

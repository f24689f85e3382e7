"""The source of exported functions: the def as written (decorators dropped, dedented), the global
names it reads, and its call-site overrides rewritten so the flyte SDK keeps their meaning.

The SDK's `task.override()` drops falsy values (`retries=0`, `env_vars={}`, `timeout=None`) and
keeps the decorator's instead; flyte_nb applies them. An exported call site therefore writes
`retries=flyte.RetryStrategy(count=0)` (a truthy object the SDK keeps) and sets the values that
have no truthy spelling with `dataclasses.replace(task.override(...), env_vars={})`, which is
what the SDK's own override does internally.
"""

from __future__ import annotations

import ast
import dis
import inspect
import textwrap
import types
from typing import Any, Callable

from .errors import ExportError

#: override() keywords whose falsy value the SDK drops; retries has a truthy spelling.
_FALSY_KEYWORDS = ("retries", "timeout", "env_vars", "secrets", "max_inline_io_bytes", "links", "short_name")


def function_source(func: Callable[..., Any], what: str) -> str:
    """`def f(...)` / `async def f(...)` and its body, without decorators, at column 0."""
    source = getattr(func, "__flyte_source__", None)
    if source is None:
        if func.__name__ == "<lambda>":
            raise ExportError(f"{what} is a lambda; export needs it written with def (a lambda has no source of its own)")
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            raise ExportError(f"{what} has no source code to export (defined with exec or in a compiled module)") from None
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        raise ExportError(f"{what}: its source is not a def or class statement")
    lines = source.splitlines()
    return "\n".join(lines[node.lineno - 1:node.end_lineno]) + "\n"


def class_source(cls: type, what: str) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        raise ExportError(f"{what} is a class without source code to export") from None
    return source if source.endswith("\n") else source + "\n"


def global_names(obj: Any) -> list[str]:
    """Names a function (or a class's methods) reads from its module's globals, in first-use order.

    From the bytecode (LOAD_GLOBAL/LOAD_NAME, nested functions included), so locals that share a
    notebook variable's name are not mistaken for it; plus the names in the signature's annotations
    and defaults, which are evaluated in the module.
    """
    names: dict[str, None] = {}
    codes: list[types.CodeType] = []
    if inspect.isclass(obj):
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)
            if inspect.isfunction(value):
                codes.append(value.__code__)
        for base in obj.__bases__:
            if base.__module__ == obj.__module__:
                names[base.__name__] = None
        for annotation in getattr(obj, "__annotations__", {}).values():
            if isinstance(annotation, type) and annotation.__module__ == obj.__module__:
                names[annotation.__name__] = None
    else:
        codes.append(obj.__code__)
    while codes:
        code = codes.pop(0)
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and isinstance(instruction.argval, str):
                names[instruction.argval] = None
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    if inspect.isfunction(obj):
        for name in _signature_names(function_source(obj, obj.__name__)):
            names[name] = None
    return list(names)


def _signature_names(source: str) -> list[str]:
    node = ast.parse(source).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    parts: list[ast.AST] = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg):
        if arg is not None and arg.annotation is not None:
            parts.append(arg.annotation)
    if node.returns is not None:
        parts.append(node.returns)
    return [n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)]


def _falsy(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return not node.value and not isinstance(node.value, bool)
    if isinstance(node, (ast.Dict, ast.List, ast.Tuple)):
        return not (node.keys if isinstance(node, ast.Dict) else node.elts)
    return False


class _KeepFalsyOverrides(ast.NodeTransformer):
    """x.override(retries=0, env_vars={}) -> dataclasses.replace(x.override(retries=flyte.RetryStrategy(count=0)), env_vars={})."""

    def __init__(self, flyte_name: str) -> None:
        self.flyte_name = flyte_name
        self.changed = False

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802 (ast API)
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Attribute) and node.func.attr == "override"):
            return node
        kept, replaced = [], []
        for keyword in node.keywords:
            if keyword.arg == "retries" and isinstance(keyword.value, ast.Constant) and keyword.value.value == 0:
                keyword = ast.keyword(arg="retries", value=ast.parse(
                    f"{self.flyte_name}.RetryStrategy(count=0)", mode="eval").body)
                self.changed = True
            elif keyword.arg in _FALSY_KEYWORDS and _falsy(keyword.value):
                replaced.append(keyword)
                self.changed = True
                continue
            kept.append(keyword)
        node.keywords = kept
        if not replaced:
            return node
        replace = ast.Attribute(value=ast.Name("dataclasses", ast.Load()), attr="replace", ctx=ast.Load())
        return ast.Call(func=replace, args=[node], keywords=replaced)


def keep_falsy_overrides(source: str, flyte_name: str = "flyte") -> tuple[str, bool]:
    """(source, changed): call-site overrides rewritten for the SDK; unchanged source when none needs it.

    Only a function that needs the rewrite is re-printed (ast.unparse), so comments survive elsewhere.
    """
    tree = ast.parse(source)
    transformer = _KeepFalsyOverrides(flyte_name)
    tree = transformer.visit(tree)
    if not transformer.changed:
        return source, False
    ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n", True


_REPORT_CALLS = ("log", "flush", "replace")


class _AwaitReportCalls(ast.NodeTransformer):
    """report.log(...) -> await report.log.aio(...) directly inside async functions."""

    def __init__(self, report_names: set[str], flyte_names: set[str]) -> None:
        self.report_names, self.flyte_names = report_names, flyte_names
        self.in_async = False
        self.changed = False

    def _scope(self, node: ast.AST, is_async: bool) -> ast.AST:
        outer, self.in_async = self.in_async, is_async
        self.generic_visit(node)
        self.in_async = outer
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:  # noqa: N802 (ast API)
        return self._scope(node, True)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802
        return self._scope(node, False)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:  # noqa: N802
        return self._scope(node, False)

    def _is_report(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.report_names
        return (isinstance(node, ast.Attribute) and node.attr == "report" and isinstance(node.value, ast.Name)
                and node.value.id in self.flyte_names)

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        func = node.func
        if not (self.in_async and isinstance(func, ast.Attribute) and func.attr in _REPORT_CALLS
                and self._is_report(func.value)):
            return node
        self.changed = True
        return ast.Await(ast.Call(func=ast.Attribute(func, "aio", ast.Load()), args=node.args, keywords=node.keywords))


def await_report_calls(source: str, report_names: set[str], flyte_names: set[str]) -> tuple[str, bool]:
    """(source, changed): the SDK's report.log/flush/replace block inside async tasks ("use .aio()");
    flyte_nb's are plain calls, so the export awaits their .aio form there."""
    if not report_names and not flyte_names:
        return source, False
    transformer = _AwaitReportCalls(report_names, flyte_names)
    tree = transformer.visit(ast.parse(source))
    if not transformer.changed:
        return source, False
    ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n", True

"""The kernel side of the JupyterLab sidebar's comm (target "flyte_nb"); the other side is
labextension/src/bridge.ts.

The sidebar is a view of the registry, like the widget panel: everything it shows comes from
here (the parameter table with each setting's JSON schema, environments and tasks, the three
levels' values, effective values with the level they came from, why a cell is disabled, runs)
and every edit is parsed, validated and applied here, so TypeScript restates no rule.

Either side may open the comm: `%load_ext flyte_nb` registers the target and opens one with an
`announce` (a sidebar already watching this kernel picks it up and says hello); a sidebar that
finds a kernel opens one itself with its hello, and a kernel without flyte_nb loaded closes it,
which the sidebar shows as "not loaded". Load stays cheap: the table is sent on hello, not at load.

The sidebar's timeline asks `get_timeline {id, run}` (run: one run and the calls under it, or null for all)
and gets `timeline {reply_to, origin, span, rows, colors}` (flyte_nb/timeline.py: the data %flyte_timeline
draws); run messages carry each attempt's usage figures without their samples, which only the timeline needs.

Every message is JSON `{"version": 1, "type": ..., ...}`. Kernel to sidebar:
  announce  {}                                   the kernel opened the comm (at %load_ext)
  hello     {flyte_nb, levels, parameters}       once per comm: the table, schemas included
  registry  {environments: [{name, tasks: [{name, function, overrides}]}]}
                                                 after every environment or task change
  entity    {kind, name, reusable, rows, code, choices, forms}
                                                 the selected environment or task, after each change;
                                                 forms: per parameter {schema, ui} (rjsf) or None (code only)
  edit_result {reply_to, ok, parameter, level, error}
  runs      {runs}                               all runs, once per comm
  run       {run}                                a run changed (status, attempts)
  log       {run, lines}                         new log lines (batched)
  report    {run, tabs, path}                    a report flush
  run_detail {reply_to, run, logs, report}
  insert_cell {code}                             the widget panel's "Insert code"
  error     {reply_to, message}                  a request the kernel could not answer
Sidebar to kernel: hello (answered with hello, registry, runs), select {kind, name},
edit {id, kind, name, level, parameter, text | value} (text: Python of the "as code" box; value: a
form's JSON data, null to unset), get_run {id, run}.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from .config.errors import ConfigError
from .config.jsonable import to_code, to_jsonable
from .config.parameters import LEVELS, PARAMETERS, BY_NAME, Level, table_json
from .registry import registry

TARGET = "flyte_nb"
VERSION = 1
#: Log lines are sent at most this often per comm (seconds), so a chatty task cannot flood iopub.
LOG_INTERVAL = 0.2
MAX_RUNS = 200


def message(type_: str, /, **fields: Any) -> dict[str, Any]:
    return {"version": VERSION, "type": type_, **fields}


def _text(error: Exception) -> str:
    """An error's message (a KeyError's own text, not its repr)."""
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


# ---- what the sidebar shows (pure functions of the registry) ----------------------------------
def hello() -> dict[str, Any]:
    from . import __version__

    return message("hello", flyte_nb=__version__,
                   levels=[{"name": lv.value, "title": lv.title} for lv in (*LEVELS, Level.DEFAULT)],
                   parameters=table_json())


def tree() -> dict[str, Any]:
    reg = registry()
    environments = [{"name": name, "tasks": [{"name": task.name, "function": function,
                                              "overrides": sorted(reg.session_overrides(task.name))}
                                             for function, task in reg.tasks_of(env).items()]}
                    for name, env in reg.environments.items()]
    return message("registry", environments=environments)


def _target(kind: str, name: str) -> tuple[Any, Any]:
    """(environment, task or None) of a selection; KeyError when it no longer exists."""
    if kind == "task":
        task = registry().task(name)
        return task.env, task
    if kind == "environment":
        return registry().environment(name), None
    raise KeyError(f"unknown kind {kind!r}: environment or task")


def _secret_keys() -> tuple[str, ...]:
    """The stored secrets' keys, for the secrets picker (names only, never values)."""
    from . import secrets

    return tuple(name for name in secrets.list() if not name.startswith("$"))


def entity(kind: str, name: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """One environment or task: per parameter, each level's value, its form data and editor text,
    why a cell is disabled, the effective value with its level; the forms; Insert code's text."""
    from .codegen import notebook_code
    from .edits import CHOICES, cell_reason, editor_text, level_settings
    from .formschema import form, form_data

    env, task = _target(kind, name)
    resolution = task.resolve() if task is not None else env.resolve()
    settings = {level: level_settings(env, task, level) for level in LEVELS}
    rows = []
    for parameter in PARAMETERS:
        cells = {}
        for level in LEVELS:
            value = settings[level].get(parameter.name)
            present = parameter.name in settings[level]
            cells[level.value] = {"set": present, "value": to_jsonable(value) if present else None,
                                  "form": form_data(value) if present else None,
                                  "text": editor_text(parameter, value),
                                  "disabled": cell_reason(parameter, level, task, resolution.reusable)}
        effective = resolution[parameter.name]
        rows.append({"parameter": parameter.name, "cells": cells,
                     "effective": {"value": to_jsonable(effective.value), "code": to_code(effective.value),
                                   "level": effective.level.value}})
    keys = _secret_keys()
    forms = {parameter.name: form(parameter, keys) for parameter in PARAMETERS}
    code = notebook_code(env, task, namespace if namespace is not None else _user_namespace())
    return message("entity", kind=kind, name=name, reusable=resolution.reusable, rows=rows, code=code,
                   choices=CHOICES, forms=forms)


def edit(request: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """Parse, validate and apply one cell edit; the result names the field an error belongs to."""
    from .edits import apply, parse
    from .formschema import from_form

    parameter_name, level_name = str(request.get("parameter")), str(request.get("level"))
    result = message("edit_result", reply_to=request.get("id"), parameter=parameter_name, level=level_name,
                     ok=False, error=None)
    try:
        parameter = BY_NAME.get(parameter_name)
        if parameter is None:
            raise ConfigError(f"unknown parameter {parameter_name!r}", parameter=parameter_name)
        try:
            level = Level(level_name)
        except ValueError:
            raise ConfigError(f"unknown level {level_name!r}", parameter=parameter_name) from None
        env, task = _target(str(request.get("kind")), str(request.get("name")))
        if "value" in request:  # a typed form's data (JSON); "text" is the "as code" box
            value = from_form(parameter, request["value"])
        else:
            value = parse(parameter, str(request.get("text", "")), namespace)
        apply(env, task, parameter.name, level, value)
    except ConfigError as error:
        result["error"] = error.to_json()
    except (KeyError, ValueError, TypeError) as error:
        result["error"] = {"message": _text(error), "parameter": parameter_name, "level": level_name,
                           "value": None, "allowed_levels": []}
    else:
        result["ok"] = True
    return result


def run_summary(run: Any) -> dict[str, Any]:
    from .usage import summary

    data = run.to_json()
    data.pop("settings", None)
    data["log_lines"] = sum(len(a.logs) for a in run.attempts)
    data["used"] = summary(run.usage)  # the run list's figures
    for usage in [data["usage"], *(attempt["usage"] for attempt in data["attempts"])]:
        if usage is not None:
            usage.pop("samples", None)  # up to 120 per attempt: the timeline's, sent when it asks
    return data


def timeline_message(run_id: str | None = None) -> dict[str, Any]:
    """The last MAX_RUNS runs (or one run and the calls under it) as the timeline draws them."""
    from .timeline import timeline

    return message("timeline", **timeline(registry().runs[-MAX_RUNS:], root=run_id))


def run_detail(run_id: str) -> dict[str, Any]:
    run = registry().run(run_id)
    return message("run_detail", run=run_summary(run), logs=run.logs, report=dict(run.report or {}),
                   settings=run.settings)


# ---- connections --------------------------------------------------------------------------------
class Connection:
    """One open comm: whether a sidebar said hello on it, what it has selected, its requests."""

    def __init__(self, comm: Any, owner: "Bridge") -> None:
        self.comm = comm
        self.owner = owner
        self.greeted = False
        self.selection: tuple[str, str] | None = None

    def send(self, data: dict[str, Any]) -> None:
        self.comm.send(data)

    def greet(self) -> None:
        self.greeted = True
        self.owner.follow()
        self.send(hello())
        self.send(tree())
        self.send(message("runs", runs=[run_summary(r) for r in registry().runs[-MAX_RUNS:]]))
        self.push_selection()

    def push_selection(self) -> None:
        if self.selection is None:
            return
        try:
            self.send(entity(*self.selection, namespace=self.owner.namespace()))
        except KeyError:  # the environment or task is gone (cleared registry)
            self.selection = None
            self.send(message("entity", kind=None, name=None, reusable=False, rows=[], code="", choices={}))

    def on_message(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        try:
            if kind == "hello":
                self.greet()
            elif kind == "select":
                self.selection = (str(data["kind"]), str(data["name"]))
                self.push_selection()
            elif kind == "edit":  # an applied edit reaches every sidebar through the registry's notification
                self.send(edit(data, self.owner.namespace()))
            elif kind == "get_run":
                self.send({**run_detail(str(data["run"])), "reply_to": data.get("id")})
            elif kind == "get_timeline":
                run_id = data.get("run")
                self.send({**timeline_message(None if run_id is None else str(run_id)), "reply_to": data.get("id")})
            else:
                raise ValueError(f"unknown request type {kind!r}")
        except Exception as error:  # noqa: BLE001 - answer every request; never break the kernel
            self.send(message("error", reply_to=data.get("id"), request=kind, message=_text(error)))


class Bridge:
    """Every open sidebar comm of this kernel, fed by the registry and the runtime's log stream.

    It follows the registry and the log stream only once a sidebar said hello: a comm the kernel
    opened at load that no sidebar took costs nothing, and leaves the runtime's logs as they were
    (the runtime prints a call's lines itself only while nobody listens to them).
    """

    def __init__(self, namespace: Callable[[], dict[str, Any]] | None = None) -> None:
        self.connections: dict[str, Connection] = {}
        self.namespace = namespace or _user_namespace
        self._lock = threading.Lock()
        self._logs: dict[str, list[str]] = {}
        self._timer: threading.Timer | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # ---- comm lifecycle -------------------------------------------------------------------------
    def attach(self, comm: Any) -> Connection:
        """Serve one comm (opened by either side) until it closes."""
        connection = Connection(comm, self)
        comm.on_msg(lambda msg: connection.on_message(msg["content"]["data"]))
        comm.on_close(lambda msg: self.detach(comm.comm_id))
        with self._lock:
            self.connections[comm.comm_id] = connection
        return connection

    def follow(self) -> None:
        """Start following the registry and the logs (a sidebar said hello)."""
        with self._lock:
            first = self._unsubscribe is None
            if first:
                self._unsubscribe = registry().subscribe(self.on_registry)
        if first:
            _runtime().log_listeners.append(self.on_log)

    def detach(self, comm_id: str) -> None:
        with self._lock:
            self.connections.pop(comm_id, None)
            last = not any(c.greeted for c in self.connections.values()) and self._unsubscribe is not None
            if last:
                self._unsubscribe()
                self._unsubscribe = None
        if last:
            listeners = _runtime().log_listeners
            if self.on_log in listeners:
                listeners.remove(self.on_log)

    def broadcast(self, data: dict[str, Any]) -> bool:
        """Send to every sidebar; False when none took it."""
        sent = False
        for comm_id, connection in list(self.connections.items()):
            if not connection.greeted:
                continue
            try:
                connection.send(data)
                sent = True
            except Exception:  # noqa: BLE001 - a comm whose frontend went away
                self.detach(comm_id)
        return sent

    # ---- registry and runtime events -------------------------------------------------------------
    def on_registry(self, kind: str, name: str) -> None:
        if kind in ("environment", "task"):
            self.broadcast(tree())
            for connection in list(self.connections.values()):
                if connection.greeted:
                    connection.push_selection()
        elif kind == "run":
            self.flush_logs()  # lines before the status that follows them
            self.broadcast(message("run", run=run_summary(registry().run(name))))
        elif kind == "report":
            run = registry().run(name)
            self.broadcast(message("report", run=run.id, tabs=dict(run.report or {}), path=run.report_path))

    def on_log(self, run: Any, line: str) -> bool:
        """Forward to the sidebars; False: the sidebar observes, it does not replace the cell's output."""
        self._queue_log(run, line)
        return False

    def _queue_log(self, run: Any, line: str) -> None:
        with self._lock:
            self._logs.setdefault(run.id, []).append(line)
            if self._timer is None:
                self._timer = threading.Timer(LOG_INTERVAL, self.flush_logs)
                self._timer.daemon = True
                self._timer.start()

    def flush_logs(self) -> None:
        with self._lock:
            pending, self._logs = self._logs, {}
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        for run_id, lines in pending.items():
            self.broadcast(message("log", run=run_id, lines=lines))


_BRIDGE: Bridge | None = None


def bridge() -> Bridge:
    global _BRIDGE
    if _BRIDGE is None:
        _BRIDGE = Bridge()
    return _BRIDGE


def _on_open(comm: Any, msg: dict[str, Any]) -> None:
    """A sidebar opened a comm: serve it and answer its opening request (a hello)."""
    connection = bridge().attach(comm)
    data = msg.get("content", {}).get("data") or {}
    if data:
        connection.on_message(data)


def register(shell: Any) -> None:
    """`%load_ext flyte_nb`: accept sidebars' comms, and open one so a watching sidebar connects now."""
    if getattr(shell, "kernel", None) is None:
        return  # plain IPython: no frontend to talk to
    import comm

    comm.get_comm_manager().register_target(TARGET, _on_open)
    bridge().attach(comm.create_comm(target_name=TARGET, data=message("announce")))


def request_insert(code: str) -> bool:
    """Ask a connected sidebar to insert `code` as a new cell below the active one."""
    return _BRIDGE is not None and _BRIDGE.broadcast(message("insert_cell", code=code))


def _runtime() -> Any:
    from .runtime import runtime

    return runtime()


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}

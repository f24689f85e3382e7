"""The kernel-side registry: the one owner of environments, tasks and runs.

The widget panel, the JupyterLab sidebar and the magics are views of it: they read it and
ask it for edits, and it tells subscribers what changed. Re-running a notebook cell that
redefines an environment or a task replaces the entry of the same name.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .config.errors import ConfigError

if TYPE_CHECKING:  # runs.py pulls in usage, attempt logs and dataclasses: not for `import flyte_nb` (the shim)
    from .runs import RunRecord
    from .config.resolve import Resolution
    from .environment import TaskEnvironment
    from .task import TaskTemplate

Listener = Callable[[str, str], None]  # (kind: "environment" | "task" | "run", name or id)


class Registry:
    """Environments by name, tasks by '<env>.<function>', runs by id."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._environments: dict[str, TaskEnvironment] = {}
        self._tasks: dict[str, TaskTemplate] = {}
        self._runs: dict[str, RunRecord] = {}
        self._overrides: dict[str, dict[str, Any]] = {}  # the panel's override column, per task
        #: Settings a view changed, not the code: (level, environment or task name) -> {parameter: view}.
        self._edited: dict[tuple[str, str], dict[str, str]] = {}
        self._listeners: list[Listener] = []
        #: Every task defined in this kernel by name, kept through clear(): nested calls from containers
        #: run tasks by name (flyte_nb.nested), also those of modules whose entries a clear() removed.
        self._defined: weakref.WeakValueDictionary[str, TaskTemplate] = weakref.WeakValueDictionary()

    # ---- environments and tasks -------------------------------------------------------------
    def add_environment(self, env: "TaskEnvironment") -> None:
        with self._lock:
            self._environments[env.name] = env
            self._edited.pop(("environment", env.name), None)  # its cell ran again: the code says it all
        self.notify("environment", env.name)

    def add_task(self, task: "TaskTemplate") -> None:
        with self._lock:
            self._tasks[task.name] = task
            self._defined[task.name] = task
            self._edited.pop(("decorator", task.name), None)
        self.notify("task", task.name)

    def environment(self, name: str) -> "TaskEnvironment":
        try:
            return self._environments[name]
        except KeyError:
            raise KeyError(f"no environment named {name!r}; known: {', '.join(self._environments) or 'none'}") from None

    def task(self, name: str) -> "TaskTemplate":
        try:
            return self._tasks[name]
        except KeyError:
            raise KeyError(f"no task named {name!r}; known: {', '.join(self._tasks) or 'none'}") from None

    def defined(self, name: str) -> "TaskTemplate | None":
        """The task of that name: the registered one, else the last one defined in this kernel, else None."""
        with self._lock:
            return self._tasks.get(name) or self._defined.get(name)

    @property
    def environments(self) -> dict[str, "TaskEnvironment"]:
        return dict(self._environments)

    @property
    def tasks(self) -> dict[str, "TaskTemplate"]:
        return dict(self._tasks)

    def tasks_of(self, env: "TaskEnvironment") -> dict[str, "TaskTemplate"]:
        return {t.func.__name__: t for t in self._tasks.values() if t.env is env}

    # ---- edits (the panel and sidebar) -----------------------------------------------------------
    def edit_environment(self, name: str, changes: Mapping[str, Any], source: str = "sidebar") -> None:
        """Set (value) or clear (None) environment-level settings; all or nothing. `source`: the view."""
        env = self.environment(name)
        env.replace_settings(_apply(env.settings, changes))
        self._mark("environment", name, changes, source)
        self.notify("environment", name)

    def edit_task(self, name: str, changes: Mapping[str, Any], source: str = "sidebar") -> None:
        """Set (value) or clear (None) decorator-level settings; all or nothing."""
        task = self.task(name)
        task.replace_decorator_settings(_apply(task.decorator_settings, changes))
        self._mark("decorator", name, changes, source)
        self.notify("task", name)

    def set_override(self, name: str, changes: Mapping[str, Any], source: str = "sidebar") -> None:
        """The panel's override column: settings every notebook call of the task runs with.

        Validated as task.override(...) would be (the reusable rules included); all or nothing.
        """
        task = self.task(name)
        merged = {k: v for k, v in {**self._overrides.get(name, {}), **changes}.items() if v is not None}
        checked = task.without_session_overrides().override(**merged).override_settings
        with self._lock:
            self._overrides[name] = dict(checked)
        self._mark("override", name, changes, source)
        self.notify("task", name)

    def _mark(self, level: str, name: str, changes: Mapping[str, Any], source: str) -> None:
        with self._lock:
            marks = self._edited.setdefault((level, name), {})
            for parameter, value in changes.items():
                if value is None:
                    marks.pop(parameter, None)
                else:
                    marks[parameter] = source

    def view_edits(self, task: "TaskTemplate", resolution: "Resolution") -> list[str]:
        """What a call of `task` runs with that a view set and the code does not say, one line each:
        `retries=2 from the sidebar`, `cache='auto' from the panel (TaskEnvironment level)`."""
        from .config.jsonable import to_code
        from .config.parameters import Level

        owners = {Level.OVERRIDE: task.name, Level.DECORATOR: task.name, Level.ENVIRONMENT: task.env.name}
        if not any(self._edited.get((level.value, owner)) for level, owner in owners.items()):
            return []  # nothing edited by a view for this task (every call asks: no walk of its 21 settings)
        lines = []
        for name, effective in resolution.items():
            if effective.level not in owners or (effective.level is Level.OVERRIDE and name in task.override_settings):
                continue  # the default, or the call site's own .override(...): the code says it
            source = self._edited.get((effective.level.value, owners[effective.level]), {}).get(name)
            if source:
                where = "" if effective.level is Level.OVERRIDE else f" ({effective.level.title} level)"
                lines.append(f"{name}={to_code(effective.value)} from the {source}{where}")
        return lines

    def edited(self, level: str, name: str) -> Mapping[str, str]:
        """{parameter: the view that set it} of one level of an environment ("environment") or a task
        ("decorator", "override"): what runs differs from the cell's code there."""
        return dict(self._edited.get((level, name), {}))

    def session_overrides(self, name: str) -> Mapping[str, Any]:
        return self._overrides.get(name, {})

    # ---- runs -----------------------------------------------------------------------------------
    def add_run(self, run: RunRecord) -> None:
        with self._lock:
            self._runs[run.id] = run
        self.notify("run", run.id)

    def run(self, run_id: str) -> RunRecord:
        try:
            return self._runs[run_id]
        except KeyError:
            raise KeyError(f"no run {run_id!r}; latest: {', '.join(list(self._runs)[-5:]) or 'none'}") from None

    @property
    def runs(self) -> list[RunRecord]:
        return list(self._runs.values())

    # ---- change notification -----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, kind: str, name: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind, name)
            except Exception:  # a broken view must not break the kernel's state
                pass

    def clear(self) -> None:
        """Forget everything (tests, %reset)."""
        with self._lock:
            self._environments.clear()
            self._tasks.clear()
            for run in self._runs.values():
                run.discard_logs()  # a run's log file goes with its record
            self._runs.clear()
            self._overrides.clear()
            self._edited.clear()


def _apply(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    if "name" in changes:
        raise ConfigError("name cannot be edited; create a new TaskEnvironment (or clone_with)", parameter="name",
                          value=changes["name"], level="environment")
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


_REGISTRY = Registry()


def registry() -> Registry:
    """The kernel's registry."""
    return _REGISTRY

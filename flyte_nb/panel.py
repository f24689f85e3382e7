"""The live settings panel (ipywidgets): a view of the registry for one environment or task.

Rows come from the parameter table, columns are the three levels plus the effective value
and the level it came from. A cell's editor fits the parameter (a dropdown for booleans and
cache, text holding Python for the rest: `flyte.Resources(cpu=2)`, `{"A": "1"}`, `30`).
An edit is validated by the same model as code and applied to the registry at once; an
invalid edit shows the error on its row and changes nothing. Forbidden cells are disabled
with the reason. The panel re-renders when the registry changes from anywhere.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as widgets

from .config.errors import ConfigError
from .config.jsonable import to_code
from .config.parameters import LEVELS, PARAMETERS, Level, Parameter
from .edits import CHOICES, UNSET, apply, cell_reason, editor_text, level_settings, parse
from .registry import registry

#: parameter, the three levels, the effective value; errors take a full row of their own.
GRID_COLUMNS = "minmax(90px, 150px) repeat(4, minmax(0, 1fr))"
ERROR_SPAN = "1 / -1"


class SettingsPanel:
    """Panel of an environment (env column editable) or a task (all three columns)."""

    def __init__(self, env: Any = None, task: Any = None, namespace: dict[str, Any] | None = None) -> None:
        self.task = task
        self.env = env if env is not None else task.env
        self.namespace = namespace if namespace is not None else _user_namespace()
        self._updating = False
        self.editors: dict[tuple[str, Level], widgets.Widget] = {}
        self.effective: dict[str, widgets.HTML] = {}
        self.errors: dict[str, widgets.HTML] = {}
        self.code = widgets.Textarea(layout=widgets.Layout(width="100%", height="160px", display="none"))
        self.message = widgets.HTML()
        self.widget = self._build()
        self._unsubscribe = registry().subscribe(self._on_registry)
        self.refresh()

    @classmethod
    def for_name(cls, name: str | None) -> "SettingsPanel":
        reg = registry()
        if name is None:
            if len(reg.environments) != 1:
                raise ValueError(f"%flyte_panel needs an environment or task name; known: "
                                 f"{', '.join([*reg.environments, *reg.tasks]) or 'none'}")
            name = next(iter(reg.environments))
        if name in reg.tasks:
            return cls(task=reg.task(name))
        matches = [t for t in reg.tasks.values() if t.func.__name__ == name]
        if len(matches) == 1:
            return cls(task=matches[0])
        return cls(env=reg.environment(name))

    # ---- layout ----------------------------------------------------------------------------------
    def _build(self) -> widgets.Widget:
        title = f"task {self.task.name}" if self.task is not None else f"environment {self.env.name}"
        header = ["parameter", *(lv.title for lv in LEVELS), "effective [level]"]
        cells: list[widgets.Widget] = [widgets.HTML(f"<b>{html.escape(h)}</b>") for h in header]
        for parameter in PARAMETERS:
            cells.append(widgets.HTML(f"<code title='{html.escape(parameter.doc)}'>{parameter.name}</code>"))
            for level in LEVELS:
                editor = self._editor(parameter, level)
                self.editors[(parameter.name, level)] = editor
                cells.append(editor)
            # stable names for frontends and end-to-end tests (widget model ids are random)
            self.effective[parameter.name] = widgets.HTML(_dom_classes=[f"flyte-nb-effective-{parameter.name}"],
                                                          layout=widgets.Layout(min_width="0"))
            # A row's error spans the whole row under it (it was a sixth column, pushed out of the output
            # area by its own text); hidden while there is none.
            self.errors[parameter.name] = widgets.HTML(_dom_classes=[f"flyte-nb-error-{parameter.name}"],
                                                       layout=widgets.Layout(grid_column=ERROR_SPAN, display="none"))
            cells += [self.effective[parameter.name], self.errors[parameter.name]]
        # minmax(0, 1fr): a column never grows past its share for long content; the grid fits its cell.
        grid = widgets.GridBox(cells, layout=widgets.Layout(
            grid_template_columns=GRID_COLUMNS, grid_gap="2px 6px", width="100%"))
        show = widgets.Button(description="Show code", icon="code")
        insert = widgets.Button(description="Insert code", icon="plus")
        show.on_click(lambda _: self.show_code())
        insert.on_click(lambda _: self.insert_code())
        return widgets.VBox([widgets.HTML(f"<h4>flyte_nb settings: {html.escape(title)}</h4>"), grid,
                             widgets.HBox([show, insert]), self.message, self.code])

    def _editor(self, parameter: Parameter, level: Level) -> widgets.Widget:
        layout = widgets.Layout(width="auto", min_width="0")  # shrinks with its column
        classes = [f"flyte-nb-editor-{parameter.name}-{level.value}"]  # e.g. flyte-nb-editor-retries-override
        if parameter.name in CHOICES:
            editor: widgets.Widget = widgets.Dropdown(options=CHOICES[parameter.name], value=UNSET, layout=layout,
                                                      _dom_classes=classes)
        else:
            editor = widgets.Text(value="", continuous_update=False, placeholder="", layout=layout,
                                  _dom_classes=classes)
        editor.observe(self._changed(parameter, level), names="value")
        return editor

    def _changed(self, parameter: Parameter, level: Level) -> Callable[[dict[str, Any]], None]:
        def on_change(change: dict[str, Any]) -> None:
            if not self._updating:
                self.edit(parameter.name, level, change["new"])

        return on_change

    # ---- the model -----------------------------------------------------------------------------------
    def level_settings(self, level: Level) -> dict[str, Any]:
        return level_settings(self.env, self.task, level)

    def resolution(self) -> Any:
        return self.task.resolve() if self.task is not None else self.env.resolve()

    def edit(self, name: str, level: Level, text: str) -> bool:
        """Apply one edit through the registry; show the error on the row if it is refused."""
        parameter = next(p for p in PARAMETERS if p.name == name)
        try:
            apply(self.env, self.task, name, level, parse(parameter, str(text), self.namespace), source="panel")
        except (ConfigError, ValueError, TypeError) as error:
            self._show_error(name, str(error))
            return False
        self._show_error(name, "")
        self.refresh()
        return True

    def _show_error(self, name: str, message: str) -> None:
        """The row's error under it, wrapped to the panel's width; hidden when there is none."""
        widget = self.errors[name]
        widget.value = (f"<div style='color:var(--jp-error-color1,#c00);white-space:normal;overflow-wrap:anywhere'>"
                        f"{html.escape(message)}</div>") if message else ""
        widget.layout.display = None if message else "none"

    def refresh(self) -> None:
        """Re-read the registry into every editor and the effective column."""
        self._updating = True
        try:
            resolution = self.resolution()
            reusable = resolution.reusable
            for parameter in PARAMETERS:
                for level in LEVELS:
                    editor = self.editors[(parameter.name, level)]
                    settings = self.level_settings(level)
                    why = cell_reason(parameter, level, self.task, reusable)
                    editor.disabled = why is not None
                    editor.tooltip = why or parameter.doc
                    value = settings.get(parameter.name)
                    editor.value = editor_text(parameter, value)
                    if not isinstance(editor, widgets.Dropdown):
                        editor.placeholder = "—" if why else "unset"
                effective = resolution[parameter.name]
                self.effective[parameter.name].value = (
                    f"<code>{html.escape(_short(to_code(effective.value)))}</code> "
                    f"<small>[{effective.level.value}]</small>")
        finally:
            self._updating = False

    def _on_registry(self, kind: str, name: str) -> None:
        if (kind == "environment" and name == self.env.name) or (
                kind == "task" and self.task is not None and name == self.task.name):
            if kind == "task" and self.task is not None:
                self.task = registry().tasks.get(self.task.name, self.task)  # a re-run cell made a new one
            if kind == "environment":
                self.env = registry().environments.get(self.env.name, self.env)
            self.refresh()

    # ---- code ----------------------------------------------------------------------------------------
    def code_text(self) -> str:
        """The sidebar's Insert code (codegen.notebook_code): runs as is in this notebook."""
        from .codegen import notebook_code

        return notebook_code(self.env, self.task, self.namespace)

    def show_code(self) -> None:
        self.code.value = self.code_text()
        self.code.layout.display = "block"

    def insert_code(self) -> None:
        """Into a new cell: through the sidebar's bridge when it is open, else as the next input."""
        from .bridge import request_insert

        code = self.code_text()
        if request_insert(code):
            self.message.value = "inserted as a new cell below"
        else:
            shell = _shell()
            if shell is not None:
                shell.set_next_input(code, replace=False)
            self.message.value = "the code will appear in a new cell after the next execution (also shown below)"
            self.show_code()

    def close(self) -> None:
        self._unsubscribe()
        self.widget.close()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _user_namespace() -> dict[str, Any]:
    shell = _shell()
    return shell.user_ns if shell is not None else {}
